import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '@genmodels/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { toNested, writeSamples } from './writers.js';

const tmp = await mkdtemp(join(tmpdir(), 'genmodels-writers-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('toNested', () => {
  it('rebuilds row-major data as nested arrays', () => {
    expect(toNested([2, 3], [1, 2, 3, 4, 5, 6])).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(toNested([1, 2, 1], [7, 8])).toEqual([[[7], [8]]]);
  });
});

describe('writeSamples', () => {
  const points = Tensor.from([
    [0, 1],
    [2, -1],
    [0.5, 0.5],
  ]);

  it('points: a scatter PNG and raw JSON', async () => {
    await writeSamples(join(tmp, 'p.png'), { kind: 'points', points, reference: points });
    expect((await readFile(join(tmp, 'p.png'))).subarray(1, 4).toString()).toBe('PNG');
    await writeSamples(join(tmp, 'p.json'), { kind: 'points', points });
    expect(JSON.parse(await readFile(join(tmp, 'p.json'), 'utf8'))[1]).toEqual([2, -1]);
  });

  it('points of 1 or 3 dimensions: a scatter of the first two (or along x)', async () => {
    const p3 = Tensor.from([
      [0, 1, 5],
      [2, -1, 7],
    ]);
    const p1 = Tensor.from([[0], [2]]);
    for (const [name, p] of [
      ['p3.png', p3],
      ['p1.png', p1],
    ] as const) {
      await writeSamples(join(tmp, name), { kind: 'points', points: p, reference: p });
      expect((await readFile(join(tmp, name))).subarray(1, 4).toString()).toBe('PNG');
    }
  });

  it('text: a text file or a JSON list; no picture, no npy', async () => {
    const texts = ['to be', 'or not'];
    await writeSamples(join(tmp, 't.txt'), { kind: 'text', texts });
    expect(await readFile(join(tmp, 't.txt'), 'utf8')).toBe('to be\n\nor not\n');
    await writeSamples(join(tmp, 't.json'), { kind: 'text', texts });
    expect(JSON.parse(await readFile(join(tmp, 't.json'), 'utf8'))).toEqual(texts);
    await expect(writeSamples(join(tmp, 't.png'), { kind: 'text', texts })).rejects.toThrow(
      UsageError,
    );
    await expect(writeSamples(join(tmp, 't.npy'), { kind: 'text', texts })).rejects.toThrow(
      /\.npy/,
    );
  });
});
