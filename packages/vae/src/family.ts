/** `vaeFamily`: the ModelFamily the `genmodels` CLI drives (train on MNIST, load, export). */
import type { FamilyTrainOptions, ModelFamily, ModelSource, Runtime } from '@genmodels/runtime';
import { resolveConfig, VAE_PRESETS } from './config.js';
import { VAE_PARTS } from './io.js';
import { VAE } from './vae.js';

/** The VAE family, typed so that train/load return the full `VAE` API. */
export interface VaeFamily extends ModelFamily {
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<VAE>;
  load(rt: Runtime, source: ModelSource): Promise<VAE>;
}

/**
 * The VAE family: presets `mnist-mlp` and `mnist-conv`, parts ['decoder', 'encoder'].
 *
 * @example
 * const model = await vaeFamily.train(rt, { preset: 'mnist-mlp', epochs: 1, seed: 0 });
 * await model.save('out/vae');
 */
export const vaeFamily: VaeFamily = {
  name: 'vae',
  description:
    'Variational autoencoder on MNIST (MLP or convolutional; Bernoulli or Gaussian likelihood)',
  presets: VAE_PRESETS,
  parts: VAE_PARTS,
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<VAE> {
    resolveConfig(opts.preset); // unknown preset: VaeError before any data is read
    const { mnistImages } = await import('./with-datasets.js');
    const train = await mnistImages('train', { dir: opts.dataDir });
    const vae = VAE.create(rt, opts.preset, { seed: opts.seed ?? 0 });
    const perEpoch = Math.ceil(train.shape[0] / vae.config.batchSize);
    const epochs = opts.epochs ?? VAE_PRESETS[opts.preset]?.defaultEpochs ?? 1;
    const total = opts.steps ?? epochs * perEpoch;
    await vae.fit(train, {
      epochs: opts.steps === undefined ? epochs : undefined,
      steps: opts.steps,
      seed: opts.seed ?? 0,
      signal: opts.signal,
      progressEvery: 10,
      onProgress: opts.onProgress && ((e) => opts.onProgress?.({ ...e, total })),
    });
    return vae;
  },
  load(rt: Runtime, source: ModelSource): Promise<VAE> {
    return VAE.load(rt, source);
  },
};
