/**
 * The IDX file format of MNIST and Fashion-MNIST (LeCun's "idx3-ubyte" / "idx1-ubyte").
 * Pure functions on Uint8Array (no Node APIs), so browsers can use them with bytes they
 * fetched and gunzipped themselves; finding, reading and gunzipping files live in `mnist.ts`.
 */
import { GenmodelsError, Tensor } from '@genmodels/runtime';

/** An IDX file that is malformed, truncated, compressed where raw bytes were expected, or does not fit its partner file. */
export class IdxError extends GenmodelsError {}

/** Magic number of an IDX file of unsigned bytes with three dims (images `[N, H, W]`). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an IDX file of unsigned bytes with one dim (labels `[N]`). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  /** Dimensions as declared in the header, e.g. `[60000, 28, 28]`. */
  dims: number[];
  /** The payload: a zero-copy view into the input bytes, `prod(dims)` long. */
  data: Uint8Array;
}

/**
 * True when `bytes` start with the gzip header `1f 8b`.
 * @example isGzip(new Uint8Array([0x1f, 0x8b, 8])) // true
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** Describe what a header declares, in words, for messages: "60000 images of 28x28". */
function describe(dims: number[]): string {
  if (dims.length === 3) return `${dims[0]} images of ${dims[1]}x${dims[2]}`;
  if (dims.length === 1) return `${dims[0]} labels`;
  return `dims [${dims.join(', ')}]`;
}

/**
 * Parse an uncompressed IDX file of unsigned bytes (type code 0x08) and check it.
 * The payload is not copied. Trailing bytes after the payload are rejected too, since
 * they mean the file is not what it claims to be.
 *
 * @param bytes the whole file (raw, not gzip: gunzip it first).
 * @param opts.source a path or URL named in error messages.
 * @param opts.magic the expected magic: `IDX_IMAGES_MAGIC` or `IDX_LABELS_MAGIC`.
 * @returns `{ dims, data }`, `data` a view of `prod(dims)` bytes.
 * @throws IdxError on gzip input, wrong magic, short header, or a size that does not match.
 * @example
 * const { dims, data } = parseIdx(bytes, { source: 'train-images-idx3-ubyte', magic: IDX_IMAGES_MAGIC });
 * // dims = [60000, 28, 28], data.length = 47040000
 */
export function parseIdx(bytes: Uint8Array, opts: { source?: string; magic: number }): IdxArray {
  const src = opts.source ?? '<bytes>';
  if (isGzip(bytes)) {
    throw new IdxError(
      `${src}: is gzip-compressed; gunzip it first (gunzip from @genmodels/runtime), or load it with mnist.train({ files })`,
    );
  }
  if (bytes.length < 4) {
    throw new IdxError(`${src}: truncated: ${bytes.length} bytes, too short for an IDX header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== opts.magic) {
    const kind =
      opts.magic === IDX_IMAGES_MAGIC ? 'images (uint8, 3 dims)' : 'labels (uint8, 1 dim)';
    throw new IdxError(
      `${src}: wrong magic number ${hex(magic)}; expected ${hex(opts.magic)} for IDX ${kind}`,
    );
  }
  const rank = magic & 0xff;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new IdxError(
      `${src}: truncated: header needs ${headerBytes} bytes for ${rank} dims but the file has ${bytes.length}`,
    );
  }
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  const expected = headerBytes + size;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'trailing bytes';
    throw new IdxError(
      `${src}: ${what}: declares ${describe(dims)} (${expected} bytes) but has ${bytes.length}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes, expected) };
}

/**
 * Encode bytes as an IDX file (for tests, tools, and writing subsets).
 * @param dims e.g. `[N, 28, 28]` for images (magic 0x803) or `[N]` for labels (magic 0x801).
 * @example
 * const file = encodeIdx([2], new Uint8Array([5, 0])); // 8-byte header + 2 labels
 */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new IdxError(
      `encodeIdx: dims [${dims.join(', ')}] need ${size} bytes, data has ${data.length}`,
    );
  }
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000800 | dims.length, false);
  for (let i = 0; i < dims.length; i++) view.setUint32(4 + 4 * i, dims[i], false);
  out.set(data, header);
  return out;
}

/** One split of an image-classification set. Tensors may be shared with the cache: do not mutate them. */
export interface ImageSplit {
  /**
   * Raw pixels 0..255. MNIST: `[N, 28, 28]` (row-major, zero-copy view of the file; use
   * `images.reshape([N, 1, 28, 28])` for NCHW). CIFAR-10: `[N, 3, 32, 32]` (NCHW).
   */
  images: Tensor<'uint8'>;
  /** `[N]` class indices 0..9. */
  labels: Tensor<'int64'>;
  /** Where the images came from: `<dir>/train-images-idx3-ubyte (via ...)` (how the dir was found), or `files.trainImages (option \`files\`)`. */
  source: string;
}

// BigInt() per label is the slow part of the conversion; a table makes it a lookup.
const BIG = Array.from({ length: 256 }, (_, i) => BigInt(i));

/**
 * Build a split from the bytes of an uncompressed images file and labels file (for browsers,
 * which fetch and gunzip the files themselves). Checks magic numbers, sizes, 28x28 images,
 * matching counts and labels 0..9.
 *
 * @returns `{ images: [N, 28, 28] uint8 (zero-copy), labels: [N] int64, source }`
 * @throws IdxError naming the file and what was expected.
 * @example
 * const split = imageSplitFromIdx(imagesBytes, labelsBytes, 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte');
 */
export function imageSplitFromIdx(
  imagesBytes: Uint8Array,
  labelsBytes: Uint8Array,
  imagesSource = '<images>',
  labelsSource = '<labels>',
): ImageSplit {
  const im = parseIdx(imagesBytes, { source: imagesSource, magic: IDX_IMAGES_MAGIC });
  const lb = parseIdx(labelsBytes, { source: labelsSource, magic: IDX_LABELS_MAGIC });
  const [n, h, w] = im.dims;
  if (h !== 28 || w !== 28) {
    throw new IdxError(`${imagesSource}: images are ${h}x${w}; expected 28x28`);
  }
  if (lb.dims[0] !== n) {
    throw new IdxError(
      `count mismatch: ${imagesSource} has ${n} images but ${labelsSource} has ${lb.dims[0]} labels`,
    );
  }
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const v = lb.data[i];
    if (v > 9) throw new IdxError(`${labelsSource}: label ${i} is ${v}; expected a class in 0..9`);
    labels[i] = BIG[v];
  }
  return {
    images: new Tensor('uint8', [n, h, w], im.data),
    labels: new Tensor('int64', [n], labels),
    source: imagesSource,
  };
}
