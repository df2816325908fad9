/** `diffusionFamily`: the ModelFamily the `genmodels` CLI drives (train, load, sample, export). */
import type { FamilyTrainOptions, ModelFamily, ModelSource, Runtime } from '@genmodels/runtime';
import { DIFFUSION_PRESETS, resolveConfig, TOY_EPOCH } from './config.js';
import { Diffusion } from './diffusion.js';
import { DIFFUSION_PARTS } from './io.js';

/** The diffusion family, typed so that train/load return the full `Diffusion` API. */
export interface DiffusionFamily extends ModelFamily {
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<Diffusion>;
  load(rt: Runtime, source: ModelSource): Promise<Diffusion>;
}

/**
 * The diffusion family: presets `moons-2d`, `mnist-unet`, `mnist-unet-tiny`; part
 * 'denoiser'. `sample(n, seed, { label: 7 })` picks the class of the MNIST presets.
 *
 * @example
 * const model = await diffusionFamily.train(rt, { preset: 'moons-2d', seed: 0 });
 * await model.save('out/diffusion');
 */
export const diffusionFamily: DiffusionFamily = {
  name: 'diffusion',
  description:
    'Denoising diffusion (DDPM/DDIM; MLP on two moons, class-conditional U-Net on MNIST with classifier-free guidance)',
  presets: DIFFUSION_PRESETS,
  parts: DIFFUSION_PARTS,
  sampleOptions: ['label', 'steps', 'sampler', 'eta', 'guidance'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<Diffusion> {
    const cfg = resolveConfig(opts.preset); // unknown preset: DiffusionError before any data is read
    const seed = opts.seed ?? 0;
    const { mnistSplit, toyTrain } = await import('./with-datasets.js');
    const data = cfg.toy
      ? { images: await toyTrain(cfg.toy, TOY_EPOCH, seed), labels: undefined }
      : await mnistSplit('train', { dir: opts.dataDir });
    const model = Diffusion.create(rt, opts.preset, { seed });
    const perEpoch = Math.floor(data.images.shape[0] / cfg.batchSize);
    const epochs = opts.epochs ?? DIFFUSION_PRESETS[opts.preset]?.defaultEpochs ?? 1;
    const total = opts.steps ?? Math.max(1, Math.round(epochs * perEpoch));
    await model.fit(data.images, {
      steps: total,
      seed,
      labels: cfg.numClasses > 0 ? data.labels : undefined,
      signal: opts.signal,
      progressEvery: cfg.toy ? 200 : 20,
      onProgress: opts.onProgress && ((e) => opts.onProgress?.({ ...e, total })),
    });
    return model;
  },
  load(rt: Runtime, source: ModelSource): Promise<Diffusion> {
    return Diffusion.load(rt, source);
  },
};
