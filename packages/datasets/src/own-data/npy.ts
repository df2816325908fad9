/**
 * NumPy `.npy` arrays and `.npz` archives (zips of `.npy` files, stored or deflated), as
 * written by `np.save` / `np.savez` / `np.savez_compressed`: format versions 1.0, 2.0 and
 * 3.0, little-endian float32, float64, uint8, int8, int32, int64 and bool, C or Fortran
 * order (Fortran arrays are transposed into C order). Every size is checked against what the
 * header declares before anything is allocated from it: data shorter or longer than the
 * header's shape is an NpyFormatError naming the file.
 */
import { Tensor } from '@genmodels/runtime';
import { bytePrefix, DataBudgetError, NpyFormatError, shownName, textPrefix } from './errors.js';
import { type DataSource, DEFAULT_FILE_MAX_BYTES, loadSource } from './source.js';
import { BadZip, entryContent, zipEntries } from './zip.js';

/** Element types read from `.npy` files. */
export type NpyDType = 'float32' | 'float64' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool';

/** The typed array behind each {@link NpyDType} (`bool`: one byte per element, 0 or 1). */
export interface NpyDataMap {
  float32: Float32Array;
  float64: Float64Array;
  uint8: Uint8Array;
  int8: Int8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

/**
 * An array read from a `.npy` file: row-major (C order) `data` of `shape`. `data` may be a
 * view of the bytes it was read from.
 */
export interface NpyArray<D extends NpyDType = NpyDType> {
  dtype: D;
  shape: number[];
  data: NpyDataMap[D];
}

/** Options of {@link readNpy} and {@link readNpz}. */
export interface NpyReadOptions {
  /** Refuse a file, and (`.npz`) arrays whose decompressed total is, larger than this many bytes. Default 2 GiB. */
  maxBytes?: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Longest header read (numpy writes a few hundred bytes at most for these dtypes). */
const MAX_HEADER = 65536;

const DESCR: Record<string, { dtype: NpyDType; size: number }> = {
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
  u1: { dtype: 'uint8', size: 1 },
  i1: { dtype: 'int8', size: 1 },
  i4: { dtype: 'int32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  b1: { dtype: 'bool', size: 1 },
};

const CTOR = {
  float32: Float32Array,
  float64: Float64Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
} as const;

/** A header dict: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` as a Python literal. */
type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

/** Parse the Python literal subset numpy headers use: dict, tuple, list, str, int, True/False/None. */
function parsePyLiteral(text: string, bad: (why: string) => Error): PyValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 8) throw bad('header nests too deep');
    ws();
    const c = text[i];
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      const dict = new Map<string, PyValue>();
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        const v = value(depth + 1);
        if (c === '{') {
          ws();
          if (text[i] !== ':' || typeof v !== 'string')
            throw bad(`expected 'key': value at header offset ${i}`);
          i++;
          dict.set(v, value(depth + 1));
        } else items.push(v);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) throw bad(`expected ',' or '${close}' at header offset ${i}`);
      }
      return c === '{' ? dict : items;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw bad('unterminated string in header');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(-?\d+)L?|^(True|False|None)/.exec(text.slice(i, i + 32));
    if (!m) throw bad(`unexpected ${textPrefix(text.slice(i), 12)} at header offset ${i}`);
    i += m[0].length;
    if (m[2]) return m[2] === 'None' ? null : m[2] === 'True';
    return Number(m[1]);
  };
  const v = value(0);
  ws();
  if (i !== text.length)
    throw bad(`unexpected ${textPrefix(text.slice(i), 12)} after the header dict`);
  return v;
}

interface NpyHeader {
  dtype: NpyDType;
  itemSize: number;
  shape: number[];
  fortran: boolean;
  /** Where the data starts, and how many bytes the shape declares. */
  dataStart: number;
  nbytes: number;
}

/**
 * The header of `.npy` bytes, or null when `b` is still too short to hold it (only with
 * `partial`, while a `.npz` entry inflates).
 */
function parseHeader(b: Uint8Array, name: string, partial = false): NpyHeader | null {
  const bad = (why: string) => new NpyFormatError(`'${shownName(name)}': ${why}`, name);
  if (b.length < 10) {
    if (partial) return null;
    throw bad(`truncated .npy file (${b.length} bytes, no complete header)`);
  }
  if (!MAGIC.every((m, i) => b[i] === m))
    throw bad(`not a .npy file: it starts with ${bytePrefix(b, 8)}, not "\\x93NUMPY"`);
  const major = b[6];
  if (major < 1 || major > 3)
    throw bad(`.npy format version ${major}.${b[7]} (this reader knows 1.0, 2.0 and 3.0)`);
  const lenAt = major === 1 ? 2 : 4;
  if (b.length < 8 + lenAt) {
    if (partial) return null;
    throw bad('truncated .npy header');
  }
  const headerLen =
    major === 1 ? b[8] | (b[9] << 8) : (b[8] | (b[9] << 8) | (b[10] << 16) | (b[11] << 24)) >>> 0;
  if (headerLen > MAX_HEADER) throw bad(`header of ${headerLen} bytes (more than ${MAX_HEADER})`);
  const dataStart = 8 + lenAt + headerLen;
  if (b.length < dataStart) {
    if (partial) return null;
    throw bad(
      `truncated .npy header: it declares ${headerLen} bytes, the file has ${b.length - 8 - lenAt}`,
    );
  }
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    b.subarray(8 + lenAt, dataStart),
  );
  const badHeader = (why: string) =>
    bad(`bad .npy header (${why}): ${textPrefix(text.trim(), 60)}`);
  const dict = parsePyLiteral(text, badHeader);
  if (!(dict instanceof Map)) throw badHeader('not a dict');
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string')
    throw badHeader(
      Array.isArray(descr) ? 'structured dtypes are not supported' : "no 'descr' string",
    );
  if (typeof fortran !== 'boolean') throw badHeader("no 'fortran_order' True/False");
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  )
    throw badHeader("'shape' is not a tuple of non-negative integers");
  const known = DESCR[descr.slice(1)];
  const order = descr[0];
  if (!known || !'<>|='.includes(order))
    throw bad(
      `dtype ${textPrefix(descr, 12)} is not supported (read: float32 '<f4', float64 '<f8', uint8 '|u1', int8 '|i1', int32 '<i4', int64 '<i8', bool '|b1'); convert with arr.astype(...) before saving`,
    );
  if (order === '>' && known.size > 1)
    throw bad(
      `dtype '${descr}' is big-endian; save a little-endian copy (arr.astype('<${descr.slice(1)}'))`,
    );
  let count = 1;
  for (const d of shape as number[]) count *= d;
  return {
    dtype: known.dtype,
    itemSize: known.size,
    shape: shape as number[],
    fortran,
    dataStart,
    nbytes: count * known.size,
  };
}

/** Fortran-order data of `shape` copied into C order. */
function fortranToC<T extends { length: number; [i: number]: unknown }>(
  src: T,
  shape: number[],
  out: T,
): T {
  const k = shape.length;
  const fStride = new Array<number>(k);
  let s = 1;
  for (let j = 0; j < k; j++) {
    fStride[j] = s;
    s *= shape[j];
  }
  const idx = new Array<number>(k).fill(0);
  let f = 0;
  for (let c = 0; c < out.length; c++) {
    out[c] = src[f];
    for (let j = k - 1; j >= 0; j--) {
      idx[j]++;
      f += fStride[j];
      if (idx[j] < shape[j]) break;
      f -= fStride[j] * shape[j];
      idx[j] = 0;
    }
  }
  return out;
}

/**
 * Parse the bytes of a `.npy` file (`name` is used in errors). Data is a view of `bytes`
 * when aligned, else a copy; Fortran-order arrays are transposed into C order.
 *
 * @example
 * const { dtype, shape, data } = parseNpy(bytes, 'x.npy'); // 'float32', [100, 2], Float32Array
 */
export function parseNpy(bytes: Uint8Array, name = '<bytes>'): NpyArray {
  const h = parseHeader(bytes, name) as NpyHeader;
  const have = bytes.length - h.dataStart;
  if (have !== h.nbytes)
    throw new NpyFormatError(
      `'${shownName(name)}': the header declares shape (${h.shape.join(', ')}) of ${h.dtype}, ${h.nbytes} bytes of data, but the file has ${have}${have < h.nbytes ? ' (truncated)' : ' (trailing bytes)'}`,
      name,
    );
  const Ctor = CTOR[h.dtype] as unknown as {
    new (b: ArrayBufferLike, o: number, n: number): NpyDataMap[NpyDType];
    new (n: number): NpyDataMap[NpyDType];
  };
  const at = bytes.byteOffset + h.dataStart;
  const n = h.nbytes / h.itemSize;
  const data =
    at % h.itemSize === 0
      ? new Ctor(bytes.buffer, at, n)
      : new Ctor(bytes.slice(h.dataStart).buffer, 0, n);
  if (h.dtype === 'bool')
    for (let i = 0; i < n; i++)
      if ((data as Uint8Array)[i] > 1)
        throw new NpyFormatError(
          `'${shownName(name)}': bool element ${i} is ${(data as Uint8Array)[i]}, not 0 or 1`,
          name,
        );
  const out =
    h.fortran && h.shape.length > 1
      ? fortranToC(data as Float32Array, h.shape, new Ctor(n) as Float32Array)
      : data;
  return { dtype: h.dtype, shape: h.shape, data: out } as NpyArray;
}

/**
 * Read a `.npy` file: a path (Node.js: a regular file only, at most `maxBytes`; browsers: a
 * URL), bytes, a `Blob` / `File`, or `{ name, bytes }`. Bad magic, a bad header, an
 * unsupported dtype or data whose length disagrees with the header is an NpyFormatError
 * naming the file. {@link npyToTensor} makes a Tensor of the result.
 *
 * @example
 * const x = await readNpy('data/points.npy');          // { dtype: 'float32', shape: [1000, 2], data }
 * const points = npyToTensor(x);                      // float32 Tensor [1000, 2]
 */
export async function readNpy(source: DataSource, options: NpyReadOptions = {}): Promise<NpyArray> {
  const { name, bytes } = await loadSource(
    source,
    'readNpy',
    options.maxBytes ?? DEFAULT_FILE_MAX_BYTES,
  );
  return parseNpy(bytes, name);
}

/**
 * Parse the bytes of a `.npz` file (a zip of `.npy` files, stored or deflated) into its
 * arrays by name (`x.npy` is key `x`). Entries that are not `.npy` files are left out.
 * Each entry's decompressed size is bounded by the size the zip declares for it, which must
 * agree with its `.npy` header (checked as soon as the header has inflated), and the total
 * by `maxBytes`; each entry's CRC-32 is checked.
 *
 * @example
 * const { x, y } = parseNpz(bytes, 'mnist.npz');
 */
export function parseNpz(
  bytes: Uint8Array,
  name = '<bytes>',
  options: NpyReadOptions = {},
): Record<string, NpyArray> {
  const maxBytes = options.maxBytes ?? DEFAULT_FILE_MAX_BYTES;
  const bad = (why: string) => new NpyFormatError(`'${shownName(name)}': ${why}`, name);
  let entries: ReturnType<typeof zipEntries>;
  try {
    entries = zipEntries(bytes);
  } catch (e) {
    if (e instanceof BadZip)
      throw bad(`not a readable .npz (${e.message}); it starts with ${bytePrefix(bytes, 8)}`);
    throw e;
  }
  const out: Record<string, NpyArray> = Object.create(null);
  let total = 0;
  for (const entry of entries) {
    if (entry.name.endsWith('/') || !entry.name.endsWith('.npy')) continue;
    const key = entry.name.slice(0, -4);
    if (key in out) throw bad(`two entries named '${shownName(entry.name)}'`);
    const where = `${name}:${entry.name}`;
    total += entry.size;
    if (total > maxBytes)
      throw new DataBudgetError(
        `'${shownName(name)}': its arrays decompress to more than ${maxBytes} bytes (at entry '${shownName(entry.name)}'); raise the \`maxBytes\` option if the file is meant to be this large`,
        name,
      );
    let content: Uint8Array;
    let checked = false;
    try {
      content = entryContent(bytes, entry, (head) => {
        if (checked) return;
        const h = parseHeader(head, where, true);
        if (!h) return;
        checked = true;
        if (h.dataStart + h.nbytes !== entry.size)
          throw new NpyFormatError(
            `'${shownName(where)}': the .npy header declares shape (${h.shape.join(', ')}) of ${h.dtype}, ${h.dataStart + h.nbytes} bytes with its header, but the zip entry has ${entry.size}`,
            name,
          );
      });
    } catch (e) {
      if (e instanceof BadZip) throw bad(e.message);
      throw e;
    }
    out[key] = parseNpy(content, where);
  }
  return out;
}

/**
 * Read a `.npz` file (see {@link parseNpz}): a path (Node.js: a regular file only, at most
 * `maxBytes`; browsers: a URL), bytes, a `Blob` / `File`, or `{ name, bytes }`.
 *
 * @example
 * const { images, labels } = await readNpz('data/faces.npz');   // np.savez('faces.npz', images=..., labels=...)
 * const x = npyToTensor(images), y = npyToTensor(labels);      // e.g. float32 [N, 1, 32, 32], int64 [N]
 */
export async function readNpz(
  source: DataSource,
  options: NpyReadOptions = {},
): Promise<Record<string, NpyArray>> {
  const maxBytes = options.maxBytes ?? DEFAULT_FILE_MAX_BYTES;
  const { name, bytes } = await loadSource(source, 'readNpz', maxBytes);
  return parseNpz(bytes, name, { maxBytes });
}

/** Options of {@link npyToTensor}. */
export interface NpyToTensorOptions {
  /** int64 arrays as `'int64'` tensors (default, shares the data) or `'int32'` (copied; every value must fit). */
  int64?: 'int64' | 'int32';
}

/**
 * A Tensor of an array read by {@link readNpy} / {@link readNpz}. float32, uint8, int32, int64
 * and bool share the data; float64 becomes float32 (a value beyond float32's range is an
 * NpyFormatError rather than Infinity); int8 becomes int32.
 *
 * @example
 * const labels = npyToTensor(await readNpy('y.npy'), { int64: 'int32' }); // int32 [N]
 */
export function npyToTensor(array: NpyArray, options: NpyToTensorOptions = {}): Tensor {
  const { shape, data } = array;
  switch (array.dtype) {
    case 'float32':
      return new Tensor('float32', shape, data as Float32Array);
    case 'float64': {
      const out = Float32Array.from(data as Float64Array);
      for (let i = 0; i < out.length; i++)
        if (!Number.isFinite(out[i]) && Number.isFinite((data as Float64Array)[i]))
          throw new NpyFormatError(
            `npyToTensor: float64 element ${i} (${(data as Float64Array)[i]}) is beyond float32's range`,
          );
      return new Tensor('float32', shape, out);
    }
    case 'uint8':
      return new Tensor('uint8', shape, data as Uint8Array);
    case 'bool':
      return new Tensor('bool', shape, data as Uint8Array);
    case 'int8':
      return new Tensor('int32', shape, Int32Array.from(data as Int8Array));
    case 'int32':
      return new Tensor('int32', shape, data as Int32Array);
    case 'int64': {
      const big = data as BigInt64Array;
      if ((options.int64 ?? 'int64') === 'int64') return new Tensor('int64', shape, big);
      const out = new Int32Array(big.length);
      for (let i = 0; i < big.length; i++) {
        const v = big[i];
        if (v > 2147483647n || v < -2147483648n)
          throw new NpyFormatError(`npyToTensor: int64 element ${i} (${v}) does not fit in int32`);
        out[i] = Number(v);
      }
      return new Tensor('int32', shape, out);
    }
  }
}
