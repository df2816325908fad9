/** `vaeFamily`: the ModelFamily the `genmodels` CLI drives (train on MNIST or a folder of images, load, export). */
import {
  type FamilyTrainOptions,
  type ModelFamily,
  type ModelSource,
  type ProgressEvent,
  Rng,
  type Runtime,
} from '@genmodels/runtime';
import { resolveConfig, VAE_PRESETS, type VaeConfig, vaeImageShape } from './config.js';
import { VaeError } from './errors.js';
import { VAE_PARTS } from './io.js';
import { VaeNetwork } from './network.js';
import { VAE } from './vae.js';

/** The VAE family, typed so that train/load return the full `VAE` API. */
export interface VaeFamily extends ModelFamily {
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<VAE>;
  load(rt: Runtime, source: ModelSource): Promise<VAE>;
}

/** The fit's progress options with the total step count. */
function progress(opts: FamilyTrainOptions, total: number | null) {
  return {
    signal: opts.signal,
    progressEvery: 10,
    onProgress: opts.onProgress && ((e: ProgressEvent) => opts.onProgress?.({ ...e, total })),
  };
}

/**
 * The VAE family: presets `mnist-mlp`, `mnist-conv` (MNIST) and `cifar-conv` (CIFAR-10),
 * parts ['decoder', 'encoder'].
 * `data` (a folder of PNG / JPEG images): train on your own images instead of MNIST (see
 * {@link trainOnImages}); `evaluate({ data })` scores held-out images.
 *
 * @example
 * const model = await vaeFamily.train(rt, { preset: 'mnist-mlp', epochs: 1, seed: 0 });
 * await model.save('out/vae');
 * const own = await vaeFamily.train(rt, { preset: 'mnist-conv', data: 'faces', imageSize: 32 });
 */
export const vaeFamily: VaeFamily = {
  name: 'vae',
  description:
    'Variational autoencoder on MNIST, CIFAR-10 or a folder of your images (MLP or convolutional; Bernoulli or Gaussian likelihood)',
  presets: VAE_PRESETS,
  parts: VAE_PARTS,
  trainOptions: ['data', 'valFraction', 'imageSize', 'labels'],
  evalOptions: ['data'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<VAE> {
    const cfg = resolveConfig(opts.preset); // unknown preset: VaeError before any data is read
    if (opts.data !== undefined) return trainOnImages(rt, cfg, { ...opts, data: opts.data });
    for (const [key, what] of [
      ['valFraction', 'holds out part of your own images'],
      ['imageSize', 'is the size your own images are read at'],
      ['labels', 'says how to read the folders of your own images'],
    ] as const)
      if (opts[key] !== undefined)
        throw new VaeError(
          `${key} (${String(opts[key])}) ${what}; give it with data (a folder of images), or leave it out to train on the preset's set (${cfg.dataset === 'cifar10' ? 'CIFAR-10' : 'MNIST'})`,
        );
    const { cifarImages, mnistImages } = await import('./with-datasets.js');
    const train =
      cfg.dataset === 'cifar10'
        ? await cifarImages('train', { dir: opts.dataDir })
        : await mnistImages('train', { dir: opts.dataDir });
    const vae = VAE.create(rt, opts.preset, { seed: opts.seed ?? 0 });
    const perEpoch = Math.ceil(train.shape[0] / vae.config.batchSize);
    const epochs = opts.epochs ?? VAE_PRESETS[opts.preset]?.defaultEpochs ?? 1;
    const total = opts.steps ?? epochs * perEpoch;
    await vae.fit(train, {
      epochs: opts.steps === undefined ? epochs : undefined,
      steps: opts.steps,
      seed: opts.seed ?? 0,
      // MNIST (CIFAR-10) is the presets' own data: evaluate() keeps scoring on its test set.
      reference: 'preset',
      ...progress(opts, total),
    });
    return vae;
  },
  load(rt: Runtime, source: ModelSource): Promise<VAE> {
    return VAE.load(rt, source);
  },
};

/**
 * A preset trained on the images of the folder `opts.data` (PNG / JPEG, read with
 * `readImageFolder`): resized and center-cropped to `imageSize` (default the preset's, 28),
 * gray (C = 1) when every image is, else RGB; the preset's config with the image shape set
 * to the data's [C, S, S]. A seeded `valFraction` (default 0.1) is held out (`splitRows`)
 * for `evaluate()` and the pictures; the rest is trained on, pixels scaled to [0, 1] (the
 * Bernoulli likelihood takes them as they are). An epoch is one pass over the training
 * images. `model.data` records the source, shape, normalization and split.
 */
async function trainOnImages(
  rt: Runtime,
  cfg: VaeConfig,
  opts: FamilyTrainOptions & { data: string },
): Promise<VAE> {
  const seed = opts.seed ?? 0;
  const size = opts.imageSize ?? cfg.imageSize ?? vaeImageShape(cfg)[1];
  if (!(Number.isInteger(size) && size >= 1 && size <= 4096))
    throw new VaeError(
      `imageSize (--image-size) must be an integer in 1..4096, got ${String(size)}`,
    );
  if (cfg.arch === 'conv' && size % 4 !== 0) {
    const down = Math.max(4, size - (size % 4));
    throw new VaeError(
      `imageSize (--image-size) ${size}: preset '${opts.preset}' is convolutional (two stride-2 layers) and needs an image size divisible by 4; use --image-size ${down} or ${down + 4}, or an MLP preset (mnist-mlp)`,
    );
  }
  const valFraction = opts.valFraction ?? 0.1;
  if (!(typeof valFraction === 'number' && valFraction > 0 && valFraction < 1))
    throw new VaeError(
      `valFraction (${String(valFraction)}) must be a number in (0, 1): evaluate() scores the model on the held-out images`,
    );
  // The preset's architecture and training settings, not its built-in set.
  const { dataset: _builtIn, ...own } = cfg;
  // The preset at this size (gray), so a size its parameter bound refuses fails before any reading.
  resolveConfig({ ...own, imageSize: size, imageChannels: 1 });
  const labels = opts.labels ?? 'none';
  const { datasets } = await import('./with-datasets.js');
  const { readImageFolder, splitRows } = await datasets();
  const { images } = await readImageFolder(opts.data, { size, labels });
  const [n, c] = images.shape;
  const { train, val } = splitRows(images, valFraction, seed);
  if (train.shape[0] === 0 || val.shape[0] === 0)
    throw new VaeError(
      `data '${opts.data}': valFraction ${valFraction} of ${n} image${n === 1 ? '' : 's'} leaves ${train.shape[0]} to train on and ${val.shape[0]} held out; both need at least one image (give more images)`,
    );
  // The preset's architecture and training settings, on images of the folder's shape.
  const config = resolveConfig({ ...own, imageSize: size, imageChannels: c });
  const vae = new VAE(rt, new VaeNetwork(config, new Rng(seed)), opts.preset);
  const perEpoch = Math.ceil(train.shape[0] / config.batchSize);
  const epochs = opts.epochs ?? VAE_PRESETS[opts.preset]?.defaultEpochs ?? 1;
  const total = opts.steps ?? epochs * perEpoch;
  await vae.fit(train, {
    epochs: opts.steps === undefined ? epochs : undefined,
    steps: opts.steps,
    seed,
    reference: val,
    ...progress(opts, total),
  });
  vae.data = {
    source: opts.data,
    shape: [...images.shape],
    normalization: 'scale to [0, 1]',
    split: { valFraction, seed, trainRows: train.shape[0], valRows: val.shape[0] },
  };
  return vae;
}
