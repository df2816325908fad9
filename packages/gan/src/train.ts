/**
 * The alternating training loop: `dSteps` D steps on fresh real batches and fresh z,
 * then one G step; progress with the health figures and a collapse warning.
 */
import { type ProgressEvent, Rng, Tensor, type TrainStep } from '@genmodels/runtime';
import type { ModelFitOptions } from '@genmodels/runtime/internal';
import type { GanConfig } from './config.js';
import { normalNoise, oneHot, randomLabels } from './data.js';
import { GanError } from './errors.js';

/** Progress of `GAN.fit`: metrics d_loss, g_loss, d_real, d_fake, fake_std, data_std, collapse. */
export interface GanProgress extends ProgressEvent {
  /** Set when the samples stopped varying (mode collapse). */
  warning?: string;
}

/**
 * Options of `GAN.fit`; the seed draws the data order, z, the labels of fakes and the
 * WGAN-GP mixing.
 */
export interface GanFitOptions extends ModelFitOptions<GanProgress> {
  /** Passes of the D steps over the data (default 1 unless `steps` is given). */
  epochs?: number;
  /** G steps (each after `dSteps` D steps); overrides `epochs`. */
  steps?: number;
  /** Class of each data row (conditional GANs). */
  labels?: ArrayLike<number>;
  /** G steps between progress events (default 50). */
  progressEvery?: number;
  /** Called with the collapse warning (also in the progress event). */
  onWarning?: (message: string) => void;
  /**
   * What `evaluate()` scores a 2-D (point) GAN against afterwards. 'preset': the data is the
   * preset's own toy set (what `ganFamily.train` passes), so evaluate() keeps scoring
   * against it. Points [M, D] (in data units): held-out points the GAN does not train on,
   * which evaluate() compares its samples with. Absent: the data is yours and nothing is
   * held out, so evaluate() needs `{ data: held-out points }`.
   */
  reference?: 'preset' | Tensor;
  /**
   * 2-D (point) GANs: train on (x - mean) / std per column, with the statistics of this
   * data (default false: the points as they are). The statistics stay with the model
   * (config.json `normalization`): later fits, samples and evaluation use them, so
   * everything outside stays in data units.
   */
  standardize?: boolean;
}

export interface GanFitResult {
  /** G steps taken in this fit. */
  steps: number;
  /** Means over the last progress interval. */
  metrics: Record<string, number>;
  /** Progress events that carried a collapse warning. */
  collapseWarnings: number;
}

/** Generated samples whose spread falls under this fraction of the data's count as collapsed. */
export const COLLAPSE_RATIO = 0.1;

/** Mean over features of the std across rows of x [N, F] (first 4,096 rows). */
export function meanFeatureStd(x: Tensor<'float32'>): number {
  const n = Math.min(x.shape[0], 4096);
  const f = x.size / x.shape[0];
  const a = x.data as Float32Array;
  let total = 0;
  for (let j = 0; j < f; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = a[i * f + j];
      s += v;
      s2 += v * v;
    }
    const m = s / n;
    total += Math.sqrt(Math.max(0, s2 / n - m * m));
  }
  return total / f;
}

/** Run the loop; `onGStep` runs after each G step (the EMA). */
export async function trainLoop(
  cfg: GanConfig,
  steps: { dStep: TrainStep; gStep: TrainStep },
  x: Tensor<'float32'>,
  opts: GanFitOptions,
  onGStep?: () => Promise<void>,
): Promise<GanFitResult> {
  const n = x.shape[0];
  const bs = cfg.batchSize;
  if (n < bs)
    throw new GanError(
      `fit: ${n} examples, fewer than one batch of ${bs} (the config's batchSize); give more data or a smaller batchSize`,
    );
  const perEpoch = Math.floor(n / bs);
  const total = opts.steps ?? Math.max(1, Math.floor(((opts.epochs ?? 1) * perEpoch) / cfg.dSteps));
  if (!(Number.isInteger(total) && total > 0))
    throw new GanError(`fit: steps (${opts.steps}) must be a positive integer`);
  const rng = new Rng(opts.seed ?? 0);
  const lr = opts.lr ?? cfg.lr;
  const every = opts.progressEvery ?? 50;
  const dataStd = meanFeatureStd(x);
  const k = cfg.numClasses;
  const labels = opts.labels;
  let perm = rng.permutation(n);
  let cursor = 0;
  let epoch = 0;
  const sums: Record<string, number> = {};
  let count = 0;
  let last: Record<string, number> = {};
  let warnings = 0;
  let t0 = performance.now();
  const add = (m: Record<string, number>) => {
    for (const [key, v] of Object.entries(m)) sums[key] = (sums[key] ?? 0) + v;
  };
  for (let it = 1; it <= total; it++) {
    if (opts.signal?.aborted) throw new GanError('fit: aborted');
    for (let j = 0; j < cfg.dSteps; j++) {
      if (cursor + bs > n) {
        perm = rng.permutation(n);
        cursor = 0;
        epoch++;
      }
      const rows = perm.subarray(cursor, cursor + bs);
      cursor += bs;
      const batch: Record<string, Tensor> = {
        real: x.takeRows(rows),
        z: normalNoise(rng, bs, cfg.zDim),
      };
      if (cfg.loss === 'wgan-gp') batch.eps = new Tensor('float32', [bs, 1], rng.uniform([bs, 1]));
      if (k > 0 && labels)
        batch.y = oneHot(
          Array.from(rows, (r) => labels[r]),
          k,
        );
      const r = await steps.dStep.run(batch, { lr });
      add({
        d_loss: r.loss / cfg.dSteps,
        d_real: r.metrics.d_real / cfg.dSteps,
        d_fake: r.metrics.d_fake / cfg.dSteps,
      });
    }
    const gBatch: Record<string, Tensor> = { z: normalNoise(rng, bs, cfg.zDim) };
    if (k > 0) gBatch.y = oneHot(randomLabels(rng, bs, k), k);
    const g = await steps.gStep.run(gBatch, { lr });
    add({ g_loss: g.loss, fake_std: g.metrics.fake_std });
    count++;
    if (onGStep) await onGStep();
    if (it % every === 0 || it === total) {
      last = Object.fromEntries(Object.entries(sums).map(([key, v]) => [key, v / count]));
      last.data_std = dataStd;
      const collapsed = last.fake_std < COLLAPSE_RATIO * dataStd;
      last.collapse = collapsed ? 1 : 0;
      const now = performance.now();
      const secs = (now - t0) / 1000;
      const event: GanProgress = {
        step: it,
        epoch,
        loss: last.d_loss,
        metrics: last,
        samplesPerSec: (count * bs * cfg.dSteps) / Math.max(secs, 1e-9),
        eta: ((total - it) * secs) / count,
      };
      if (collapsed) {
        warnings++;
        event.warning = `mode collapse? samples vary little: mean std ${last.fake_std.toPrecision(3)} vs ${dataStd.toPrecision(3)} in the data`;
        opts.onWarning?.(event.warning);
      }
      opts.onProgress?.(event);
      for (const key of Object.keys(sums)) delete sums[key];
      count = 0;
      t0 = now;
    }
  }
  return { steps: total, metrics: last, collapseWarnings: warnings };
}
