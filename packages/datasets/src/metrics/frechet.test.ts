import { Rng, ShapeError, Tensor } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { frechetDistance, frechetFromSamples, gaussianStats } from './frechet.js';
import { matmul } from './linalg.js';
import { MetricError } from './points.js';

// A seeded orthogonal matrix [d, d] (Gram-Schmidt of Gaussian columns), row-major.
function orthogonal(d: number, seed: number): Float64Array {
  const g = new Rng(seed).normal(d * d);
  const q = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) q[i * d + j] = g[i * d + j];
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[i * d + j] * q[i * d + k];
      for (let i = 0; i < d; i++) q[i * d + j] -= dot * q[i * d + k];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += q[i * d + j] ** 2;
    for (let i = 0; i < d; i++) q[i * d + j] /= Math.sqrt(norm);
  }
  return q;
}

// Q diag(l) Q^T
function withEigen(q: Float64Array, l: number[]): Float64Array {
  const d = l.length;
  const ql = q.map((x, k) => x * l[k % d]);
  const qt = q.map((_, k) => q[(k % d) * d + Math.floor(k / d)]);
  return matmul(ql, qt, d);
}

describe('frechetDistance', () => {
  it('diagonal case: |mu1 - mu2|^2 + sum (sqrt(a) - sqrt(b))^2', () => {
    expect(
      frechetDistance(
        [0, 0],
        [
          [1, 0],
          [0, 1],
        ],
        [3, 4],
        [
          [4, 0],
          [0, 9],
        ],
      ),
    ).toBeCloseTo(30, 12);
  });

  it('non-commuting 2x2 case: 9 - 2 sqrt(10 + 4 sqrt 3)', () => {
    // For 2x2, tr sqrt(S1 S2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)); here tr = 10, dets 3 and 4.
    const s1 = [
      [2, 1],
      [1, 2],
    ];
    const s2 = [
      [1, 0],
      [0, 4],
    ];
    const expected = 9 - 2 * Math.sqrt(10 + 4 * Math.sqrt(3));
    expect(frechetDistance([1, 2], s1, [1, 2], s2)).toBeCloseTo(expected, 12);
    expect(frechetDistance([1, 2], s2, [1, 2], s1)).toBeCloseTo(expected, 12);
    expect(
      frechetDistance(
        [0, 0],
        [
          [1, 0],
          [0, 1],
        ],
        [0, 0],
        s1,
      ),
    ).toBeCloseTo(4 - 2 * Math.sqrt(3), 12);
  });

  it('shared eigenvectors in 8-D: sum (sqrt(a_i) - sqrt(b_i))^2', () => {
    const q = orthogonal(8, 3);
    const a = [0.1, 0.5, 1, 2, 3, 4, 5, 9];
    const b = [1, 1, 0.25, 4, 3, 0.01, 5, 1];
    const expected = a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i])) ** 2, 0);
    const mu = new Array(8).fill(0);
    const got = frechetDistance(mu, withEigen(q, a), mu, withEigen(q, b));
    expect(got).toBeCloseTo(expected, 10);
  });

  it('is 0 for identical Gaussians, also singular ones, and accepts Tensors', () => {
    const s = new Tensor('float32', [2, 2], Float32Array.from([1, 1, 1, 1]));
    const mu = new Tensor('float32', [2], Float32Array.from([1, -1]));
    expect(frechetDistance(mu, s, mu, s)).toBeLessThan(1e-12);
    // Rank-1 S1 = [[1,1],[1,1]] vs I: tr S1 + tr I - 2 tr sqrt(S1) = 4 - 2 sqrt 2.
    expect(frechetDistance(mu, s, mu, [1, 0, 0, 1])).toBeCloseTo(4 - 2 * Math.SQRT2, 12);
  });

  it('validates shapes and positive semi-definiteness', () => {
    expect(() =>
      frechetDistance(
        [0],
        [[1]],
        [0, 0],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    ).toThrow(ShapeError);
    expect(() => frechetDistance([0, 0], [1, 0, 0], [0, 0], [1, 0, 0, 1])).toThrow(
      /expected 4 values/,
    );
    expect(() =>
      frechetDistance(
        [0, 0],
        [
          [1, 0],
          [0, -1],
        ],
        [0, 0],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    ).toThrow(MetricError);
    expect(() => frechetDistance([0], [[Number.NaN]], [0], [[1]])).toThrow(/non-finite/);
  });
});

describe('gaussianStats and frechetFromSamples', () => {
  it('computes the mean and the unbiased covariance (n - 1)', () => {
    const { mean, cov } = gaussianStats([
      [0, 0],
      [2, 0],
      [0, 2],
      [2, 2],
    ]);
    expect(Array.from(mean)).toEqual([1, 1]);
    expect(Array.from(cov)).toEqual([4 / 3, 0, 0, 4 / 3]);
    expect(() => gaussianStats([[1, 2]])).toThrow(/need >= 2 points/);
  });

  it('is 0 for identical samples and converges to the closed form for large samples', () => {
    const n = 40000;
    const rng = new Rng(17);
    const za = rng.normal(2 * n);
    const zb = rng.normal(2 * n);
    // b = L z + m with L = [[2, 0], [1, 1]]: covariance L L^T = [[4, 2], [2, 2]], mean (1, -1).
    const b = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      b[2 * i] = 2 * zb[2 * i] + 1;
      b[2 * i + 1] = zb[2 * i] + zb[2 * i + 1] - 1;
    }
    const ta = new Tensor('float32', [n, 2], za);
    const tb = new Tensor('float32', [n, 2], b);
    expect(frechetFromSamples(ta, ta)).toBeLessThan(1e-9);
    const exact = frechetDistance(
      [0, 0],
      [
        [1, 0],
        [0, 1],
      ],
      [1, -1],
      [
        [4, 2],
        [2, 2],
      ],
    );
    // Sampling error of the mean and covariance terms is O(1 / sqrt(n)) ~ 0.01 here.
    expect(Math.abs(frechetFromSamples(ta, tb) - exact)).toBeLessThan(0.05);
    expect(() =>
      frechetFromSamples(ta, [
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ).toThrow(ShapeError);
  });
});
