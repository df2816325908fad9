/**
 * safetensors checkpoints: encode and decode in memory (no Node APIs, usable in browsers).
 * File I/O lives in `safetensors-file.ts`.
 *
 * Layout: an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON header
 * (`{ "<name>": { "dtype", "shape", "data_offsets": [begin, end] }, "__metadata__": {...} }`,
 * possibly padded with trailing spaces), then the little-endian data buffer. Offsets are
 * relative to the start of the data buffer.
 *
 * Decoding is strict, like the reference implementation: the tensors must tile the data
 * buffer exactly (sorted by offset they start at 0, are contiguous, do not overlap, and the
 * last one ends at the end of the file). Gaps, overlaps and trailing bytes are reported as
 * errors, since they mean the file is corrupt or was not written by a safetensors writer.
 */
import { CheckpointError } from '../errors.js';
import { formatShape } from '../graph/shape.js';
import { type DType, Tensor, type TensorData } from '../tensor.js';

/** A decoded safetensors file: tensors by name plus the string-to-string `__metadata__`. */
export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';

/** safetensors dtype written for each Tensor dtype. */
const WRITE_DTYPE: Record<DType, string> = {
  float32: 'F32',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};

/** safetensors dtypes that can be read: element size in bytes and the Tensor dtype produced. */
const READ_DTYPE: Record<string, { bytes: number; dtype: DType }> = {
  F32: { bytes: 4, dtype: 'float32' },
  F16: { bytes: 2, dtype: 'float32' },
  BF16: { bytes: 2, dtype: 'float32' },
  I64: { bytes: 8, dtype: 'int64' },
  I32: { bytes: 4, dtype: 'int32' },
  U8: { bytes: 1, dtype: 'uint8' },
  BOOL: { bytes: 1, dtype: 'bool' },
};
const READABLE = Object.keys(READ_DTYPE).join(', ');

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverse the byte order of each `width`-byte element in place (big-endian hosts only). */
function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Set an own enumerable property, safe for names such as `__proto__`. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `text` for messages: in single quotes, escaped (no control characters), at most 40 characters of it. */
export function shortText(text: string): string {
  const escaped = JSON.stringify(text.length > 40 ? text.slice(0, 40) : text).slice(1, -1);
  return `'${escaped}${text.length > 40 ? '...' : ''}'`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/**
 * Serialize tensors (and optional string metadata) to safetensors bytes.
 *
 * Tensor names are sorted (JS string order) and the data is laid out contiguously in that
 * order, so equal inputs give identical bytes. `float32`, `int64`, `int32`, `uint8` and `bool`
 * are written as `F32`, `I64`, `I32`, `U8` and `BOOL` (bool bytes normalized to 0/1). The
 * header is compact JSON (`__metadata__` first, omitted when there is no metadata) padded
 * with spaces to a multiple of 8 bytes, so the data buffer starts 8-byte aligned.
 *
 * @throws CheckpointError if a metadata value is not a string, a tensor is named
 *   `__metadata__`, or a value is not a Tensor of a writable dtype.
 *
 * @example
 * const bytes = encodeSafetensors(
 *   { 'fc1.weight': Tensor.from([[1, 2, 3], [4, 5, 6]]), step: Tensor.scalar(100, 'int64') },
 *   { format: 'pt' },
 * );
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const ctx = 'encodeSafetensors';
  const parts: string[] = [];
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new CheckpointError(
        `${ctx}: metadata is ${describeValue(metadata)}; expected an object of string values`,
      );
    }
    const keys = Object.keys(metadata).sort();
    for (const k of keys) {
      const v: unknown = metadata[k];
      if (typeof v !== 'string') {
        throw new CheckpointError(
          `${ctx}: metadata value for key '${k}' is ${describeValue(v)}; expected a string ` +
            '(safetensors metadata is string to string; use JSON.stringify for other values)',
        );
      }
    }
    if (keys.length > 0) {
      const body = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
      parts.push(`${JSON.stringify(METADATA_KEY)}:{${body.join(',')}}`);
    }
  }

  const names = Object.keys(tensors).sort();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) {
      throw new CheckpointError(
        `${ctx}: a tensor cannot be named '${METADATA_KEY}' (reserved for metadata)`,
      );
    }
    const t: unknown = tensors[name];
    if (
      typeof t !== 'object' ||
      t === null ||
      !('dtype' in t) ||
      !('shape' in t) ||
      !('data' in t) ||
      !ArrayBuffer.isView(t.data) ||
      !Array.isArray(t.shape)
    ) {
      throw new CheckpointError(
        `${ctx}: tensor '${name}' is ${describeValue(t)}; expected a Tensor`,
      );
    }
    const tensor = t as Tensor;
    const dt = Object.hasOwn(WRITE_DTYPE, tensor.dtype) ? WRITE_DTYPE[tensor.dtype] : undefined;
    if (dt === undefined) {
      throw new CheckpointError(
        `${ctx}: tensor '${name}' has dtype '${String(tensor.dtype)}'; expected one of ${Object.keys(WRITE_DTYPE).join(', ')}`,
      );
    }
    const data = tensor.data as TensorData;
    let raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (tensor.dtype === 'bool') {
      raw = raw.map((x) => (x !== 0 ? 1 : 0));
    } else if (!HOST_LITTLE_ENDIAN) {
      raw = raw.slice();
      swapBytes(raw, data.BYTES_PER_ELEMENT);
    }
    const begin = offset;
    offset += raw.byteLength;
    chunks.push(raw);
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${dt}","shape":[${tensor.shape.join(',')}],"data_offsets":[${begin},${offset}]}`,
    );
  }

  let header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const h = new Uint8Array(padded).fill(0x20);
    h.set(header);
    header = h;
  }
  const out = new Uint8Array(8 + header.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let pos = 8 + header.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** Exact IEEE 754 binary16 -> binary32 conversion (subnormals, inf, NaN payloads kept). */
function f16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal half: value = mant * 2^-24; normalize into a float32 exponent.
  let e = 113; // exponent field (biased 127) of 2^-14
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

function decodeHalf(src: Uint8Array, n: number, bf16: boolean): Float32Array {
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let i = 0; i < n; i++) {
    const h = view.getUint16(2 * i, true);
    bits[i] = bf16 ? (h << 16) >>> 0 : f16ToF32Bits(h);
  }
  // Uint32Array writes are in host order, which is what Float32Array reads: no swap needed.
  return out;
}

interface Entry {
  name: string;
  begin: number;
  end: number;
}

/**
 * Parse safetensors bytes. `F16` and `BF16` tensors become float32 Tensors (exact
 * conversion, including subnormals, infinities and NaN); `F32`, `I64`, `I32`, `U8` and `BOOL`
 * map to float32, int64, int32, uint8 and bool. Tensor data is copied into fresh, aligned
 * typed arrays, so the result never aliases `bytes`.
 *
 * @param source - a name for error messages, e.g. the file path.
 * @throws CheckpointError naming `source` and the problem: file too short or truncated,
 *   header not valid UTF-8/JSON or not an object, a tensor entry with a missing or invalid
 *   `dtype`/`shape`/`data_offsets`, an unsupported dtype, offsets not matching shape x dtype
 *   size, tensors that overlap, leave gaps or do not end at the end of the file, or
 *   non-string metadata values.
 *
 * @example
 * const { tensors, metadata } = decodeSafetensors(bytes, 'model.safetensors');
 * tensors['fc1.weight'].shape; // [2, 3]
 */
export function decodeSafetensors(bytes: Uint8Array, source?: string): SafetensorsFile {
  const where = source !== undefined ? `safetensors '${source}'` : 'safetensors';
  const fail = (msg: string): never => {
    throw new CheckpointError(`${where}: ${msg}`);
  };

  if (bytes.length < 8) {
    fail(
      `file is ${bytes.length} bytes, shorter than the 8-byte header length prefix; not a safetensors file`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    // The value itself is not shown: for a file that is not safetensors it would spell out
    // its first 8 bytes (e.g. of /proc/self/environ).
    fail(
      `truncated or not a safetensors file: the header length in its first 8 bytes is larger than the ${bytes.length - 8} bytes after them`,
    );
  }
  const n = Number(n64);

  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail(`header (${n} bytes) is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    // V8's own message quotes the text; only the position is kept, with a short prefix.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    fail(
      `header (${n} bytes) is not valid JSON${at ? ` (at position ${at})` : ''}; it starts with ${shortText(text)}`,
    );
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail(`header is ${describeValue(header)}; expected a JSON object of tensor entries`);
  }
  const entries = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const tensors: Record<string, Tensor> = {};
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const pending: (Entry & { dtype: string; shape: number[] })[] = [];

  for (const name of Object.keys(entries)) {
    const entry = entries[name];
    if (name === METADATA_KEY) {
      if (entry === null) continue;
      if (typeof entry !== 'object' || Array.isArray(entry)) {
        fail(`'${METADATA_KEY}' is ${describeValue(entry)}; expected an object of string values`);
      }
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          fail(`metadata value for key ${shortText(k)} is ${describeValue(v)}; expected a string`);
        }
        setOwn(metadata, k, v as string);
      }
      continue;
    }
    const t = `tensor ${shortText(name)}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      fail(
        `${t}: entry is ${describeValue(entry)}; expected an object with dtype, shape, data_offsets`,
      );
    }
    const e = entry as Record<string, unknown>;
    for (const field of ['dtype', 'shape', 'data_offsets']) {
      if (!Object.hasOwn(e, field))
        fail(`${t}: entry has no '${field}'; expected dtype, shape, data_offsets`);
    }
    const { dtype, shape, data_offsets: offsets } = e;
    if (typeof dtype !== 'string') {
      fail(`${t}: dtype is ${describeValue(dtype)}; expected a string such as "F32"`);
    }
    const info = Object.hasOwn(READ_DTYPE, dtype as string)
      ? READ_DTYPE[dtype as string]
      : undefined;
    if (info === undefined) {
      fail(`${t}: unknown or unsupported dtype '${dtype}'; expected one of ${READABLE}`);
    }
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
    ) {
      fail(`${t}: shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
    }
    const shp = shape as number[];
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      fail(
        `${t}: data_offsets ${JSON.stringify(offsets)} out of range; expected [begin, end] with 0 <= begin <= end`,
      );
    }
    const [begin, end] = offsets as [number, number];
    let count = 1;
    for (const d of shp) count *= d;
    const need = count * info!.bytes;
    if (end - begin !== need) {
      fail(
        `${t}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape ${formatShape(shp)} of ${dtype} needs ${need}`,
      );
    }
    if (end > dataLength) {
      fail(
        `truncated: ${t} data_offsets [${begin}, ${end}] end past the ${dataLength}-byte data buffer`,
      );
    }
    pending.push({ name, begin, end, dtype: dtype as string, shape: shp });
  }

  // The tensors must tile [0, dataLength) exactly.
  const sorted = [...pending].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let prev: Entry | undefined;
  for (const p of sorted) {
    if (p.begin < expected) {
      fail(
        `tensor '${p.name}' data_offsets [${p.begin}, ${p.end}] overlap tensor '${prev!.name}' [${prev!.begin}, ${prev!.end}]; tensors must not overlap`,
      );
    }
    if (p.begin > expected) {
      fail(
        `gap of ${p.begin - expected} bytes before tensor '${p.name}' (data_offsets [${p.begin}, ${p.end}], expected begin ${expected}); tensors must be contiguous`,
      );
    }
    expected = p.end;
    prev = p;
  }
  if (expected !== dataLength) {
    fail(
      `${dataLength - expected} trailing bytes after the last tensor (data buffer is ${dataLength} bytes, tensors end at ${expected})`,
    );
  }

  for (const p of pending) {
    const src = bytes.subarray(dataStart + p.begin, dataStart + p.end);
    const info = READ_DTYPE[p.dtype];
    const count = (p.end - p.begin) / info.bytes;
    let data: TensorData;
    if (p.dtype === 'F16' || p.dtype === 'BF16') {
      data = decodeHalf(src, count, p.dtype === 'BF16');
    } else {
      const copy = new Uint8Array(src.length);
      copy.set(src);
      if (!HOST_LITTLE_ENDIAN) swapBytes(copy, info.bytes);
      switch (info.dtype) {
        case 'float32':
          data = new Float32Array(copy.buffer);
          break;
        case 'int64':
          data = new BigInt64Array(copy.buffer);
          break;
        case 'int32':
          data = new Int32Array(copy.buffer);
          break;
        case 'bool':
          for (let i = 0; i < copy.length; i++) copy[i] = copy[i] !== 0 ? 1 : 0;
          data = copy;
          break;
        default:
          data = copy;
      }
    }
    setOwn(tensors, p.name, new Tensor(info.dtype, p.shape, data));
  }
  return { tensors, metadata };
}
