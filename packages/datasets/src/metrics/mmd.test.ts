import { Rng, ShapeError, Tensor } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { energyDistance, mmd } from './mmd.js';
import { MetricError } from './points.js';

function gaussian(n: number, seed: number, shift = 0): Tensor {
  const z = new Rng(seed).normal(2 * n);
  for (let i = 0; i < n; i++) z[2 * i] += shift;
  return new Tensor('float32', [n, 2], z);
}

describe('mmd', () => {
  it('is exactly 0 for the same points (biased estimator)', () => {
    const x = gaussian(300, 1);
    expect(mmd(x, x)).toBe(0);
    expect(mmd(x, x.clone())).toBe(0);
  });

  it('matches the closed form for two single points', () => {
    // MMD^2 = k(a,a) + k(b,b) - 2 k(a,b) = sum_h (2 - 2 exp(-d^2 / (2 h^2))).
    const d2 = 0.3 ** 2 + 0.4 ** 2;
    const expected = [0.5, 1].reduce((s, h) => s + 2 - 2 * Math.exp(-d2 / (2 * h * h)), 0);
    expect(mmd([[0, 0]], [[0.3, 0.4]], { bandwidths: [0.5, 1] })).toBeCloseTo(expected, 14);
  });

  it('grows with a mean shift and is small for two draws of one distribution', () => {
    const x = gaussian(400, 1);
    const values = [0, 0.25, 0.5, 1, 2].map((s) => mmd(x, gaussian(400, 2, s)));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    expect(values[0]).toBeLessThan(0.1 * values[3]);
  });

  it('unbiased estimator drops the i = j terms', () => {
    // x = {0, 1}, y = {3} in 1-D (y needs 2 points: {3, 3}); bandwidth 1.
    const k = (d: number) => Math.exp(-(d * d) / 2);
    const x = [[0], [1]];
    const y = [[3], [3]];
    const kxx = k(1); // only the off-diagonal pair
    const kyy = k(0);
    const kxy = (k(3) + k(2)) / 2;
    expect(mmd(x, y, { bandwidths: [1], unbiased: true })).toBeCloseTo(kxx + kyy - 2 * kxy, 14);
    const biased = (2 + 2 * k(1)) / 4 + 1 - 2 * kxy;
    expect(mmd(x, y, { bandwidths: [1] })).toBeCloseTo(biased, 14);
  });

  it('validates its inputs', () => {
    expect(() => mmd([[0, 0]], [[0, 0, 0]])).toThrow(ShapeError);
    expect(() => mmd([[0, 0]], [[0, 0]], { bandwidths: [] })).toThrow(MetricError);
    expect(() => mmd([[0, 0]], [[0, 0]], { bandwidths: [0.1, -1] })).toThrow(/positive numbers/);
    expect(() => mmd([[0, Number.NaN]], [[0, 0]])).toThrow(/mmd: x: point 0 has a non-finite/);
    expect(() => mmd(new Tensor('float32', [4]), [[0]])).toThrow(/expected points \[n, d\]/);
    expect(() => mmd([[0]], [[1]], { unbiased: true })).toThrow(/needs >= 2 points/);
  });
});

describe('energyDistance', () => {
  it('is exactly 0 for identical sets', () => {
    const x = gaussian(200, 3);
    expect(energyDistance(x, x.clone())).toBe(0);
  });

  it('is 2 |a - b| for point masses, however many copies', () => {
    expect(energyDistance([[0, 0]], [[3, 4]])).toBe(10);
    expect(
      energyDistance(
        [
          [1, 1],
          [1, 1],
          [1, 1],
        ],
        [
          [4, 5],
          [4, 5],
        ],
      ),
    ).toBeCloseTo(10, 14);
  });

  it('matches a hand computation for {0, 1} vs {0}', () => {
    // 2 * mean|x - y| - mean|x - x'| - mean|y - y'| = 2 * 0.5 - 0.5 - 0 = 0.5
    expect(energyDistance([[0], [1]], [[0]])).toBeCloseTo(0.5, 15);
  });

  it('grows with a mean shift', () => {
    const x = gaussian(200, 1);
    const near = energyDistance(x, gaussian(200, 2, 0.5));
    const far = energyDistance(x, gaussian(200, 2, 2));
    expect(far).toBeGreaterThan(near);
    expect(near).toBeGreaterThan(energyDistance(x, gaussian(200, 2)));
    expect(() => energyDistance([[0]], [[0, 1]])).toThrow(ShapeError);
  });
});
