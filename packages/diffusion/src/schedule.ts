/**
 * Noise schedules of the forward process q(x_t | x_0) = N(sqrt(ab_t) x_0, (1 - ab_t) I),
 * with every array the samplers need, in float64. Timesteps are 0-based: t = 0..T-1 is
 * the paper's step t + 1 (as in Ho et al.'s code).
 */
import { type Rng, Tensor } from '@genmodels/runtime';
import { describeTensor } from '@genmodels/runtime/internal';
import type { ScheduleKind } from './config.js';
import { DiffusionError } from './errors.js';

/** Largest beta of the cosine schedule (Improved DDPM clips there to avoid a singular last step). */
export const COSINE_MAX_BETA = 0.999;
/** Offset s of the cosine schedule. */
export const COSINE_OFFSET = 0.008;

/** Betas of a schedule: linear from `start` to `end`, or Improved DDPM's cosine. */
export function makeBetas(
  kind: ScheduleKind,
  T: number,
  opts: { start?: number; end?: number } = {},
): Float64Array {
  if (!(Number.isInteger(T) && T >= 1))
    throw new DiffusionError(`schedule: T (${T}) must be a positive integer`);
  const betas = new Float64Array(T);
  if (kind === 'linear') {
    const a = opts.start ?? 1e-4;
    const b = opts.end ?? 0.02;
    for (let i = 0; i < T; i++) betas[i] = T === 1 ? a : a + ((b - a) * i) / (T - 1);
  } else if (kind === 'cosine') {
    const f = (t: number) =>
      Math.cos((((t / T + COSINE_OFFSET) / (1 + COSINE_OFFSET)) * Math.PI) / 2) ** 2;
    for (let i = 0; i < T; i++) betas[i] = Math.min(1 - f(i + 1) / f(i), COSINE_MAX_BETA);
  } else {
    throw new DiffusionError(
      `schedule: unknown kind '${String(kind)}'; expected 'linear' or 'cosine'`,
    );
  }
  return betas;
}

/**
 * A discrete noise schedule with its derived arrays (all [T], float64).
 *
 * @example
 * const s = new NoiseSchedule('cosine', 1000);
 * const xt = s.qSample(x0, t, noise);   // x0, noise: [B, ...], t: B timesteps in 0..999
 */
export class NoiseSchedule {
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  /** Cumulative product of alphas. */
  readonly alphaBar: Float64Array;
  /** alphaBar of the previous step (1 at t = 0). */
  readonly alphaBarPrev: Float64Array;
  readonly sqrtAlphaBar: Float64Array;
  readonly sqrtOneMinusAlphaBar: Float64Array;
  /** Variance of q(x_{t-1} | x_t, x_0): beta_t (1 - ab_{t-1}) / (1 - ab_t) (0 at t = 0). */
  readonly posteriorVariance: Float64Array;
  /** log of the posterior variance with the t = 0 entry replaced by t = 1's (finite). */
  readonly posteriorLogVarianceClipped: Float64Array;
  /** Posterior mean = coef1 * x_0 + coef2 * x_t. */
  readonly posteriorMeanCoef1: Float64Array;
  readonly posteriorMeanCoef2: Float64Array;

  constructor(
    readonly kind: ScheduleKind,
    readonly T: number,
    opts: { start?: number; end?: number } = {},
  ) {
    this.betas = makeBetas(kind, T, opts);
    this.alphas = this.betas.map((b) => 1 - b);
    this.alphaBar = new Float64Array(T);
    let p = 1;
    for (let i = 0; i < T; i++) {
      p *= this.alphas[i];
      this.alphaBar[i] = p;
    }
    this.alphaBarPrev = new Float64Array(T);
    for (let i = 0; i < T; i++) this.alphaBarPrev[i] = i === 0 ? 1 : this.alphaBar[i - 1];
    this.sqrtAlphaBar = this.alphaBar.map(Math.sqrt);
    this.sqrtOneMinusAlphaBar = this.alphaBar.map((a) => Math.sqrt(1 - a));
    this.posteriorVariance = new Float64Array(T);
    this.posteriorMeanCoef1 = new Float64Array(T);
    this.posteriorMeanCoef2 = new Float64Array(T);
    for (let i = 0; i < T; i++) {
      const ab = this.alphaBar[i];
      const prev = this.alphaBarPrev[i];
      this.posteriorVariance[i] = (this.betas[i] * (1 - prev)) / (1 - ab);
      this.posteriorMeanCoef1[i] = (this.betas[i] * Math.sqrt(prev)) / (1 - ab);
      this.posteriorMeanCoef2[i] = ((1 - prev) * Math.sqrt(this.alphas[i])) / (1 - ab);
    }
    this.posteriorLogVarianceClipped = this.posteriorVariance.map((v, i) =>
      Math.log(i === 0 && T > 1 ? this.posteriorVariance[1] : v),
    );
  }

  /** Check t is a timestep: an integer in 0..T-1. */
  checkT(t: number, where = 'timestep'): void {
    if (!(Number.isInteger(t) && t >= 0 && t < this.T))
      throw new DiffusionError(`${where}: t (${t}) must be an integer in 0..${this.T - 1}`);
  }

  /**
   * Sample q(x_t | x_0): sqrt(ab_t) x0 + sqrt(1 - ab_t) noise, per row. x0 and noise:
   * float32 [B, ...] of the same shape; t: B timesteps.
   */
  qSample(x0: Tensor, t: ArrayLike<number>, noise: Tensor): Tensor<'float32'> {
    const b = x0.shape[0];
    if (x0.dtype !== 'float32' || noise.dtype !== 'float32' || x0.size !== noise.size)
      throw new DiffusionError(
        `qSample: x0 ${describeTensor(x0)} and noise ${describeTensor(noise)} must be float32 of one shape`,
      );
    if (t.length !== b) throw new DiffusionError(`qSample: ${t.length} timesteps for ${b} rows`);
    const f = b === 0 ? 0 : x0.size / b;
    const a = x0.data as Float32Array;
    const e = noise.data as Float32Array;
    const out = new Float32Array(a.length);
    for (let r = 0; r < b; r++) {
      this.checkT(t[r], 'qSample');
      const sa = this.sqrtAlphaBar[t[r]];
      const so = this.sqrtOneMinusAlphaBar[t[r]];
      for (let j = r * f; j < (r + 1) * f; j++) out[j] = sa * a[j] + so * e[j];
    }
    return new Tensor('float32', x0.shape, out);
  }

  /** B uniform timesteps in 0..T-1 from rng. */
  randomTimesteps(rng: Rng, b: number): Int32Array {
    return rng.integers(b, 0, this.T);
  }
}

/**
 * `steps` timesteps evenly spaced over 0..T-1, in decreasing order (T-1 first, 0 last
 * when steps > 1): round(i (T - 1) / (steps - 1)).
 */
export function samplingTimesteps(T: number, steps: number): number[] {
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= T))
    throw new DiffusionError(`sample: steps (${steps}) must be an integer in 1..${T} (T = ${T})`);
  if (steps === 1) return [T - 1];
  const out: number[] = [];
  for (let i = steps - 1; i >= 0; i--) out.push(Math.round((i * (T - 1)) / (steps - 1)));
  return out;
}
