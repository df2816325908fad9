import { Tensor } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { TOY_ENTROPY, ToyDataError, toyData } from './toy.js';
import { type DensityToyName, toyLogDensity } from './toy-density.js';

describe('toyLogDensity', () => {
  // Riemann sum of p over a grid that holds all the mass: must be 1.
  it.each([
    ['moons', 4],
    ['circles', 5],
    ['swissroll', 4.5],
    ['8gaussians', 5],
    ['checkerboard', 4],
  ] as const)('%s integrates to 1 over [-h, h]^2, h = %d', (name, half) => {
    const m = 160;
    const h = (2 * half) / m;
    const pts: number[][] = [];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) pts.push([-half + (i + 0.5) * h, -half + (j + 0.5) * h]);
    const lp = toyLogDensity(name, pts);
    let total = 0;
    for (const v of lp) total += Math.exp(v) * h * h;
    expect(Math.abs(total - 1)).toBeLessThan(2e-3);
  });

  it('is exact for a mixture at a center and for the checkerboard', () => {
    // ring8 at a center: the other modes contribute nothing; p = 1/8 * 1 / (2 pi 0.02^2).
    const [c] = toyLogDensity('ring8', [[2, 0]]);
    expect(c).toBeCloseTo(-Math.log(8) - Math.log(2 * Math.PI * 0.0004), 10);
    const board = toyLogDensity('checkerboard', [
      [0.5, 0.5],
      [0.5, 2.5],
      [-3, -3],
      [4.5, 0],
    ]);
    expect(Array.from(board)).toEqual([
      -Math.log(32),
      Number.NEGATIVE_INFINITY,
      -Math.log(32),
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it('accepts Tensors [n, 2] and rejects other shapes and names', () => {
    const t = new Tensor('float32', [2, 2], Float32Array.from([0, 1, 2, 3]));
    expect(toyLogDensity('moons', t)).toEqual(
      toyLogDensity('moons', [
        [0, 1],
        [2, 3],
      ]),
    );
    expect(() => toyLogDensity('moons', new Tensor('float32', [2, 3]))).toThrow(ToyDataError);
    expect(() => toyLogDensity('pinwheel' as DensityToyName, [[0, 0]])).toThrow(
      /no density for 'pinwheel'/,
    );
  });
});

describe('TOY_ENTROPY matches a Monte-Carlo estimate -mean log p(x) over generated x', () => {
  // The estimator's standard error is std(log p) / sqrt(n); 4 s.e. leaves a false-alarm rate
  // of ~1e-4 per set, and a wrong scale or noise level moves the estimate by > 0.05.
  it.each(['moons', '8gaussians', 'circles', 'swissroll', 'ring8', '25gaussians'] as const)(
    '%s',
    (name) => {
      const n = 10000;
      const lp = toyLogDensity(name, toyData(name, n, 2024));
      let s = 0;
      let s2 = 0;
      for (const v of lp) {
        s -= v;
        s2 += v * v;
      }
      const h = s / n;
      const se = Math.sqrt((s2 / n - h * h) / n);
      expect(se).toBeLessThan(0.011);
      expect(Math.abs(h - TOY_ENTROPY[name]!)).toBeLessThan(4 * se);
    },
  );

  it('checkerboard: every point lies in the support of area 32, so H = log 32 exactly', () => {
    const lp = toyLogDensity('checkerboard', toyData('checkerboard', 10000, 2024));
    expect(lp.every((v) => v === -Math.log(32))).toBe(true);
    expect(TOY_ENTROPY.checkerboard).toBeCloseTo(3.466, 3); // reference-configs
  });

  it('documents the reference-configs values', () => {
    expect(TOY_ENTROPY.moons).toBe(2.391);
    expect(TOY_ENTROPY['8gaussians']).toBe(2.834);
    expect(TOY_ENTROPY.pinwheel).toBeUndefined();
  });
});
