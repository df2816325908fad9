import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataBudgetError,
  DataReadError,
  NpyFormatError,
  npyToTensor,
  parseNpy,
  parseNpz,
  readNpy,
  readNpz,
} from '../index.js';
import { makeNpy } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'genmodels-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f32 = new Float32Array([0.5, -1.25, 3e-8, 1e30, 7, -0]);
const f64 = new Float64Array([Math.PI, -1e-300, 2 ** 60, 0.1, 5, 6]);
const u8 = new Uint8Array([0, 1, 127, 128, 254, 255]);
const i64 = new BigInt64Array([0n, -1n, 9n, 2n ** 40n, -(2n ** 62n), 3n]);
const i32 = new Int32Array([-2147483648, 2147483647, 0, 1, -1, 5]);
const CASES = [
  ['<f4', 'float32', f32],
  ['<f8', 'float64', f64],
  ['|u1', 'uint8', u8],
  ['<i8', 'int64', i64],
  ['<i4', 'int32', i32],
] as const;

describe('readNpy', () => {
  it('round-trips every dtype, versions 1.0 and 2.0, from a path, bytes and a Blob', async () => {
    for (const [descr, dtype, data] of CASES)
      for (const version of [1, 2] as const) {
        const bytes = makeNpy(descr, [2, 3], data, { version });
        const path = join(dir, `${dtype}-v${version}.npy`);
        writeFileSync(path, bytes);
        for (const src of [path, bytes, new Blob([bytes as BlobPart])]) {
          const a = await readNpy(src);
          expect(a.dtype).toBe(dtype);
          expect(a.shape).toEqual([2, 3]);
          expect(Array.from(a.data as ArrayLike<number>)).toEqual(
            Array.from(data as ArrayLike<number>),
          );
        }
      }
  });

  it('makes tensors: float64 -> float32, int64 kept or range-checked into int32', async () => {
    const x = npyToTensor(parseNpy(makeNpy('<f8', [3, 2], f64)));
    expect(x.dtype).toBe('float32');
    expect(x.shape).toEqual([3, 2]);
    expect(x.data[0]).toBeCloseTo(Math.PI, 6);
    const labels = parseNpy(makeNpy('<i8', [4], new BigInt64Array([0n, 3n, 9n, 1n])));
    expect(npyToTensor(labels).dtype).toBe('int64');
    expect(Array.from(npyToTensor(labels, { int64: 'int32' }).data as Int32Array)).toEqual([
      0, 3, 9, 1,
    ]);
    expect(() => npyToTensor(parseNpy(makeNpy('<i8', [6], i64)), { int64: 'int32' })).toThrow(
      /int64 element 3 \(1099511627776\) does not fit in int32/,
    );
    expect(() => npyToTensor(parseNpy(makeNpy('<f8', [1], new Float64Array([1e300]))))).toThrow(
      NpyFormatError,
    );
    expect(npyToTensor(parseNpy(makeNpy('|u1', [2, 3], u8))).dtype).toBe('uint8');
  });

  it('transposes Fortran-order arrays into C order; reads scalars and empty arrays', () => {
    // C-order [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6
    const f = parseNpy(
      makeNpy('<f4', [2, 3], new Float32Array([1, 4, 2, 5, 3, 6]), { fortran: true }),
    );
    expect(Array.from(f.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    const f3 = parseNpy(
      makeNpy('<i4', [2, 2, 2], new Int32Array([0, 4, 2, 6, 1, 5, 3, 7]), { fortran: true }),
    );
    expect(Array.from(f3.data as Int32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(parseNpy(makeNpy('<f8', [], new Float64Array([2.5]))).shape).toEqual([]);
    expect(parseNpy(makeNpy('<f4', [0, 3], new Float32Array(0))).data.length).toBe(0);
  });

  it('names the file on bad magic, a bad header, an unsupported dtype, and data shorter or longer than the shape', async () => {
    const good = makeNpy('<f4', [2, 3], f32);
    const bad = (bytes: Uint8Array, name: string) => readNpy({ name, bytes }).catch((e) => e);
    const notNpy = new TextEncoder().encode('PK\u0003\u0004 this is a zip, not npy');
    let err = await bad(notNpy, 'a.npy');
    expect(err).toBeInstanceOf(NpyFormatError);
    expect(err.message).toBe(
      `'a.npy': not a .npy file: it starts with "PK\\x03\\x04 thi...", not "\\x93NUMPY"`,
    );
    expect(err.file).toBe('a.npy');
    const header = new TextDecoder().decode(good.subarray(10, 10 + (good[8] | (good[9] << 8))));
    const broken = good.slice();
    broken.set(new TextEncoder().encode(header.replace("'shape': (2, 3)", "'shape': [2, x]")), 10);
    err = await bad(broken, 'b.npy');
    expect(err).toBeInstanceOf(NpyFormatError);
    expect(err.message).toMatch(/^'b.npy': bad \.npy header/);
    const big = good.slice();
    big.set(new TextEncoder().encode(header.replace("'<f4'", "'>f4'")), 10);
    expect((await bad(big, 'c.npy')).message).toContain('big-endian');
    const c16 = good.slice();
    c16.set(new TextEncoder().encode(header.replace("'<f4'", "'<c8'")), 10);
    expect((await bad(c16, 'd.npy')).message).toContain('is not supported');
    err = await bad(good.subarray(0, good.length - 4), 'short.npy');
    expect(err).toBeInstanceOf(NpyFormatError);
    expect(err.message).toBe(
      "'short.npy': the header declares shape (2, 3) of float32, 24 bytes of data, but the file has 20 (truncated)",
    );
    const long = new Uint8Array(good.length + 1);
    long.set(good);
    expect((await bad(long, 'long.npy')).message).toContain('(trailing bytes)');
    expect((await bad(good.subarray(0, 30), 'hdr.npy')).message).toContain('truncated .npy header');
  });

  it('refuses a missing file, a file over maxBytes and a FIFO by name (skip the FIFO if mkfifo is unavailable)', async () => {
    let err = await readNpy(join(dir, 'missing.npy')).catch((e) => e);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain('no file at');
    const path = join(dir, 'ok.npy');
    writeFileSync(path, makeNpy('<f4', [2, 3], f32));
    err = await readNpy(path, { maxBytes: 50 }).catch((e) => e);
    expect(err).toBeInstanceOf(DataBudgetError);
    expect(err.message).toContain('maxBytes');
    const fifo = join(dir, 'pipe.npy');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return;
    }
    err = await readNpy(fifo).catch((e) => e);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain('FIFO');
    expect(err.file).toBe(fifo);
  });
});

describe('readNpz', () => {
  const arrays = {
    x: makeNpy('<f4', [2, 3], f32),
    y: makeNpy('<i8', [6], i64),
    img: makeNpy('|u1', [1, 2, 3], u8),
  };

  it('reads stored and deflated archives (np.savez / np.savez_compressed) with round-trip values', async () => {
    for (const level of [0, 6] as const) {
      const zip = zipSync(
        Object.fromEntries(Object.entries(arrays).map(([k, v]) => [`${k}.npy`, [v, { level }]])),
      );
      const path = join(dir, `a-${level}.npz`);
      writeFileSync(path, zip);
      const got = await readNpz(path);
      expect(Object.keys(got).sort()).toEqual(['img', 'x', 'y']);
      expect(Array.from(got.x.data as Float32Array)).toEqual(Array.from(f32));
      expect(Array.from(got.y.data as BigInt64Array)).toEqual(Array.from(i64));
      expect(got.img.shape).toEqual([1, 2, 3]);
      expect(Array.from(got.img.data as Uint8Array)).toEqual(Array.from(u8));
    }
  });

  it('names the file on a non-zip, a truncated zip, a corrupt entry, and a header that disagrees with the entry size', () => {
    expect(() => parseNpz(arrays.x, 'x.npz')).toThrow(
      /^'x\.npz': not a readable \.npz \(not a zip file/,
    );
    const zip = zipSync({ 'x.npy': [arrays.x, { level: 6 }] });
    expect(() => parseNpz(zip.subarray(0, zip.length - 30), 't.npz')).toThrow(NpyFormatError);
    const corrupt = zip.slice();
    corrupt[40] ^= 0xff; // inside the deflated data
    expect(() => parseNpz(corrupt, 'c.npz')).toThrow(NpyFormatError);
    expect(() => parseNpz(corrupt, 'c.npz')).toThrow(/^'c\.npz(:x\.npy)?': /);
    const late = zip.slice();
    late[late.findIndex((_, i) => i > 30 && late[i] === 0x50 && late[i + 1] === 0x4b) - 3] ^= 0x01; // near the end of the data
    expect(() => parseNpz(late, 'late.npz')).toThrow(/^'late\.npz(:x\.npy)?': /);
    // An entry whose .npy header declares more data than the entry holds.
    const lying = arrays.x.slice(0, arrays.x.length - 8);
    for (const level of [0, 6] as const) {
      const err = (() => {
        try {
          parseNpz(zipSync({ 'x.npy': [lying, { level }] }), 'l.npz');
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err).toBeInstanceOf(NpyFormatError);
      expect(err?.message).toContain('l.npz');
      expect(err?.message).toContain('shape (2, 3)');
    }
    expect(() => parseNpz(zip, 'm.npz', { maxBytes: 10 })).toThrow(DataBudgetError);
  });

  it('bounds inflation by the declared entry size (a lying size field stops at it)', () => {
    const zip = zipSync({ 'x.npy': [arrays.x, { level: 6 }] });
    // Shrink the central directory's uncompressed size: inflation must stop there, not grow.
    let cd = zip.length - 4;
    while (!(zip[cd] === 0x50 && zip[cd + 1] === 0x4b && zip[cd + 2] === 1 && zip[cd + 3] === 2))
      cd--;
    const lying = zip.slice();
    new DataView(lying.buffer).setUint32(cd + 24, 40, true);
    expect(() => parseNpz(lying, 's.npz')).toThrow(/'s\.npz': .*(declares|inflates to more than)/);
  });
});
