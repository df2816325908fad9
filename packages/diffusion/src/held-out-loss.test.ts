import { fileURLToPath } from 'node:url';
import { Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';
import { denoisingLoss } from './held-out-loss.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/diffusers_tiny', import.meta.url));

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

/** Vertical bars: the fixture was never trained on them. */
const bars = new Tensor(
  'float32',
  [16, 1, 16, 16],
  Float32Array.from({ length: 16 * 256 }, (_, i) => (i % 16 < 4 ? 1 : -1)),
);

describe('denoisingLoss', () => {
  it('scores the same draws for one seed, other draws for another', async () => {
    const model = await Diffusion.fromDiffusers(rt, FIXTURE);
    const a = await denoisingLoss(model, bars, { seed: 3, batchSize: 5 });
    const b = await denoisingLoss(model, bars, { seed: 3 });
    const c = await denoisingLoss(model, bars, { seed: 4 });
    expect(Number.isFinite(a) && a > 0).toBe(true);
    // Batching does not change the draws or the per-row losses (round-off of the sums only).
    expect(b).toBeCloseTo(a, 6);
    expect(c).not.toBe(a);
  });

  it('falls when the model is fine-tuned on those images', async () => {
    const model = await Diffusion.fromDiffusers(rt, FIXTURE, {
      batchSize: 8,
      emaDecay: 0,
      lr: 1e-3,
    });
    const before = await denoisingLoss(model, bars, { seed: 1 });
    await model.fit(bars, {
      labels: Array.from({ length: 16 }, (_, i) => i % 2),
      steps: 30,
      seed: 0,
    });
    const after = await denoisingLoss(model, bars, { seed: 1 });
    expect(after).toBeLessThan(before);
  });

  it('refuses an empty or non-float input', async () => {
    const model = await Diffusion.fromDiffusers(rt, FIXTURE);
    await expect(denoisingLoss(model, Tensor.zeros([0, 1, 16, 16]))).rejects.toThrow(
      DiffusionError,
    );
  });
});
