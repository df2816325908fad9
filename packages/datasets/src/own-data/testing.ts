/**
 * Fixtures for the own-data tests and bench: small synthetic PNG / JPEG / .npy files made
 * in memory. Not published (package.json "files" leaves out src/** /testing.ts).
 */
import { encode as encodePngFile } from 'fast-png';
import { encode as encodeJpegFile } from 'jpeg-js';

/** A PNG of `width` x `height` with `channels` (1..4) samples per pixel from `pixel(x, y)`, at `depth` bits. */
export function makePng(
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  pixel: (x: number, y: number) => number[],
  depth: 8 | 16 = 8,
): Uint8Array {
  const data =
    depth === 16
      ? new Uint16Array(width * height * channels)
      : new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = pixel(x, y);
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = v[c];
    }
  return encodePngFile({ width, height, channels, depth, data });
}

/** A palette PNG (8-bit indices) whose pixel (x, y) is `palette[index(x, y)]`. */
export function makePalettePng(
  width: number,
  height: number,
  palette: number[][],
  index: (x: number, y: number) => number,
): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = index(x, y);
  return encodePngFile({ width, height, channels: 1, depth: 8, data, palette });
}

/** A baseline JPEG (YCbCr) of `rgb(x, y)` at `quality`. */
export function makeJpeg(
  width: number,
  height: number,
  rgb: (x: number, y: number) => number[],
  quality = 95,
): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return new Uint8Array(encodeJpegFile({ width, height, data }, quality).data);
}

/** `.npy` bytes (format 1.0, or 2.0 with `version: 2`) for `data` of `shape` with numpy dtype string `descr`. */
export function makeNpy(
  descr: string,
  shape: number[],
  data: ArrayBufferView,
  opts: { version?: 1 | 2; fortran?: boolean } = {},
): Uint8Array {
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - pre - 1, ' ')}\n`;
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
