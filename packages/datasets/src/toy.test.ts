import { Rng } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { TOY_NAMES, ToyDataError, type ToyName, toyData, toyMixture } from './toy.js';

// Mean and its standard error of a list of numbers.
function meanSe(v: ArrayLike<number>): { mean: number; se: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i];
    s2 += v[i] * v[i];
  }
  const mean = s / v.length;
  return { mean, se: Math.sqrt(Math.max(0, s2 / v.length - mean * mean) / v.length) };
}

const column = (x: Float32Array, j: number) => x.filter((_, i) => i % 2 === j);

describe('toyData: every set', () => {
  it.each(TOY_NAMES)('%s: float32 [n, 2], finite, deterministic per seed', (name) => {
    const a = toyData(name, 301, 7);
    expect(a.dtype).toBe('float32');
    expect(a.shape).toEqual([301, 2]);
    expect(a.data.every(Number.isFinite)).toBe(true);
    expect(toyData(name, 301, 7).data).toEqual(a.data);
    expect(toyData(name, 301, new Rng(7)).data).toEqual(a.data);
    expect(toyData(name, 301, 8).data).not.toEqual(a.data);
    const rng = new Rng(3);
    expect(toyData(name, 50, rng).data).not.toEqual(toyData(name, 50, rng).data);
    expect(toyData(name, 0, 1).shape).toEqual([0, 2]);
  });

  it('rejects unknown names and bad sizes with ToyDataError', () => {
    expect(() => toyData('nope' as ToyName, 10, 0)).toThrow(ToyDataError);
    expect(() => toyData('toString' as ToyName, 10, 0)).toThrow(/unknown toy set 'toString'/);
    expect(() => toyData('moons', -1, 0)).toThrow(/n \(-1\) must be a non-negative integer/);
    expect(() => toyData('moons', 2.5, 0)).toThrow(ToyDataError);
    expect(() => toyMixture('moons' as '8gaussians')).toThrow(/not a mixture set/);
  });
});

describe('toyData: mixtures match their centers, std and equal weights', () => {
  it.each(['8gaussians', 'ring8', '25gaussians'] as const)('%s', (name) => {
    const n = 20000;
    const { centers, std } = toyMixture(name);
    const x = toyData(name, n, 11).data;
    const k = centers.length;
    const counts = new Array(k).fill(0);
    const dev: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const d = (x[2 * i] - centers[j][0]) ** 2 + (x[2 * i + 1] - centers[j][1]) ** 2;
        if (d < bestD) [best, bestD] = [j, d];
      }
      counts[best]++;
      dev.push((x[2 * i] - centers[best][0]) / std, (x[2 * i + 1] - centers[best][1]) / std);
    }
    // Weights 1/K: binomial standard error, 4.5 s.e. so that 25 modes rarely trip by chance.
    const se = Math.sqrt((1 / k) * (1 - 1 / k) * n);
    for (const c of counts) expect(Math.abs(c - n / k)).toBeLessThan(4.5 * se);
    // Standardized deviations: mean 0, variance 1 (s.e. of the variance ~ sqrt(2 / 2n)).
    const m = meanSe(dev);
    expect(Math.abs(m.mean)).toBeLessThan(4 * m.se);
    const v = meanSe(dev.map((d) => d * d));
    expect(Math.abs(v.mean - 1)).toBeLessThan(4 * v.se);
  });

  it('ring8 is 8 centers on the circle of radius 2 with std 0.02 (reference-configs)', () => {
    const { centers, std } = toyMixture('ring8');
    expect(std).toBe(0.02);
    expect(centers).toHaveLength(8);
    for (const [a, b] of centers) expect(Math.hypot(a, b)).toBeCloseTo(2, 12);
    // 8gaussians: radius 4 / 1.414 and std 0.5 / 1.414, so radius = 8 std.
    const g8 = toyMixture('8gaussians');
    expect(g8.std).toBeCloseTo(0.3536, 4);
    for (const [a, b] of g8.centers) expect(Math.hypot(a, b)).toBeCloseTo(8 * g8.std, 12);
    expect(toyMixture('25gaussians').centers).toHaveLength(25);
  });
});

describe('toyData: curve sets follow their definitions', () => {
  const n = 20000;

  it('moons: mean (0, 0.3), each moon at distance 2 from its center', () => {
    const x = toyData('moons', n, 5).data;
    const mx = meanSe(column(x, 0));
    const my = meanSe(column(x, 1));
    expect(Math.abs(mx.mean)).toBeLessThan(4 * mx.se);
    expect(Math.abs(my.mean - 0.3)).toBeLessThan(4 * my.se);
    // Upper moon: circle of radius 2 around (-1, -0.2); lower moon: around (1, 0.8).
    let near = 0;
    for (let i = 0; i < n; i++) {
      const up = Math.abs(Math.hypot(x[2 * i] + 1, x[2 * i + 1] + 0.2) - 2);
      const down = Math.abs(Math.hypot(x[2 * i] - 1, x[2 * i + 1] - 0.8) - 2);
      if (Math.min(up, down) < 0.6) near++; // 3 noise std
    }
    expect(near / n).toBeGreaterThan(0.995);
  });

  it('circles: half the points on radius 3, half on 1.5, noise 0.24', () => {
    const x = toyData('circles', n, 5).data;
    const outer: number[] = [];
    const inner: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = Math.hypot(x[2 * i], x[2 * i + 1]);
      (r > 2.25 ? outer : inner).push(r);
    }
    expect(Math.abs(outer.length - n / 2)).toBeLessThan(4 * Math.sqrt(n / 4));
    // E|c + noise| = R + std^2 / (2R) to second order.
    for (const [rs, R] of [
      [outer, 3],
      [inner, 1.5],
    ] as const) {
      const m = meanSe(rs);
      expect(Math.abs(m.mean - (R + 0.24 ** 2 / (2 * R)))).toBeLessThan(4 * m.se + 0.003);
    }
  });

  it('swissroll: 5|x| is t + noise with t uniform on [1.5 pi, 4.5 pi]', () => {
    const x = toyData('swissroll', n, 5).data;
    const r = Array.from({ length: n }, (_, i) => 5 * Math.hypot(x[2 * i], x[2 * i + 1]));
    const m = meanSe(r);
    // E t = 3 pi; the noise adds about E[1 / (2t)] = ln(3) / (4 pi) = 0.087 (second order).
    expect(Math.abs(m.mean - (3 * Math.PI + Math.log(3) / (4 * Math.PI)))).toBeLessThan(
      4 * m.se + 0.01,
    );
    expect(Math.min(...r)).toBeGreaterThan(1.5 * Math.PI - 5);
    expect(Math.max(...r)).toBeLessThan(4.5 * Math.PI + 5);
  });

  it('pinwheel: 5 equal arms whose angle is -(2 pi k / 5 + 0.25 e^r) at radius 2r', () => {
    const x = toyData('pinwheel', n, 5).data;
    const counts = [0, 0, 0, 0, 0];
    let close = 0;
    const radii: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = Math.hypot(x[2 * i], x[2 * i + 1]) / 2;
      radii.push(r);
      const angle = Math.atan2(x[2 * i + 1], x[2 * i]);
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let k = 0; k < 5; k++) {
        const expected = -((2 * Math.PI * k) / 5 + 0.25 * Math.exp(r));
        const d = Math.abs(Math.atan2(Math.sin(angle - expected), Math.cos(angle - expected)));
        if (d < bestD) [best, bestD] = [k, d];
      }
      counts[best]++;
      if (bestD < 0.3) close++; // tangential std 0.1 / radius ~1 is ~0.1 rad
    }
    for (const c of counts) expect(Math.abs(c - n / 5)).toBeLessThan(4 * Math.sqrt(0.16 * n));
    expect(close / n).toBeGreaterThan(0.97);
    radii.sort((a, b) => a - b);
    expect(Math.abs(radii[n / 2] - 1)).toBeLessThan(0.02); // radial median ~ 1
  });

  it('2spirals: point-symmetric arms, radius up to (3 pi + 0.71) / 3 plus noise', () => {
    const x = toyData('2spirals', n, 5).data;
    const mx = meanSe(column(x, 0));
    const my = meanSe(column(x, 1));
    expect(Math.abs(mx.mean)).toBeLessThan(4 * mx.se);
    expect(Math.abs(my.mean)).toBeLessThan(4 * my.se);
    const r = Array.from({ length: n }, (_, i) => Math.hypot(x[2 * i], x[2 * i + 1]));
    expect(Math.max(...r)).toBeLessThan((3 * Math.PI + 0.71) / 3 + 0.6);
    // 3|x| is about t = 3 pi sqrt(u) (mean 2 pi) shifted by the [0, 0.5)^2 offset.
    const m = meanSe(r.map((v) => 3 * v));
    expect(m.mean).toBeGreaterThan(2 * Math.PI - 0.4);
    expect(m.mean).toBeLessThan(2 * Math.PI + 0.4);
  });

  it('checkerboard: uniform on the 8 dark squares of side 2', () => {
    const x = toyData('checkerboard', n, 5).data;
    const cells = new Map<string, number>();
    let fracX = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.floor(x[2 * i] / 2);
      const b = Math.floor(x[2 * i + 1] / 2);
      expect(a >= -2 && a <= 1 && b >= -2 && b <= 1 && (a + b) % 2 === 0).toBe(true);
      cells.set(`${a},${b}`, (cells.get(`${a},${b}`) ?? 0) + 1);
      fracX += x[2 * i] / 2 - a;
    }
    expect(cells.size).toBe(8);
    for (const c of cells.values())
      expect(Math.abs(c - n / 8)).toBeLessThan(4 * Math.sqrt((7 / 64) * n));
    expect(Math.abs(fracX / n - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
  });
});
