/** `diffusionFamily`: the ModelFamily the `genmodels` CLI drives (train, load, sample, export). */
import {
  type FamilyTrainOptions,
  type ModelFamily,
  type ModelSource,
  Rng,
  type Runtime,
} from '@genmodels/runtime';
import { DIFFUSION_PRESETS, type DiffusionConfig, resolveConfig, TOY_EPOCH } from './config.js';
import { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';
import { checkValFraction, progress, totalSteps } from './family-options.js';
import { DIFFUSION_PARTS } from './io.js';
import { DiffusionNetwork } from './network.js';
import { trainOnImages } from './own-images.js';

/** The diffusion family, typed so that train/load return the full `Diffusion` API. */
export interface DiffusionFamily extends ModelFamily {
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<Diffusion>;
  load(rt: Runtime, source: ModelSource): Promise<Diffusion>;
}

/**
 * A point preset trained on the points of `opts.data` (a .csv/.tsv/.txt/.npy file): D from
 * the file, a seeded `valFraction` held out for `evaluate()`, standardized with the
 * training rows' mean/std; `model.data` records where the points came from.
 */
async function trainOnPoints(
  rt: Runtime,
  cfg: DiffusionConfig,
  opts: FamilyTrainOptions & { data: string },
  seed: number,
): Promise<Diffusion> {
  for (const key of ['imageSize', 'labels'] as const)
    if (opts[key] !== undefined)
      throw new DiffusionError(
        `${key} (${String(opts[key])}) is for a folder of images and a U-Net preset (mnist-unet, cifar-unet); preset '${opts.preset}' trains on points`,
      );
  const valFraction = checkValFraction(opts, 'points');
  const { datasets } = await import('./with-datasets.js');
  const { readPoints, splitRows } = await datasets();
  const all = await readPoints(opts.data);
  const [rows, dim] = all.shape;
  const { train, val } = splitRows(all, valFraction, seed);
  if (val.shape[0] < 2)
    throw new DiffusionError(
      `data '${opts.data}': valFraction ${valFraction} of ${rows} points holds out ${val.shape[0]}; evaluation needs 2 or more held-out points (give more points or a larger valFraction)`,
    );
  // The preset's architecture and training settings, on points of the file's dimension.
  const own: Partial<DiffusionConfig> = { ...cfg, dataDim: dim };
  delete own.toy;
  const config = resolveConfig(own);
  const model = new Diffusion(rt, new DiffusionNetwork(config, new Rng(seed)), opts.preset);
  const total = totalSteps(opts, Math.max(1, Math.floor(train.shape[0] / config.batchSize)));
  await model.fit(train, {
    steps: total,
    seed,
    reference: val,
    ...progress(opts, total, 200),
  });
  model.data = {
    source: opts.data,
    shape: [rows, dim],
    normalization: 'standardize',
    split: { valFraction, seed, trainRows: train.shape[0], valRows: val.shape[0] },
  };
  return model;
}

/**
 * The diffusion family: presets `moons-2d`, `mnist-unet`, `mnist-unet-tiny`, `cifar-unet`;
 * part 'denoiser'. `sample(n, seed, { label: 7 })` picks the class of the conditional
 * presets. `data`: train on your own points (point presets: a .csv/.tsv/.npy file) or
 * images (U-Net presets: a folder of PNG / JPEG images, at `imageSize`, class-conditional
 * with `labels: 'folders'`; see {@link trainOnImages}) instead of the preset's data, with a
 * seeded `valFraction` (default 0.1) held out for `evaluate()`.
 *
 * @example
 * const model = await diffusionFamily.train(rt, { preset: 'moons-2d', seed: 0 });
 * await model.save('out/diffusion');
 * const own = await diffusionFamily.train(rt, { preset: 'moons-2d', data: 'spiral.csv' });
 * const faces = await diffusionFamily.train(rt, { preset: 'cifar-unet', data: 'faces', imageSize: 32 });
 */
export const diffusionFamily: DiffusionFamily = {
  name: 'diffusion',
  description:
    'Denoising diffusion (DDPM/DDIM; MLP on two moons or your own points, class-conditional U-Net on MNIST, CIFAR-10 or a folder of your images, with classifier-free guidance)',
  presets: DIFFUSION_PRESETS,
  parts: DIFFUSION_PARTS,
  sampleOptions: ['label', 'steps', 'sampler', 'eta', 'guidance'],
  trainOptions: ['data', 'valFraction', 'imageSize', 'labels'],
  evalOptions: ['data'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<Diffusion> {
    const cfg = resolveConfig(opts.preset); // unknown preset: DiffusionError before any data is read
    const seed = opts.seed ?? 0;
    if (opts.data !== undefined) {
      const own = { ...opts, data: opts.data };
      return cfg.arch === 'unet'
        ? trainOnImages(rt, cfg, own, seed)
        : trainOnPoints(rt, cfg, own, seed);
    }
    for (const [key, what] of [
      ['valFraction', 'holds out part of your own data'],
      ['imageSize', 'is the size your own images are read at'],
      ['labels', 'says how to read the folders of your own images'],
    ] as const)
      if (opts[key] !== undefined)
        throw new DiffusionError(
          `${key} (${String(opts[key])}) ${what}; give it with data (a file of points, or a folder of images for a U-Net preset)`,
        );
    const { cifarSplit, mnistSplit, toyTrain } = await import('./with-datasets.js');
    const data = cfg.toy
      ? { images: await toyTrain(cfg.toy, TOY_EPOCH, seed), labels: undefined }
      : cfg.dataset === 'cifar10'
        ? await cifarSplit('train', { dir: opts.dataDir })
        : await mnistSplit('train', { dir: opts.dataDir });
    const model = Diffusion.create(rt, opts.preset, { seed });
    const total = totalSteps(opts, Math.floor(data.images.shape[0] / cfg.batchSize));
    await model.fit(data.images, {
      steps: total,
      seed,
      labels: cfg.numClasses > 0 ? data.labels : undefined,
      // The preset's own data: evaluate() scores against fresh toy points or the test set.
      reference: 'preset',
      ...progress(opts, total, cfg.toy ? 200 : 20),
    });
    return model;
  },
  load(rt: Runtime, source: ModelSource): Promise<Diffusion> {
    return Diffusion.load(rt, source);
  },
};
