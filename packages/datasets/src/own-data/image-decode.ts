/**
 * PNG and JPEG decoding for the image-folder readers, in pure JavaScript (browsers and
 * Node.js alike): `fast-png` for PNG (1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA, palette),
 * `jpeg-js` for JPEG (baseline and progressive; gray, YCbCr, CMYK). Before either decoder
 * runs, the file's structure is checked here (PNG chunks up to IEND, JPEG markers up to the
 * scan and the end-of-image marker), so a truncated file is named as truncated, and an image
 * over the pixel cap is refused before anything is allocated.
 */
import { decode as decodePngFile } from 'fast-png';
import { Unzlib } from 'fflate';
import type { decode as JpegDecode } from 'jpeg-js';
import { bytePrefix } from './errors.js';

/** jpeg-js's decoder. */
export type JpegDecoder = typeof JpegDecode;

let jpegDecoder: Promise<JpegDecoder> | undefined;

/**
 * jpeg-js, imported when the first JPEG is met: a bundle that never reads a JPEG does not
 * carry it (it is CommonJS, so bundlers could not drop it as unused otherwise).
 */
export function loadJpegDecoder(): Promise<JpegDecoder> {
  jpegDecoder ??= import('jpeg-js').then(
    (m) => m.decode ?? (m as unknown as { default: { decode: JpegDecoder } }).default.decode,
  );
  return jpegDecoder;
}

/** What a file's header says, read without decoding the pixels. */
export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** One color channel (PNG gray / gray+alpha, single-component JPEG). */
  gray: boolean;
}

/**
 * Decoded pixels, row-major with `channels` interleaved values per pixel: 1 gray, 2 gray +
 * alpha, 3 RGB, 4 RGBA; values 0..`max`. `key` is a PNG tRNS color (gray or RGB values)
 * whose pixels are fully transparent.
 */
export interface Pixels {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint16Array;
  max: number;
  key?: readonly number[];
}

/** A file is not a decodable image; `reason` is a short phrase for the caller's message. */
export class BadImage extends Error {}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG or JPEG by content, or null. */
export function imageFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return 'jpeg';
  return null;
}

interface PngInfo {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
  /** Total bytes of IDAT chunk data, and where each IDAT's data is. */
  idatBytes: number;
  idat: [number, number][];
}

const u32 = (b: Uint8Array, i: number) =>
  ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PNG_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** Walk a PNG's chunks to IEND: header fields, IDAT extent; truncation and a bad IHDR are BadImage. */
function scanPng(b: Uint8Array): PngInfo {
  if (b.length < 33) throw new BadImage(`truncated PNG (${b.length} bytes, no complete header)`);
  if (u32(b, 8) !== 13 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR')
    throw new BadImage('PNG without an IHDR header chunk first');
  const info: PngInfo = {
    width: u32(b, 16),
    height: u32(b, 20),
    depth: b[24],
    colorType: b[25],
    interlace: b[28],
    idatBytes: 0,
    idat: [],
  };
  if (info.width === 0 || info.height === 0 || info.width > 2 ** 31 || info.height > 2 ** 31)
    throw new BadImage(`PNG header declares a ${info.width}x${info.height} image`);
  if (!(info.colorType in PNG_CHANNELS))
    throw new BadImage(`PNG header declares color type ${info.colorType} (not 0, 2, 3, 4 or 6)`);
  if (!PNG_DEPTHS[info.colorType].includes(info.depth))
    throw new BadImage(
      `PNG header declares bit depth ${info.depth} for color type ${info.colorType}`,
    );
  if (info.interlace > 1)
    throw new BadImage(`PNG header declares interlace method ${info.interlace}`);
  let at = 8;
  for (;;) {
    if (at + 12 > b.length)
      throw new BadImage(`truncated PNG: ends at byte ${b.length} before the IEND chunk`);
    const len = u32(b, at);
    const type = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
    if (len > b.length - at - 12)
      throw new BadImage(
        `truncated PNG: chunk ${bytePrefix(b.subarray(at + 4, at + 8))} at byte ${at} declares ${len} bytes of data, only ${Math.max(0, b.length - at - 12)} follow`,
      );
    if (type === 'IDAT') {
      info.idatBytes += len;
      info.idat.push([at + 8, len]);
    }
    at += 12 + len;
    if (type === 'IEND') break;
  }
  if (info.idat.length === 0) throw new BadImage('PNG without image data (no IDAT chunk)');
  return info;
}

/** Bytes the PNG's zlib stream must inflate to (filter bytes included), from its header. */
function pngRawBytes(p: PngInfo): number {
  const bits = PNG_CHANNELS[p.colorType] * p.depth;
  const line = (w: number) => 1 + Math.ceil((w * bits) / 8);
  if (p.interlace === 0) return p.height * line(p.width);
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((p.width - x0) / dx);
    const ph = Math.ceil((p.height - y0) / dy);
    if (pw > 0 && ph > 0) total += ph * line(pw);
  }
  return total;
}

/** Deflate's largest expansion ratio: what a stream of n bytes can inflate to is below n * this. */
const MAX_INFLATE_RATIO = 1032;

/**
 * Inflate the IDAT stream, counting and discarding the output, and refuse one that expands
 * beyond `expected` bytes: run before fast-png (which keeps all of it) when the compressed
 * data could expand to much more than the image needs (a decompression bomb).
 */
function checkPngInflate(b: Uint8Array, info: PngInfo, expected: number): void {
  let total = 0;
  const z = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > expected)
      throw new BadImage(
        `PNG image data inflates to more than the ${expected} bytes a ${info.width}x${info.height} image needs`,
      );
  });
  try {
    for (const [at, len] of info.idat)
      for (let i = 0; i < len; i += 1 << 16)
        z.push(b.subarray(at + i, at + Math.min(len, i + (1 << 16))), false);
    z.push(new Uint8Array(0), true);
  } catch (e) {
    if (e instanceof BadImage) throw e;
    throw new BadImage(`corrupt PNG image data (${(e as Error).message})`);
  }
}

interface JpegInfo {
  width: number;
  height: number;
  components: number;
}

/** Walk a JPEG's markers to the first scan and look for its end-of-image marker. */
function scanJpeg(b: Uint8Array): JpegInfo {
  let at = 2;
  let frame: JpegInfo | undefined;
  for (;;) {
    if (at + 4 > b.length)
      throw new BadImage(`truncated JPEG: ends at byte ${b.length} before the image data`);
    if (b[at] !== 0xff)
      throw new BadImage(
        `corrupt JPEG: no marker at byte ${at} (found ${bytePrefix(b.subarray(at, at + 4))})`,
      );
    const m = b[at + 1];
    if (m === 0xff) {
      at++; // fill byte
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      at += 2;
      continue;
    }
    if (m === 0xd9) throw new BadImage('JPEG ends (EOI) before any image data');
    const len = (b[at + 2] << 8) | b[at + 3];
    if (len < 2 || at + 2 + len > b.length)
      throw new BadImage(
        `truncated JPEG: segment 0xFF${m.toString(16).toUpperCase()} at byte ${at} declares ${len} bytes past the end of the file`,
      );
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof && !frame) {
      if (len < 8) throw new BadImage(`corrupt JPEG: frame header of ${len} bytes`);
      frame = {
        height: (b[at + 5] << 8) | b[at + 6],
        width: (b[at + 7] << 8) | b[at + 8],
        components: b[at + 9],
      };
      if (m === 0xc3 || m === 0xc7 || m === 0xcb || m === 0xcf)
        throw new BadImage(
          'lossless JPEG is not supported (jpeg-js decodes baseline and progressive)',
        );
      if (m >= 0xc9)
        throw new BadImage(
          'arithmetic-coded JPEG is not supported (jpeg-js decodes Huffman-coded)',
        );
    }
    if (m === 0xda) {
      if (!frame) throw new BadImage('corrupt JPEG: image data (SOS) before the frame header');
      const sos = at;
      // A truncated file has no end-of-image marker after its first scan (entropy-coded data
      // escapes 0xFF, so FF D9 there is the marker; an EXIF thumbnail's own EOI is before SOS).
      let end = b.length - 2;
      while (end > sos && !(b[end] === 0xff && b[end + 1] === 0xd9)) end--;
      if (end <= sos)
        throw new BadImage(
          `truncated JPEG: no end-of-image marker after the image data (${b.length} bytes)`,
        );
      if (frame.width === 0 || frame.height === 0)
        throw new BadImage(`JPEG frame header declares a ${frame.width}x${frame.height} image`);
      if (frame.components !== 1 && frame.components !== 3 && frame.components !== 4)
        throw new BadImage(`JPEG with ${frame.components} color components (expected 1, 3 or 4)`);
      return frame;
    }
    at += 2 + len;
  }
}

/** The header of a PNG or JPEG file (structure checked, pixels not decoded). */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const format = imageFormat(bytes);
  if (format === 'png') {
    const p = scanPng(bytes);
    return {
      format,
      width: p.width,
      height: p.height,
      gray: p.colorType === 0 || p.colorType === 4,
    };
  }
  if (format === 'jpeg') {
    const j = scanJpeg(bytes);
    return { format, width: j.width, height: j.height, gray: j.components === 1 };
  }
  throw new BadImage(
    `not a PNG or JPEG file (starts with ${bytePrefix(bytes, 8)}${bytes.length === 0 ? ', empty' : ''})`,
  );
}

/** Unpack 1/2/4-bit samples, rows padded to a byte, into one byte each. */
function unpackBits(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  const perByte = 8 / depth;
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    for (let x = 0; x < width; x++) {
      const byte = packed[row + Math.floor(x / perByte)];
      const shift = 8 - depth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & mask;
    }
  }
  return out;
}

function decodePng(bytes: Uint8Array, maxPixels: number): Pixels {
  const info = scanPng(bytes);
  checkPixels(info.width, info.height, maxPixels);
  if (info.interlace === 1 && info.depth < 8)
    throw new BadImage(
      `interlaced PNG with ${info.depth}-bit samples is not supported; save it without interlacing`,
    );
  const expected = pngRawBytes(info);
  if (info.idatBytes * MAX_INFLATE_RATIO > expected + 64 * 1024 * 1024)
    checkPngInflate(bytes, info, expected);
  let png: ReturnType<typeof decodePngFile>;
  try {
    png = decodePngFile(bytes, { checkCrc: true });
  } catch (e) {
    throw new BadImage(`corrupt PNG (${reasonOf(e)})`);
  }
  const { width, height } = png;
  const n = width * height;
  if (info.colorType === 3) {
    const palette = png.palette ?? [];
    if (palette.length === 0) throw new BadImage('palette PNG without a PLTE chunk');
    const idx =
      info.depth < 8 ? unpackBits(png.data as Uint8Array, width, height, info.depth) : png.data;
    const ch = palette[0].length === 4 ? 4 : 3;
    const out = new Uint8Array(n * ch);
    for (let i = 0; i < n; i++) {
      const color = palette[idx[i]];
      if (!color)
        throw new BadImage(`palette PNG uses color ${idx[i]}, the palette has ${palette.length}`);
      for (let c = 0; c < ch; c++) out[i * ch + c] = color[c] ?? 255;
    }
    return { width, height, channels: ch, data: out, max: 255 };
  }
  const channels = PNG_CHANNELS[info.colorType] as 1 | 2 | 3 | 4;
  const data =
    info.depth < 8 ? unpackBits(png.data as Uint8Array, width, height, info.depth) : png.data;
  if (data.length < n * channels)
    throw new BadImage(
      `corrupt PNG: ${data.length} samples decoded, a ${width}x${height} image has ${n * channels}`,
    );
  const key =
    png.transparency && (info.colorType === 0 || info.colorType === 2)
      ? Array.from(png.transparency)
      : undefined;
  return {
    width,
    height,
    channels,
    data: data as Uint8Array | Uint16Array,
    max: 2 ** info.depth - 1,
    key,
  };
}

function decodeJpeg(bytes: Uint8Array, maxPixels: number, decodeJpegFile: JpegDecoder): Pixels {
  const info = scanJpeg(bytes);
  checkPixels(info.width, info.height, maxPixels);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = decodeJpegFile(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: Math.max(1, Math.ceil(maxPixels / 1e6)),
      // jpeg-js counts its coefficient blocks, lines and output: about 14 bytes a pixel.
      maxMemoryUsageInMB: Math.ceil((maxPixels * 16) / 2 ** 20) + 64,
    });
  } catch (e) {
    throw new BadImage(`corrupt JPEG (${reasonOf(e)})`);
  }
  const n = img.width * img.height;
  if (img.data.length !== n * 3)
    throw new BadImage(
      `corrupt JPEG: ${img.data.length} bytes decoded for ${img.width}x${img.height}`,
    );
  if (info.components !== 1)
    return { width: img.width, height: img.height, channels: 3, data: img.data, max: 255 };
  const gray = new Uint8Array(n); // jpeg-js writes gray as R = G = B
  for (let i = 0; i < n; i++) gray[i] = img.data[3 * i];
  return { width: img.width, height: img.height, channels: 1, data: gray, max: 255 };
}

/** A decoder's error as a short phrase (with its cause, which fast-png puts the inflate error in). */
function reasonOf(e: unknown): string {
  const err = e as Error & { cause?: unknown };
  const cause = err.cause instanceof Error ? ` ${err.cause.message}` : '';
  return `${String(err?.message ?? e).replace(/:$/, '')}${cause ? `:${cause}` : ''}`.slice(0, 160);
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels)
    throw new BadImage(
      `${width}x${height} image (${((width * height) / 1e6).toFixed(1)} megapixels) is over the limit of ${maxPixels} pixels (option \`maxImagePixels\`)`,
    );
}

/**
 * Decode a PNG or JPEG (by content, not by name); anything wrong is BadImage with a short
 * reason. A JPEG needs `jpeg` ({@link loadJpegDecoder}).
 */
export function decodeImage(bytes: Uint8Array, maxPixels: number, jpeg?: JpegDecoder): Pixels {
  const format = imageFormat(bytes);
  if (format === 'png') return decodePng(bytes, maxPixels);
  if (format === 'jpeg') {
    if (!jpeg) throw new Error('decodeImage: a JPEG needs the decoder from loadJpegDecoder()');
    return decodeJpeg(bytes, maxPixels, jpeg);
  }
  readImageHeader(bytes); // throws the reason
  throw new BadImage('not a PNG or JPEG file');
}
