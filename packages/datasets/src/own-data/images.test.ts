import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DataBudgetError,
  DataReadError,
  EmptyDataError,
  ImageDecodeError,
  readImageFiles,
  readImageFolder,
} from '../index.js';
import { makeJpeg, makePalettePng, makePng } from './testing.js';
import { crc32 } from './zip.js';

let root: string;
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'genmodels-images-'));
  dirs.push(d);
  return d;
}

function put(dir: string, rel: string, bytes: Uint8Array | string): string {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

/** Values of image i, channel c of a [N, C, S, S] tensor. */
function plane(
  t: { shape: readonly number[]; data: Float32Array },
  i: number,
  c: number,
): Float32Array {
  const [, C, S] = t.shape;
  const per = S * S;
  return t.data.subarray((i * C + c) * per, (i * C + c + 1) * per);
}

const constant = (v: number[]) => () => v;
const PALETTE = [
  [10, 20, 30],
  [250, 128, 0],
];

function mkfifo(path: string): boolean {
  try {
    execFileSync('mkfifo', [path]);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  root = tempDir();
  // Two classes, every kind of PNG and a JPEG, all different sizes, each a constant color.
  put(root, 'cats/a-gray8.png', makePng(20, 30, 1, constant([51])));
  put(root, 'cats/b-gray16.png', makePng(40, 40, 1, constant([13107]), 16));
  put(root, 'cats/c.jpg', makeJpeg(50, 30, constant([200, 100, 50])));
  put(root, 'dogs/d-rgb.png', makePng(16, 16, 3, constant([255, 0, 128])));
  put(root, 'dogs/e-rgba.png', makePng(64, 32, 4, constant([255, 255, 255, 128])));
  put(
    root,
    'dogs/f-palette.png',
    makePalettePng(24, 24, PALETTE, () => 1),
  );
  put(root, 'dogs/g-rgb16.PNG', makePng(9, 12, 3, constant([65535, 0, 32768]), 16));
  put(root, 'notes.txt', 'not an image');
  put(root, 'dogs/.hidden.png', 'not read: hidden');
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('readImageFolder', () => {
  it('reads PNG (gray 8/16-bit, RGB, RGBA, palette) and JPEG of any size into one tensor with folder labels', async () => {
    const set = await readImageFolder(root, { size: 8 });
    expect(set.images.dtype).toBe('float32');
    expect(set.images.shape).toEqual([7, 3, 8, 8]);
    expect(set.channels).toBe(3);
    expect(set.classes).toEqual(['cats', 'dogs']);
    expect(set.files).toEqual([
      'cats/a-gray8.png',
      'cats/b-gray16.png',
      'cats/c.jpg',
      'dogs/d-rgb.png',
      'dogs/e-rgba.png',
      'dogs/f-palette.png',
      'dogs/g-rgb16.PNG',
    ]);
    expect(Array.from(set.labels?.data ?? [])).toEqual([0n, 0n, 0n, 1n, 1n, 1n, 1n]);
    expect(set.ignored).toEqual(['notes.txt']);
    expect(set.skipped).toEqual([]);
    // A constant-color image stays that color, in every pixel.
    const expected: [number, number[], number][] = [
      [0, [0.2, 0.2, 0.2], 1e-6],
      [1, [0.2, 0.2, 0.2], 1e-6],
      [2, [200 / 255, 100 / 255, 50 / 255], 3 / 255], // JPEG is lossy
      [3, [1, 0, 128 / 255], 1e-6],
      [4, [128 / 255, 128 / 255, 128 / 255], 1e-6], // white at alpha 128 over black
      [5, [250 / 255, 128 / 255, 0], 1e-6],
      [6, [1, 0, 32768 / 65535], 1e-6],
    ];
    for (const [i, rgb, tol] of expected)
      for (let c = 0; c < 3; c++)
        for (const v of plane(set.images, i, c))
          expect(Math.abs(v - rgb[c])).toBeLessThanOrEqual(tol);
  });

  it('keeps the halves of a half-black / half-white image when shrinking, cropping and enlarging', async () => {
    const dir = tempDir();
    const half = (x: number, w: number) => [x < w / 2 ? 0 : 255];
    put(
      dir,
      'a-square.png',
      makePng(32, 32, 1, (x) => half(x, 32)),
    );
    put(
      dir,
      'b-wide.png',
      makePng(64, 32, 1, (x) => half(x, 64)),
    ); // center crop keeps x in [16, 48)
    put(
      dir,
      'c-tall.png',
      makePng(16, 48, 1, (_, y) => half(y, 48)),
    ); // top half black
    const set = await readImageFolder(dir, { size: 8 });
    expect(set.images.shape).toEqual([3, 1, 8, 8]); // all gray: one channel
    expect(set.labels).toBeNull();
    for (const i of [0, 1]) {
      const p = plane(set.images, i, 0);
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) expect(p[y * 8 + x]).toBeCloseTo(x < 4 ? 0 : 1, 6);
    }
    const tall = plane(set.images, 2, 0);
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) expect(tall[y * 8 + x]).toBeCloseTo(y < 4 ? 0 : 1, 6);
    // Enlarging 4x4 to 8x8 (bilinear): the outer columns of each half stay exactly 0 / 1.
    const up = await readImageFiles(
      [{ name: 'up.png', bytes: makePng(4, 4, 1, (x) => half(x, 4)) }],
      { size: 8 },
    );
    const p = plane(up.images, 0, 0);
    expect(Array.from(p.subarray(0, 8)).map((v) => Number(v.toFixed(4)))).toEqual([
      0, 0, 0, 0.25, 0.75, 1, 1, 1,
    ]);
  });

  it('forces channels: 1 (BT.601 luma) and channels: 3 (gray repeated)', async () => {
    const red = makePng(4, 4, 3, constant([255, 0, 0]));
    const gray = makePng(4, 4, 1, constant([102]));
    const one = await readImageFiles([{ name: 'r.png', bytes: red }], { size: 2, channels: 1 });
    expect(one.images.shape).toEqual([1, 1, 2, 2]);
    for (const v of one.images.data) expect(v).toBeCloseTo(0.299, 6);
    const three = await readImageFiles([{ name: 'g.png', bytes: gray }], { size: 2, channels: 3 });
    expect(three.images.shape).toEqual([1, 3, 2, 2]);
    for (const v of three.images.data) expect(v).toBeCloseTo(0.4, 6);
  });

  it('readImageFiles gives the same result as the folder reader, for { name, bytes }, Blobs and Files', async () => {
    // A small Buffer shares Node's allocation pool: its own bytes are a slice of `.buffer`.
    const arrayBufferOf = (b: Buffer): ArrayBuffer =>
      b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    const { readFileSync } = await import('node:fs');
    const names = ['cats/a-gray8.png', 'cats/c.jpg', 'dogs/d-rgb.png', 'dogs/e-rgba.png'];
    const entries = [
      { name: names[3], bytes: new Blob([readFileSync(join(root, names[3]))]) },
      { name: names[0], bytes: new Uint8Array(readFileSync(join(root, names[0]))) },
      new File([readFileSync(join(root, names[2]))], names[2]),
      { name: 'cats\\c.jpg', bytes: arrayBufferOf(readFileSync(join(root, names[1]))) },
      { name: 'cats/readme.md', bytes: new Uint8Array(3) },
    ];
    const a = await readImageFiles(entries, { size: 6 });
    const b = await readImageFolder(root, { size: 6 });
    expect(a.files).toEqual(names);
    expect(a.ignored).toEqual(['cats/readme.md']);
    expect(a.classes).toEqual(['cats', 'dogs']);
    const pick = names.map((n) => b.files.indexOf(n));
    const per = 3 * 6 * 6;
    pick.forEach((j, i) => {
      expect(Array.from(a.images.data.subarray(i * per, (i + 1) * per))).toEqual(
        Array.from(b.images.data.subarray(j * per, (j + 1) * per)),
      );
    });
  });

  it('limit keeps an evenly spread, deterministic subset (every class keeps its share)', async () => {
    const dir = tempDir();
    for (let i = 0; i < 5; i++) put(dir, `a/${i}.png`, makePng(4, 4, 1, constant([i])));
    for (let i = 0; i < 5; i++) put(dir, `b/${i}.png`, makePng(4, 4, 1, constant([i])));
    const set = await readImageFolder(dir, { size: 4, limit: 4 });
    expect(set.files).toEqual(['a/0.png', 'a/2.png', 'b/0.png', 'b/2.png']);
    expect(Array.from(set.labels?.data ?? [])).toEqual([0n, 0n, 1n, 1n]);
  });

  it('names an undecodable file (truncated PNG, truncated JPEG, not an image), or skips it with skipUndecodable', async () => {
    const dir = tempDir();
    const png = makePng(20, 20, 3, constant([1, 2, 3]));
    const jpg = makeJpeg(20, 20, constant([1, 2, 3]));
    put(dir, 'x/good.png', png);
    put(dir, 'x/trunc.png', png.subarray(0, png.length - 30));
    put(dir, 'y/trunc.jpg', jpg.subarray(0, Math.floor(jpg.length * 0.6)));
    put(dir, 'y/text.png', 'hello\u0001 this is text');
    for (const [file, kind] of [
      ['x/trunc.png', /truncated PNG/],
      ['y/trunc.jpg', /truncated JPEG/],
      ['y/text.png', /not a PNG or JPEG file \(starts with "hello\\x01 t/],
    ] as const) {
      const entries = [
        { name: file, bytes: (await import('node:fs')).readFileSync(join(dir, file)) },
      ];
      const err = await readImageFiles(entries, { size: 4 }).catch((e) => e);
      expect(err).toBeInstanceOf(ImageDecodeError);
      expect(err.message).toContain(`'${file}'`);
      expect(err.message).toMatch(kind);
      expect(err.message).toContain('skipUndecodable');
      expect(err.file).toBe(file);
    }
    const err = await readImageFolder(dir, { size: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.message).toContain(join(dir, 'x/trunc.png'));
    for (const channels of [undefined, 3] as const) {
      const set = await readImageFolder(dir, { size: 4, skipUndecodable: true, channels });
      expect(set.files).toEqual(['x/good.png']);
      expect(set.skipped.map((s) => s.file)).toEqual(['x/trunc.png', 'y/text.png', 'y/trunc.jpg']);
      expect(set.images.shape).toEqual([1, 3, 4, 4]);
      expect(Array.from(set.labels?.data ?? [])).toEqual([0n]);
      expect(set.classes).toEqual(['x', 'y']);
    }
  });

  it('refuses a PNG whose image data inflates far beyond its declared size (decompression bomb)', async () => {
    const chunk = (type: string, data: Uint8Array) => {
      const out = new Uint8Array(12 + data.length);
      const dv = new DataView(out.buffer);
      dv.setUint32(0, data.length);
      for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
      out.set(data, 8);
      dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
      return out;
    };
    const ihdr = new Uint8Array([0, 0, 0, 4, 0, 0, 0, 4, 8, 0, 0, 0, 0]); // 4x4 gray
    // Over 64 KiB of compressed data could inflate past 64 MiB, so the stream is checked
    // (counted, not kept) before decoding; it stops at the 20 bytes a 4x4 image needs.
    const noise = new Uint8Array(200_000).map((_, i) => (i * 2654435761) >>> 24);
    const idat = new Uint8Array(deflateSync(noise, { level: 0 }));
    const parts = [
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', idat),
      chunk('IEND', new Uint8Array(0)),
    ];
    const bomb = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bomb.set(p, at);
      at += p.length;
    }
    const err = await readImageFiles([{ name: 'bomb.png', bytes: bomb }], {
      size: 4,
      channels: 1,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.message).toMatch(/'bomb.png'.*inflates to more than the 20 bytes a 4x4 image needs/);
  });

  it('refuses an image over maxImagePixels before decoding it, and a file over maxFileBytes', async () => {
    const big = makePng(64, 32, 1, constant([0]));
    const e1 = await readImageFiles([{ name: 'big.png', bytes: big }], {
      size: 4,
      maxImagePixels: 1000,
    }).catch((e) => e);
    expect(e1).toBeInstanceOf(ImageDecodeError);
    expect(e1.message).toContain('64x32 image');
    expect(e1.message).toContain('maxImagePixels');
    const e2 = await readImageFiles([{ name: 'big.png', bytes: big }], {
      size: 4,
      maxFileBytes: 10,
    }).catch((e) => e);
    expect(e2).toBeInstanceOf(DataBudgetError);
    expect(e2.message).toContain('big.png');
  });

  it('refuses, before decoding, a set over the memory budget, naming the estimate and the options', async () => {
    const err = await readImageFolder(root, { size: 64, maxMemoryBytes: 100_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(DataBudgetError);
    // 7 images, at least 1 channel before the headers are read: 7 x 1 x 64 x 64 x 4 = 114688 bytes
    expect(err.message).toContain(
      '7 images at 1x64x64 float32 need at least 112 KiB (7 x 1 x 64 x 64 x 4 bytes)',
    );
    expect(err.message).toMatch(
      /lower `size` \(59 fits\).*`limit` \(6 images fit\).*maxMemoryBytes/,
    );
    // Headers say RGB: 7 x 3 x 32 x 32 x 4 = 86016 bytes
    const err3 = await readImageFolder(root, { size: 32, maxMemoryBytes: 80_000 }).catch((e) => e);
    expect(err3).toBeInstanceOf(DataBudgetError);
    expect(err3.message).toContain('7 images at 3x32x32 float32 need 84 KiB');
    expect(err3.message).toContain('force `channels: 1`');
  });

  it('names an empty folder, a folder of non-images, a missing folder, a file, and top-level images with folder labels', async () => {
    const empty = tempDir();
    let err = await readImageFolder(empty, { size: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(EmptyDataError);
    expect(err.message).toContain(`'${empty}' has no PNG or JPEG images`);
    put(empty, 'a/b.txt', 'x');
    err = await readImageFolder(empty, { size: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(EmptyDataError);
    expect(err.message).toContain("1 other file ignored, e.g. 'a/b.txt'");
    err = await readImageFolder(join(empty, 'nope'), { size: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain('no folder at');
    err = await readImageFolder(join(empty, 'a/b.txt'), { size: 4 }).catch((e) => e);
    expect(err.message).toContain('is a file');
    err = await readImageFiles([], { size: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(EmptyDataError);
    const mixed = tempDir();
    put(mixed, 'top.png', makePng(2, 2, 1, constant([0])));
    put(mixed, 'cls/in.png', makePng(2, 2, 1, constant([0])));
    err = await readImageFolder(mixed, { size: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toMatch(/top.png' is at the top level.*labels: 'none'/);
    const flat = await readImageFolder(mixed, { size: 2, labels: 'none' });
    expect(flat.files).toEqual(['top.png', 'cls/in.png'].sort());
    expect(flat.labels).toBeNull();
    err = await readImageFolder(mixed, { size: 0 }).catch((e) => e);
    expect(err.message).toContain('option `size` must be an integer');
  });

  it('never blocks on a FIFO: as the folder, or as an image inside it (skip if mkfifo is unavailable)', async () => {
    const dir = tempDir();
    put(dir, 'c/ok.png', makePng(2, 2, 1, constant([0])));
    if (!mkfifo(join(dir, 'c/pipe.png')) || !mkfifo(join(dir, 'fifo'))) return;
    let err = await readImageFolder(dir, { size: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain(join(dir, 'c/pipe.png'));
    expect(err.message).toContain('FIFO');
    const set = await readImageFolder(dir, { size: 2, skipUndecodable: true });
    expect(set.files).toEqual(['c/ok.png']);
    expect(set.skipped[0].reason).toContain('FIFO');
    err = await readImageFolder(join(dir, 'fifo'), { size: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain('is a FIFO (named pipe), not a folder');
  });
});
