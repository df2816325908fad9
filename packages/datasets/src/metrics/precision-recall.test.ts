import { Rng, Tensor } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { MetricError } from './points.js';
import { precisionRecall } from './precision-recall.js';

/** n points of N(center, std^2 I) in d dimensions. */
function cloud(n: number, d: number, seed: number, center: number[] = [], std = 1): Tensor {
  const z = new Rng(seed).normal(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) z[i * d + j] = z[i * d + j] * std + (center[j] ?? 0);
  return new Tensor('float32', [n, d], z);
}

function rows(t: Tensor): number[][] {
  const [n, d] = t.shape;
  return Array.from({ length: n }, (_, i) =>
    Array.from(t.data.slice(i * d, (i + 1) * d) as Float32Array),
  );
}

/** The definition written out directly: sort all distances, take the k-th. */
function naive(real: number[][], gen: number[][], k: number) {
  const dist = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]));
  const radii = (s: number[][]) =>
    s.map(
      (p, i) =>
        s
          .filter((_, j) => j !== i)
          .map((q) => dist(p, q))
          .sort((a, b) => a - b)[k - 1],
    );
  const inside = (q: number[][], ref: number[][], r: number[]) =>
    q.filter((p) => ref.some((c, j) => dist(p, c) <= r[j])).length / q.length;
  return { precision: inside(gen, real, radii(real)), recall: inside(real, gen, radii(gen)) };
}

describe('precisionRecall (Kynkaanniemi et al. 2019)', () => {
  it('is 1 and 1 for a set against itself', () => {
    const x = cloud(200, 4, 1);
    expect(precisionRecall(x, x)).toEqual({ precision: 1, recall: 1, k: 3 });
  });

  it('matches the definition computed naively', () => {
    for (const [seed, shift, k] of [
      [1, 0, 3],
      [2, 1, 3],
      [3, 2, 1],
      [4, 0.5, 5],
    ] as const) {
      const real = rows(cloud(120, 3, seed));
      const gen = rows(cloud(90, 3, seed + 100, [shift, 0, 0], 0.7));
      const got = precisionRecall(real, gen, { k });
      const want = naive(real, gen, k);
      expect(got.precision).toBeCloseTo(want.precision, 12);
      expect(got.recall).toBeCloseTo(want.recall, 12);
      expect(got.k).toBe(k);
    }
  });

  it('separates realism from coverage: a collapse onto one of two modes keeps precision, halves recall', () => {
    const a = cloud(300, 2, 1, [-5, 0], 0.3);
    const b = cloud(300, 2, 2, [5, 0], 0.3);
    const real = new Tensor(
      'float32',
      [600, 2],
      Float32Array.from([...a.data, ...b.data] as number[]),
    );
    const collapsed = cloud(300, 2, 3, [-5, 0], 0.3);
    const { precision, recall } = precisionRecall(real, collapsed);
    expect(precision).toBeGreaterThan(0.9);
    expect(recall).toBeGreaterThan(0.4);
    expect(recall).toBeLessThan(0.55);
    // Far from the data: neither realistic nor covering.
    const far = precisionRecall(real, cloud(300, 2, 4, [0, 40], 0.3));
    expect(far.precision).toBe(0);
    expect(far.recall).toBe(0);
  });

  it('falls as the samples drift from the data', () => {
    const real = cloud(300, 8, 1);
    const ps = [0, 1, 2, 4].map((s) => precisionRecall(real, cloud(300, 8, 2, [s, s])).precision);
    for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeLessThan(ps[i - 1]);
  });

  it('names what is wrong', () => {
    const x = cloud(10, 2, 1);
    expect(() => precisionRecall(x, cloud(10, 3, 2))).toThrow(
      /real points have dimension 2 but generated ones 3/,
    );
    expect(() => precisionRecall(x, cloud(3, 2, 2))).toThrow(MetricError);
    expect(() => precisionRecall(x, cloud(3, 2, 2))).toThrow(
      /generated has 3 points; k = 3 needs at least 4/,
    );
    expect(() => precisionRecall(x, x, { k: 0 })).toThrow(/k must be an integer >= 1, got 0/);
    expect(() => precisionRecall(x, x, { k: 2.5 })).toThrow(/k must be an integer >= 1/);
    expect(() =>
      precisionRecall(
        [
          [0, Number.NaN],
          [1, 1],
        ],
        x,
        { k: 1 },
      ),
    ).toThrow(/real/);
  });
});
