import { Rng } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { matmul, sqrtmPsd, symmetricEigen, traceSqrtmPsd } from './linalg.js';
import { MetricError } from './points.js';

function randomSymmetric(d: number, seed: number): Float64Array {
  const r = new Rng(seed).normal(d * d);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) a[i * d + j] = r[i * d + j] + r[j * d + i];
  return a;
}

const transpose = (a: Float64Array, d: number) =>
  a.map((_, k) => a[(k % d) * d + Math.floor(k / d)]);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('symmetricEigen', () => {
  it('finds {1, 3} for [[2, 1], [1, 2]]', () => {
    const { values } = symmetricEigen([2, 1, 1, 2], 2);
    expect(Array.from(values).sort()).toEqual([expect.closeTo(1, 14), expect.closeTo(3, 14)]);
  });

  it('reconstructs a random symmetric 12x12 matrix with orthonormal vectors', () => {
    const d = 12;
    const a = randomSymmetric(d, 4);
    const { values, vectors } = symmetricEigen(a, d);
    const v = vectors!;
    const vd = v.map((x, k) => x * values[k % d]);
    expect(maxAbsDiff(matmul(vd, transpose(v, d), d), a)).toBeLessThan(1e-12);
    const eye = Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0));
    expect(maxAbsDiff(matmul(transpose(v, d), v, d), eye)).toBeLessThan(1e-13);
    expect(symmetricEigen(a, d, false).vectors).toBeUndefined();
  });

  it('rejects a wrong number of values', () => {
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(MetricError);
  });
});

describe('sqrtmPsd', () => {
  it('is the principal square root of a PSD matrix', () => {
    expect(Array.from(sqrtmPsd([4, 0, 0, 9], 2))).toEqual([2, 0, 0, 3]);
    const d = 10;
    const b = randomSymmetric(d, 9);
    const psd = matmul(b, b, d); // B B^T with B symmetric
    const r = sqrtmPsd(psd, d);
    expect(maxAbsDiff(matmul(r, r, d), psd)).toBeLessThan(1e-10);
    expect(maxAbsDiff(r, transpose(r, d))).toBeLessThan(1e-12);
    expect(traceSqrtmPsd(psd, d)).toBeCloseTo(
      r.reduce((s, x, k) => (k % (d + 1) === 0 ? s + x : s), 0),
      10,
    );
  });

  it('clamps rounding-level negative eigenvalues of a singular matrix and rejects indefinite ones', () => {
    // [[1, 1], [1, 1]] has eigenvalues {2, 0}; its root is the matrix / sqrt(2).
    const r = sqrtmPsd([1, 1 + 1e-17, 1, 1], 2);
    expect(
      maxAbsDiff(
        r,
        [1, 1, 1, 1].map((x) => x / Math.SQRT2),
      ),
    ).toBeLessThan(1e-12);
    expect(() => sqrtmPsd([1, 0, 0, -1], 2)).toThrow(/not positive semi-definite/);
    expect(() => traceSqrtmPsd([1, 2, 2, 1], 2)).toThrow(MetricError);
  });
});
