/**
 * The denoising loss on images or points the model was not trained on: the training
 * objective (MSE of the denoiser's output against its target: eps, x0 or v) at seeded
 * timesteps and noise, so two calls with one seed score two weight sets on the same draws
 * (fine-tuning's before / after).
 */
import { Rng, Tensor } from '@genmodels/runtime';
import type { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';

/** Options of {@link denoisingLoss}. */
export interface DenoisingLossOptions {
  /** Draws the timesteps and the noise (default 0). */
  seed?: number;
  /** Rows per denoiser call (default 64). */
  batchSize?: number;
  /** Class of each row (class-conditional models; default: the null class, unconditional). */
  labels?: ArrayLike<number>;
  /** Score the weight average (EMA) instead of the trained weights (default false). */
  ema?: boolean;
}

/**
 * Mean squared error of `model`'s prediction on `x` ([N, ...example shape], in the model's
 * units: images in [-1, 1]) at one seeded timestep and noise draw per row.
 *
 * @example const before = await denoisingLoss(model, heldOut, { seed: 1 });
 */
export async function denoisingLoss(
  model: Diffusion,
  x: Tensor<'float32'>,
  opts: DenoisingLossOptions = {},
): Promise<number> {
  const cfg = model.config;
  const n = x.shape[0];
  if (x.dtype !== 'float32' || n < 1)
    throw new DiffusionError(
      `denoisingLoss: x must be float32 [N >= 1, ...], got ${x.dtype}[${x.shape.join(', ')}]`,
    );
  const size = x.size / n;
  const batch = opts.batchSize ?? 64;
  const rng = new Rng(opts.seed ?? 0);
  const { sqrtAlphaBar: sa, sqrtOneMinusAlphaBar: so } = model.schedule;
  // Every draw up front, so the batch size does not change which row gets which.
  const tAll = model.schedule.randomTimesteps(rng, n);
  const noiseAll = rng.normal(x.size);
  let total = 0;
  for (let start = 0; start < n; start += batch) {
    const rows = Array.from({ length: Math.min(batch, n - start) }, (_, i) => start + i);
    const x0 = x.takeRows(rows);
    const t = tAll.subarray(start, start + rows.length);
    const noise = noiseAll.subarray(start * size, (start + rows.length) * size);
    const xt = new Float32Array(x0.size);
    const target = new Float32Array(x0.size);
    const x0d = x0.data as Float32Array;
    for (let r = 0; r < rows.length; r++) {
      const [a, s] = [sa[t[r]], so[t[r]]];
      for (let k = r * size; k < (r + 1) * size; k++) {
        xt[k] = a * x0d[k] + s * noise[k];
        target[k] =
          cfg.prediction === 'eps'
            ? noise[k]
            : cfg.prediction === 'x0'
              ? x0d[k]
              : a * noise[k] - s * x0d[k];
      }
    }
    const labels = opts.labels
      ? rows.map((r) => opts.labels![r])
      : cfg.numClasses > 0
        ? rows.map(() => cfg.numClasses)
        : undefined;
    const out = await model.denoise(new Tensor('float32', x0.shape, xt), t, labels, {
      ema: opts.ema ?? false,
    });
    const o = out.data as Float32Array;
    for (let k = 0; k < o.length; k++) total += (o[k] - target[k]) ** 2;
  }
  return total / x.size;
}
