import { Rng } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import type { Prediction } from './config.js';
import { DiffusionError } from './errors.js';
import { type DenoiseFn, runSampler, type SamplerOptions } from './sampler.js';
import { NoiseSchedule } from './schedule.js';

// Data x0 ~ N(MU, SIGMA^2) per value: the exact posterior means are known in closed form,
// so an oracle denoiser checks the samplers' algebra without any training.
const MU = 0.5;
const SIGMA = 0.3;

function oracle(s: NoiseSchedule, prediction: Prediction): DenoiseFn {
  return async (x, t) => {
    const sa = s.sqrtAlphaBar[t];
    const so = s.sqrtOneMinusAlphaBar[t];
    const v = s.alphaBar[t] * SIGMA ** 2 + 1 - s.alphaBar[t];
    return x.map((xt) => {
      const eps = (so * (xt - sa * MU)) / v;
      const x0 = MU + ((sa * SIGMA ** 2) / v) * (xt - sa * MU);
      return prediction === 'eps' ? eps : prediction === 'x0' ? x0 : sa * eps - so * x0;
    });
  };
}

function moments(x: Float32Array): { mean: number; std: number } {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  return { mean: m, std: Math.sqrt(s / (x.length - 1)) };
}

const base: SamplerOptions = {
  sampler: 'ddim',
  steps: 50,
  eta: 0,
  prediction: 'eps',
  clipDenoised: false,
  seed: 1,
};

describe('runSampler with the exact denoiser of a Gaussian', () => {
  const s = new NoiseSchedule('linear', 1000);
  const n = 12_000;
  it.each([
    ['ddpm', 1000, 0],
    ['ddim', 1000, 0],
    ['ddim', 1000, 1],
  ] as const)(
    '%s, all %i steps, eta %s: samples have the data mean and std',
    async (sampler, steps, eta) => {
      const { x, stats } = await runSampler(s, n, oracle(s, 'eps'), {
        ...base,
        sampler,
        steps,
        eta,
      });
      const m = moments(x);
      // standard errors 0.3 / sqrt(12000) = 0.0027 (mean), 0.002 (std)
      expect(Math.abs(m.mean - MU)).toBeLessThan(0.008);
      expect(Math.abs(m.std - SIGMA)).toBeLessThan(0.008);
      expect(stats.steps).toBe(steps);
    },
  );

  it('DDIM, 20 steps, eta 0: the std matches the closed form of the linear update', async () => {
    // With the exact denoiser each DDIM step is x_s = A x_t + b with
    // A = (sqrt(ab_s ab_t) sigma^2 + sqrt((1 - ab_s)(1 - ab_t))) / V_t, V_t = ab_t sigma^2 + 1 - ab_t
    // (A <= sqrt(V_s / V_t): few steps shrink the spread; the mean stays exact).
    const taus = [
      999, 946, 894, 841, 789, 736, 683, 631, 578, 526, 473, 420, 368, 315, 263, 210, 158, 105, 53,
      0,
    ];
    let variance = 1;
    taus.forEach((t, i) => {
      const abT = s.alphaBar[t];
      const abS = i + 1 < taus.length ? s.alphaBar[taus[i + 1]] : 1;
      const vt = abT * SIGMA ** 2 + 1 - abT;
      const a = (Math.sqrt(abS * abT) * SIGMA ** 2 + Math.sqrt((1 - abS) * (1 - abT))) / vt;
      variance *= a * a;
    });
    const { x } = await runSampler(s, n, oracle(s, 'eps'), { ...base, steps: 20 });
    const m = moments(x);
    expect(Math.abs(m.mean - MU)).toBeLessThan(0.008);
    expect(Math.abs(m.std - Math.sqrt(variance))).toBeLessThan(0.005);
    expect(m.std).toBeLessThan(SIGMA);
  });

  it('DDIM with eta = 0 is deterministic given the starting noise (the seed does not matter)', async () => {
    const noise = new Rng(5).normal(64);
    const a = await runSampler(s, 64, oracle(s, 'eps'), { ...base, noise, seed: 1 });
    const b = await runSampler(s, 64, oracle(s, 'eps'), { ...base, noise, seed: 2 });
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    const c = await runSampler(s, 64, oracle(s, 'eps'), { ...base, noise, seed: 2, eta: 1 });
    expect(Array.from(c.x)).not.toEqual(Array.from(a.x));
  });

  it('eps, x0 and v prediction give the same DDIM trajectory', async () => {
    const noise = new Rng(6).normal(256);
    const run = (p: Prediction) =>
      runSampler(s, 256, oracle(s, p), { ...base, noise, prediction: p });
    const eps = (await run('eps')).x;
    for (const p of ['x0', 'v'] as const) {
      const x = (await run(p)).x;
      for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(eps[i], 3);
    }
  });

  it('reports every step with its timestep and timings', async () => {
    const seen: number[] = [];
    await runSampler(s, 4, oracle(s, 'eps'), {
      ...base,
      steps: 4,
      onStep: (e) => {
        expect(e.steps).toBe(4);
        expect(e.x.length).toBe(4);
        expect(e.denoiserMs).toBeGreaterThanOrEqual(0);
        seen.push(e.t);
      },
    });
    expect(seen).toEqual([999, 666, 333, 0]);
  });

  it('refuses an unknown sampler, bad steps, a negative eta and noise of the wrong size', async () => {
    const f = oracle(s, 'eps');
    await expect(runSampler(s, 4, f, { ...base, sampler: 'euler' as 'ddim' })).rejects.toThrow(
      /unknown sampler 'euler'; expected one of ddpm, ddim/,
    );
    await expect(runSampler(s, 4, f, { ...base, steps: 1001 })).rejects.toThrow(
      /steps \(1001\) must be an integer in 1..1000/,
    );
    await expect(runSampler(s, 4, f, { ...base, steps: 0 })).rejects.toThrow(DiffusionError);
    await expect(runSampler(s, 4, f, { ...base, eta: -1 })).rejects.toThrow(/eta \(-1\)/);
    await expect(runSampler(s, 4, f, { ...base, noise: new Float32Array(3) })).rejects.toThrow(
      /3 values, expected 4/,
    );
  });
});
