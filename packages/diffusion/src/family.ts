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
import { DIFFUSION_PARTS } from './io.js';
import { DiffusionNetwork } from './network.js';

/** The diffusion family, typed so that train/load return the full `Diffusion` API. */
export interface DiffusionFamily extends ModelFamily {
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<Diffusion>;
  load(rt: Runtime, source: ModelSource): Promise<Diffusion>;
}

/** Training steps: `steps`, else `epochs` (default the preset's) of `perEpoch` steps, at least 1. */
function totalSteps(opts: FamilyTrainOptions, perEpoch: number): number {
  const epochs = opts.epochs ?? DIFFUSION_PRESETS[opts.preset]?.defaultEpochs ?? 1;
  return opts.steps ?? Math.max(1, Math.round(epochs * perEpoch));
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
  if (cfg.arch !== 'mlp')
    throw new DiffusionError(
      `data: preset '${opts.preset}' is a U-Net on 28x28 images; --data for image presets comes with image-folder support (for points, use a point preset such as moons-2d)`,
    );
  const valFraction = opts.valFraction ?? 0.1;
  if (!(typeof valFraction === 'number' && valFraction > 0 && valFraction < 1))
    throw new DiffusionError(
      `valFraction (${valFraction}) must be a number in (0, 1): evaluate() scores the model against the held-out points`,
    );
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
    signal: opts.signal,
    progressEvery: 200,
    onProgress: opts.onProgress && ((e) => opts.onProgress?.({ ...e, total })),
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
 * The diffusion family: presets `moons-2d`, `mnist-unet`, `mnist-unet-tiny`; part
 * 'denoiser'. `sample(n, seed, { label: 7 })` picks the class of the MNIST presets.
 * `data` (point presets): train on your own points instead of the toy set, with a seeded
 * `valFraction` (default 0.1) held out for `evaluate()`.
 *
 * @example
 * const model = await diffusionFamily.train(rt, { preset: 'moons-2d', seed: 0 });
 * await model.save('out/diffusion');
 * const own = await diffusionFamily.train(rt, { preset: 'moons-2d', data: 'spiral.csv' });
 */
export const diffusionFamily: DiffusionFamily = {
  name: 'diffusion',
  description:
    'Denoising diffusion (DDPM/DDIM; MLP on two moons or your own points, class-conditional U-Net on MNIST with classifier-free guidance)',
  presets: DIFFUSION_PRESETS,
  parts: DIFFUSION_PARTS,
  sampleOptions: ['label', 'steps', 'sampler', 'eta', 'guidance'],
  trainOptions: ['data', 'valFraction'],
  evalOptions: ['data'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<Diffusion> {
    const cfg = resolveConfig(opts.preset); // unknown preset: DiffusionError before any data is read
    const seed = opts.seed ?? 0;
    if (opts.data !== undefined) return trainOnPoints(rt, cfg, { ...opts, data: opts.data }, seed);
    if (opts.valFraction !== undefined)
      throw new DiffusionError(
        `valFraction (${opts.valFraction}) holds out part of your own data; give it with data (a file of points)`,
      );
    const { mnistSplit, toyTrain } = await import('./with-datasets.js');
    const data = cfg.toy
      ? { images: await toyTrain(cfg.toy, TOY_EPOCH, seed), labels: undefined }
      : await mnistSplit('train', { dir: opts.dataDir });
    const model = Diffusion.create(rt, opts.preset, { seed });
    const total = totalSteps(opts, Math.floor(data.images.shape[0] / cfg.batchSize));
    await model.fit(data.images, {
      steps: total,
      seed,
      labels: cfg.numClasses > 0 ? data.labels : undefined,
      // The toy set is the preset's own: evaluate() scores against fresh toy points.
      reference: cfg.toy ? 'preset' : undefined,
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
