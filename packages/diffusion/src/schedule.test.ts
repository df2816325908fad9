import { Rng, Tensor } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { DiffusionError } from './errors.js';
import { NoiseSchedule, samplingTimesteps } from './schedule.js';

/** Reference arrays in float64, written out from the papers' formulas (1-based step k = t + 1). */
function reference(kind: 'linear' | 'cosine', T: number) {
  const betas: number[] = [];
  if (kind === 'linear') {
    const step = (0.02 - 1e-4) / (T - 1);
    for (let k = 1; k <= T; k++) betas.push(1e-4 + (k - 1) * step);
  } else {
    const abar = (k: number) => Math.cos(((k / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (let k = 1; k <= T; k++) betas.push(Math.min(0.999, 1 - abar(k) / abar(k - 1)));
  }
  const alphaBar: number[] = [];
  betas.reduce((p, b) => {
    const v = p * (1 - b);
    alphaBar.push(v);
    return v;
  }, 1);
  const prev = [1, ...alphaBar.slice(0, -1)];
  const postVar = betas.map((b, i) => (b * (1 - prev[i])) / (1 - alphaBar[i]));
  return {
    betas,
    alphaBar,
    postVar,
    postLogVar: postVar.map((v, i) => Math.log(i === 0 ? postVar[1] : v)),
    coef1: betas.map((b, i) => (b * Math.sqrt(prev[i])) / (1 - alphaBar[i])),
    coef2: betas.map((b, i) => ((1 - prev[i]) * Math.sqrt(1 - b)) / (1 - alphaBar[i])),
  };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('NoiseSchedule', () => {
  it.each([
    ['linear', 1000],
    ['cosine', 1000],
    ['linear', 37],
    ['cosine', 37],
  ] as const)('%s, T = %i: every array matches the reference formulas to 1e-6', (kind, T) => {
    const s = new NoiseSchedule(kind, T);
    const r = reference(kind, T);
    expect(maxDiff(s.betas, r.betas)).toBeLessThan(1e-6);
    expect(
      maxDiff(
        s.alphas,
        r.betas.map((b) => 1 - b),
      ),
    ).toBeLessThan(1e-6);
    expect(maxDiff(s.alphaBar, r.alphaBar)).toBeLessThan(1e-6);
    expect(maxDiff(s.posteriorVariance, r.postVar)).toBeLessThan(1e-6);
    expect(maxDiff(s.posteriorLogVarianceClipped, r.postLogVar)).toBeLessThan(1e-6);
    expect(maxDiff(s.posteriorMeanCoef1, r.coef1)).toBeLessThan(1e-6);
    expect(maxDiff(s.posteriorMeanCoef2, r.coef2)).toBeLessThan(1e-6);
  });

  it('linear runs 1e-4..0.02; cosine clips at 0.999 and ends with alpha_bar near 0', () => {
    const lin = new NoiseSchedule('linear', 1000);
    expect(lin.betas[0]).toBeCloseTo(1e-4, 12);
    expect(lin.betas[999]).toBeCloseTo(0.02, 12);
    const cos = new NoiseSchedule('cosine', 1000);
    expect(cos.betas[999]).toBe(0.999);
    expect(Math.max(...cos.betas)).toBeLessThanOrEqual(0.999);
    expect(cos.alphaBar[999]).toBeLessThan(1e-6);
    expect(cos.posteriorVariance[0]).toBe(0);
  });

  it('qSample: per-row mean sqrt(ab) x0 and variance 1 - ab over many draws', () => {
    const s = new NoiseSchedule('cosine', 1000);
    const n = 20_000;
    const ts = [0, 250, 600, 999];
    const rng = new Rng(7);
    for (const t of ts) {
      const x0 = new Tensor('float32', [n, 2], new Float32Array(2 * n).fill(0.8));
      const noise = new Tensor('float32', [n, 2], rng.normal(2 * n));
      const xt = s.qSample(x0, new Int32Array(n).fill(t), noise).data as Float32Array;
      let m = 0;
      for (const v of xt) m += v;
      m /= xt.length;
      let v2 = 0;
      for (const v of xt) v2 += (v - m) ** 2;
      v2 /= xt.length - 1;
      const mean = 0.8 * s.sqrtAlphaBar[t];
      const variance = 1 - s.alphaBar[t];
      // Standard errors: sqrt(var / 40000) for the mean, var * sqrt(2 / 40000) for the variance.
      expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(variance / (2 * n)) + 1e-7);
      expect(Math.abs(v2 - variance)).toBeLessThan(5 * variance * Math.sqrt(2 / (2 * n)) + 1e-9);
    }
  });

  it('qSample refuses mismatched inputs and timesteps out of range', () => {
    const s = new NoiseSchedule('linear', 10);
    const x = Tensor.zeros([2, 2]);
    expect(() => s.qSample(x, [0, 1], Tensor.zeros([3, 2]))).toThrow(DiffusionError);
    expect(() => s.qSample(x, [0], x)).toThrow(/1 timesteps for 2 rows/);
    expect(() => s.qSample(x, [0, 10], x)).toThrow(/t \(10\) must be an integer in 0..9/);
  });

  it('samplingTimesteps: evenly spaced, decreasing, from T-1 to 0; refuses steps outside 1..T', () => {
    expect(samplingTimesteps(1000, 5)).toEqual([999, 749, 500, 250, 0]);
    expect(samplingTimesteps(10, 10)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(samplingTimesteps(1000, 1)).toEqual([999]);
    expect(new Set(samplingTimesteps(1000, 999)).size).toBe(999);
    expect(() => samplingTimesteps(1000, 1001)).toThrow(
      /steps \(1001\) must be an integer in 1..1000/,
    );
    expect(() => samplingTimesteps(1000, 0)).toThrow(DiffusionError);
  });
});
