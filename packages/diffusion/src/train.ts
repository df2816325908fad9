/**
 * The training loop: shuffled batches, timesteps t ~ U{0..T-1} and noise ~ N(0, I) from the
 * host's seeded Rng each step, label dropout to the null class (classifier-free guidance),
 * one compiled step (forward, backward, Adam), the weight EMA, progress events.
 */
import { Rng, Tensor, type TrainStep } from '@genmodels/runtime';
import { emaUpdate, type ModelFitOptions } from '@genmodels/runtime/internal';
import type { DiffusionConfig } from './config.js';
import { labelTensor } from './data.js';
import { DiffusionError } from './errors.js';
import type { NoiseSchedule } from './schedule.js';

/**
 * Options of `Diffusion.fit`; the seed draws the data order, the timesteps, the noise and the
 * label dropout, and progress comes every 100 steps by default.
 */
export interface DiffusionFitOptions extends ModelFitOptions {
  /** Class of each data row (class-conditional models). */
  labels?: ArrayLike<number>;
  /**
   * Point models: what `evaluate()` compares samples with after this fit.
   * - absent: the points are yours and none were held out; `evaluate()` refuses until it
   *   is given `{ data: held-out points }`.
   * - a Tensor [M, dataDim]: held-out points in data units (not trained on); `evaluate()`
   *   and the pictures use them. Kept in memory only: after `load`, pass `{ data }`.
   * - 'preset': the points are the preset's own toy set (what `diffusionFamily.train` does
   *   for the presets); `evaluate()` scores against fresh toy points.
   * Each fit sets this anew: pass it to every fit of a model you want to evaluate.
   */
  reference?: 'preset' | Tensor;
  /**
   * Point models: standardize the points per dimension, (x - mean) / std, for training;
   * samples come back as mean + std * x (default: true for your own points, false with
   * `reference: 'preset'`). It only decides for a model without statistics: once a model
   * has them (an earlier fit, a loaded model) every fit uses them.
   */
  normalize?: boolean;
}

export interface DiffusionFitResult {
  /** Steps taken in this fit. */
  steps: number;
  /** Mean loss over the last progress interval. */
  loss: number;
  /** Training examples per second over the whole fit (compilation excluded). */
  samplesPerSec: number;
}

/**
 * EMA decay at update number k (1-based): min(decay, (1 + k) / (10 + k)), so that the
 * average forgets the random initialization quickly in short runs.
 */
export function emaDecayAt(decay: number, k: number): number {
  return Math.min(decay, (1 + k) / (10 + k));
}

/** One step's batch: rows of x, fresh t and noise, the coefficients, labels with dropout. */
export function makeBatch(
  cfg: DiffusionConfig,
  schedule: NoiseSchedule,
  x: Tensor<'float32'>,
  rows: ArrayLike<number>,
  rng: Rng,
  labels?: ArrayLike<number>,
): Record<string, Tensor> {
  const b = rows.length;
  const x0 = x.takeRows(rows);
  const t = schedule.randomTimesteps(rng, b);
  const noise = new Tensor('float32', x0.shape, rng.normal(x0.size));
  const coef = [b, ...x0.shape.slice(1).map(() => 1)];
  const a = new Tensor(
    'float32',
    coef,
    Float32Array.from(t, (i) => schedule.sqrtAlphaBar[i]),
  );
  const s = new Tensor(
    'float32',
    coef,
    Float32Array.from(t, (i) => schedule.sqrtOneMinusAlphaBar[i]),
  );
  const batch: Record<string, Tensor> = {
    x0,
    noise,
    t: new Tensor('float32', [b], Float32Array.from(t)),
    a,
    s,
  };
  if (cfg.numClasses > 0 && labels) {
    const drop = rng.uniform(b);
    batch.y = labelTensor(
      Array.from(rows, (r, i) => (drop[i] < cfg.labelDropout ? cfg.numClasses : labels[r])),
    );
  }
  return batch;
}

/**
 * Run the loop; `ema` (when given) is updated after every step. `start` runs once the
 * options are checked, before the first step (the model records what it trains on there).
 */
export async function trainLoop(
  cfg: DiffusionConfig,
  schedule: NoiseSchedule,
  step: TrainStep,
  x: Tensor<'float32'>,
  opts: DiffusionFitOptions,
  ema?: Record<string, Tensor>,
  start?: () => void,
): Promise<DiffusionFitResult> {
  const n = x.shape[0];
  const bs = cfg.batchSize;
  if (n < bs)
    throw new DiffusionError(
      `fit: ${n} examples, fewer than one batch of ${bs} (the config's batchSize); give more data or a smaller batchSize`,
    );
  const perEpoch = Math.floor(n / bs);
  const total = opts.steps ?? Math.max(1, Math.round((opts.epochs ?? 1) * perEpoch));
  if (!(Number.isInteger(total) && total > 0))
    throw new DiffusionError(`fit: steps (${opts.steps}) must be a positive integer`);
  const lr = opts.lr ?? cfg.lr;
  if (!(lr > 0)) throw new DiffusionError(`fit: lr (${lr}) must be > 0`);
  start?.();
  const rng = new Rng(opts.seed ?? 0);
  const every = opts.progressEvery ?? 100;
  let perm = rng.permutation(n);
  let cursor = 0;
  let epoch = 0;
  let sum = 0;
  let count = 0;
  let last = Number.NaN;
  const begin = performance.now();
  let t0 = begin;
  for (let it = 1; it <= total; it++) {
    if (opts.signal?.aborted) throw new DiffusionError(`fit: aborted at step ${it - 1}`);
    if (cursor + bs > n) {
      perm = rng.permutation(n);
      cursor = 0;
      epoch++;
    }
    const rows = perm.subarray(cursor, cursor + bs);
    cursor += bs;
    const r = await step.run(makeBatch(cfg, schedule, x, rows, rng, opts.labels), { lr });
    if (ema) emaUpdate(ema, await step.parameters(), emaDecayAt(cfg.emaDecay, step.step));
    sum += r.loss;
    count++;
    if (it % every === 0 || it === total) {
      last = sum / count;
      const now = performance.now();
      const secs = (now - t0) / 1000;
      opts.onProgress?.({
        step: it,
        epoch,
        loss: last,
        metrics: { loss: last },
        samplesPerSec: (count * bs) / Math.max(secs, 1e-9),
        eta: ((total - it) * secs) / count,
      });
      sum = 0;
      count = 0;
      t0 = now;
    }
  }
  const secs = (performance.now() - begin) / 1000;
  return { steps: total, loss: last, samplesPerSec: (total * bs) / Math.max(secs, 1e-9) };
}
