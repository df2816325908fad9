/**
 * Reverse-process samplers on the host over a compiled denoiser: DDPM ancestral sampling
 * (posterior variance) and DDIM (eta, any number of steps), both over an evenly spaced
 * subsequence tau of 0..T-1. For consecutive tau_i = t > s = tau_{i+1} (s = -1: ab_s = 1):
 *
 *   x0^ = from the model output (eps, x0 or v), optionally clipped to [-1, 1]
 *   eps^ = (x_t - sqrt(ab_t) x0^) / sqrt(1 - ab_t)
 *   DDPM:  x_s = coef1 x0^ + coef2 x_t + sqrt(var) z, with the posterior of the respaced
 *          chain (beta = 1 - ab_t / ab_s); with all T steps this is Ho et al.'s sampler.
 *   DDIM:  sigma = eta sqrt((1 - ab_s) / (1 - ab_t)) sqrt(1 - ab_t / ab_s),
 *          x_s = sqrt(ab_s) x0^ + sqrt(1 - ab_s - sigma^2) eps^ + sigma z.
 *
 * The update runs in float64 per element; only the denoiser runs in ONNX Runtime.
 */
import { type FamilySampleOptions, Rng } from '@genmodels/runtime';
import type { Prediction, SamplerKind } from './config.js';
import { DiffusionError } from './errors.js';
import { type NoiseSchedule, samplingTimesteps } from './schedule.js';

/** Options of `Diffusion.sample` / `sampleFlat` (defaults from the config). */
export interface DiffusionSampleOptions extends FamilySampleOptions {
  /** Denoising steps (1..T; default the config's sampleSteps). */
  steps?: number;
  sampler?: SamplerKind;
  /** DDIM stochasticity (default 0: deterministic given the starting noise). */
  eta?: number;
  /**
   * Classifier-free guidance weight w >= 0 (conditional models; default the config's):
   * out = (1 + w) out(x, y) - w out(x, null), on the model output (eps for eps prediction).
   */
  guidance?: number;
  /** One class per sample (conditional models; default 0..K-1 in turn). */
  labels?: readonly number[];
  /** One class for every sample (e.g. the CLI's `--label 7`). */
  label?: number;
  /** Seed of the starting noise and the sampler's noise (default 0). */
  seed?: number;
  /** Starting noise x_T, flat [n * example size] (default: N(0, I) from `seed`). */
  noise?: Float32Array;
  /** Use the EMA weights when there are any (default true). */
  ema?: boolean;
  /** Called after every denoising step. */
  onStep?: (e: SamplerStep) => void;
}

/** One step of the reverse process, as reported to `onStep`. */
export interface SamplerStep {
  /** 1-based index of the step just taken, of `steps`. */
  step: number;
  steps: number;
  /** The timestep the denoiser saw at this step. */
  t: number;
  /** The state after this step (x_s), [n * example size]; a live view, copy what you keep. */
  x: Float32Array;
  /** Milliseconds in the denoiser call (ORT session run with feeds) and in the host update. */
  denoiserMs: number;
  hostMs: number;
}

/** Options of {@link runSampler}. */
export interface SamplerOptions {
  sampler: SamplerKind;
  steps: number;
  /** DDIM stochasticity (0: deterministic; 1: DDPM-like variance). */
  eta: number;
  prediction: Prediction;
  clipDenoised: boolean;
  /** Seed of the starting noise x_T and of the per-step noise. */
  seed: number;
  /** Starting noise x_T (default: N(0, I) from Rng(seed)). */
  noise?: Float32Array;
  onStep?: (e: SamplerStep) => void;
}

/** Timing of one sampling run. */
export interface SamplerStats {
  steps: number;
  denoiserMs: number;
  hostMs: number;
}

/** Model output for x_t (flat, n rows) at timestep t. */
export type DenoiseFn = (x: Float32Array, t: number) => Promise<Float32Array>;

export const SAMPLERS: readonly SamplerKind[] = ['ddpm', 'ddim'];

/**
 * Run the reverse process from x_T for `size` values (n rows times the example size).
 * Returns x_0 (flat) and the time spent in the denoiser and on the host.
 */
export async function runSampler(
  schedule: NoiseSchedule,
  size: number,
  denoise: DenoiseFn,
  opts: SamplerOptions,
): Promise<{ x: Float32Array; stats: SamplerStats }> {
  if (!SAMPLERS.includes(opts.sampler))
    throw new DiffusionError(
      `sample: unknown sampler '${String(opts.sampler)}'; expected one of ${SAMPLERS.join(', ')}`,
    );
  const taus = samplingTimesteps(schedule.T, opts.steps);
  if (!(opts.eta >= 0 && Number.isFinite(opts.eta)))
    throw new DiffusionError(`sample: eta (${opts.eta}) must be a finite number >= 0`);
  const rng = new Rng(opts.seed);
  let x: Float32Array;
  if (opts.noise) {
    if (opts.noise.length !== size)
      throw new DiffusionError(
        `sample: starting noise has ${opts.noise.length} values, expected ${size}`,
      );
    x = Float32Array.from(opts.noise);
  } else x = rng.normal(size);
  const stats: SamplerStats = { steps: taus.length, denoiserMs: 0, hostMs: 0 };
  const ab = schedule.alphaBar;
  for (let i = 0; i < taus.length; i++) {
    const t = taus[i];
    const s = i + 1 < taus.length ? taus[i + 1] : -1;
    const t0 = performance.now();
    const out = await denoise(x, t);
    const t1 = performance.now();
    const abT = ab[t];
    const abS = s >= 0 ? ab[s] : 1;
    const sa = Math.sqrt(abT);
    const so = Math.sqrt(1 - abT);
    const last = s < 0;
    let c0: number; // coefficient of x0^
    let ce: number; // coefficient of eps^ (DDIM) or of x_t (DDPM)
    let sigma: number;
    if (opts.sampler === 'ddpm') {
      const beta = 1 - abT / abS;
      c0 = (Math.sqrt(abS) * beta) / (1 - abT);
      ce = (Math.sqrt(1 - beta) * (1 - abS)) / (1 - abT);
      sigma = last ? 0 : Math.sqrt((beta * (1 - abS)) / (1 - abT));
    } else {
      sigma = last
        ? 0
        : opts.eta * Math.sqrt((1 - abS) / (1 - abT)) * Math.sqrt(Math.max(0, 1 - abT / abS));
      c0 = Math.sqrt(abS);
      ce = Math.sqrt(Math.max(0, 1 - abS - sigma * sigma));
    }
    const z = sigma > 0 ? rng.normal(size) : undefined;
    for (let j = 0; j < size; j++) {
      const xt = x[j];
      const o = out[j];
      let x0: number;
      if (opts.prediction === 'eps') x0 = (xt - so * o) / sa;
      else if (opts.prediction === 'x0') x0 = o;
      else x0 = sa * xt - so * o;
      if (opts.clipDenoised) x0 = Math.max(-1, Math.min(1, x0));
      let next: number;
      if (opts.sampler === 'ddpm') next = c0 * x0 + ce * xt;
      else next = c0 * x0 + ce * ((xt - sa * x0) / so);
      if (z) next += sigma * z[j];
      x[j] = next;
    }
    const t2 = performance.now();
    stats.denoiserMs += t1 - t0;
    stats.hostMs += t2 - t1;
    opts.onStep?.({ step: i + 1, steps: taus.length, t, x, denoiserMs: t1 - t0, hostMs: t2 - t1 });
  }
  return { x, stats };
}
