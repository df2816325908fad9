import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '@genmodels/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { DataReadError, readPoints, splitRows } from '../index.js';
import { makeNpy } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'genmodels-points-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, data: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

describe('readPoints', () => {
  it('reads CSV (with a header), TSV and .npy of any numeric dtype into [N, D] float32', async () => {
    const csv = await readPoints(file('p.csv', 'x,y\n1,2\n3,4.5\n'));
    expect(csv.shape).toEqual([2, 2]);
    expect([...csv.data]).toEqual([1, 2, 3, 4.5]);
    const tsv = await readPoints(file('p.tsv', '1\t2\t3\n4\t5\t6\n'));
    expect(tsv.shape).toEqual([2, 3]);
    const f8 = makeNpy('<f8', [2, 2], new Uint8Array(new Float64Array([1, -2, 0.5, 4]).buffer));
    const npy = await readPoints(file('p.npy', f8));
    expect(npy.dtype).toBe('float32');
    expect([...npy.data]).toEqual([1, -2, 0.5, 4]);
    const i8 = makeNpy('<i8', [1, 2], new Uint8Array(new BigInt64Array([7n, -3n]).buffer));
    expect([...(await readPoints(file('q.npy', i8))).data]).toEqual([7, -3]);
  });

  it('names what is wrong: the shape of an array, an unknown extension, NaN rows', async () => {
    const vec = makeNpy('<f4', [4], new Uint8Array(16));
    await expect(readPoints(file('v.npy', vec))).rejects.toThrow(
      /v\.npy: a point set is a 2-D array \[N, D\]; this one has shape \[4\]/,
    );
    await expect(readPoints(file('p.json', '[]'))).rejects.toThrow(
      /points are read from \.csv, \.tsv, \.txt or \.npy files, not \.json/,
    );
    const nan = makeNpy(
      '<f4',
      [2, 2],
      new Uint8Array(new Float32Array([1, 2, Number.NaN, 4]).buffer),
    );
    await expect(readPoints(file('n.npy', nan))).rejects.toThrow(
      /n\.npy: point 2 \(row 1\), value NaN: points must be finite/,
    );
    await expect(readPoints(file('n.npy', nan))).rejects.toBeInstanceOf(DataReadError);
  });
});

describe('splitRows', () => {
  const x = new Tensor(
    'float32',
    [10, 1],
    Float32Array.from({ length: 10 }, (_, i) => i),
  );
  it('holds out a seeded fraction, keeps order, covers every row once', () => {
    const a = splitRows(x, 0.3, 1);
    const b = splitRows(x, 0.3, 1);
    expect(a.val.shape).toEqual([3, 1]);
    expect(a.train.shape).toEqual([7, 1]);
    expect([...a.val.data]).toEqual([...b.val.data]);
    const all = [...a.train.data, ...a.val.data].sort((p, q) => p - q);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const val = [...a.val.data];
    expect(val).toEqual([...val].sort((p, q) => p - q));
    expect([...splitRows(x, 0.3, 2).val.data]).not.toEqual(val);
  });
  it('no held-out rows at 0; at least one above 0; a fraction outside [0, 1) is an error', () => {
    expect(splitRows(x, 0, 0).val.shape).toEqual([0, 1]);
    expect(splitRows(x, 0.01, 0).val.shape).toEqual([1, 1]);
    expect(() => splitRows(x, 1, 0)).toThrow(/valFraction \(1\) must be in \[0, 1\)/);
  });
});
