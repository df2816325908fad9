/**
 * A U-Net preset trained on a folder of your images (`diffusionFamily.train` with `data`):
 * the preset's architecture at the folder's [C, S, S], a seeded held-out split for
 * `evaluate()`, class labels from subfolders for a class-conditional preset.
 */
import { type FamilyTrainOptions, Rng, type Runtime, type Tensor } from '@genmodels/runtime';
import { type DiffusionConfig, resolveConfig } from './config.js';
import { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';
import { checkValFraction, progress, totalSteps } from './family-options.js';
import { DiffusionNetwork } from './network.js';
import { diffusionImageShape, downsamplings, levelOfSide, nearestSizes } from './unet-shape.js';

/**
 * The preset's U-Net on images [C, S, S]: the same levels, channels, attention levels (their
 * sides scaled to S) and training settings; no preset data set. `numClasses` is the
 * folder's class count with labels, else 0 (unconditional).
 */
export function configForImages(
  cfg: DiffusionConfig,
  shape: readonly [number, number],
  numClasses: number,
): DiffusionConfig {
  const [c, s] = shape;
  const levels = (cfg.attentionResolutions ?? []).map((r) => levelOfSide(cfg, r));
  const { dataDim: _d, dataset: _s, attentionResolutions: _a, ...rest } = cfg;
  const own: Partial<DiffusionConfig> = {
    ...rest,
    imageChannels: c,
    imageHeight: s,
    imageWidth: s,
    numClasses,
  };
  if (levels.length > 0) own.attentionResolutions = levels.map((l) => s / 2 ** l);
  return resolveConfig(own);
}

/** imageSize (default the preset's height), checked against the preset's levels. */
function imageSizeFor(cfg: DiffusionConfig, opts: FamilyTrainOptions): number {
  const size = opts.imageSize ?? diffusionImageShape(cfg)[1];
  if (!(Number.isInteger(size) && size >= 1 && size <= 4096))
    throw new DiffusionError(
      `imageSize (--image-size) must be an integer in 1..4096, got ${String(size)}`,
    );
  const down = downsamplings(cfg);
  const f = 2 ** down;
  if (size % f !== 0)
    throw new DiffusionError(
      `imageSize (--image-size) ${size}: preset '${opts.preset}' is a U-Net of ${cfg.channels.length} levels that halves its feature maps ${down} time${down === 1 ? '' : 's'}, so it needs an image size divisible by ${f}; use --image-size ${nearestSizes(size, f)}`,
    );
  return size;
}

/** The fewest images whose split by `valFraction` leaves `batchSize` to train on and 2 held out. */
export function imagesNeeded(batchSize: number, valFraction: number): number {
  for (let n = batchSize + 2; ; n++) {
    const held = Math.min(n - 1, Math.max(1, Math.round(n * valFraction)));
    if (n - held >= batchSize && held >= 2) return n;
  }
}

/** Int32 labels of an int64 tensor. */
function labelArray(t: Tensor): Int32Array {
  return Int32Array.from(t.data as BigInt64Array, Number);
}

/**
 * Train a U-Net preset on the images of the folder `opts.data` (PNG / JPEG, read with
 * `readImageFolder`): resized and center-cropped to `imageSize` (default the preset's), gray
 * (C = 1) when every image is, else RGB; pixels scaled to [-1, 1]. `labels: 'folders'` (a
 * class-conditional preset) makes each first-level subfolder a class, with classifier-free
 * guidance as the preset; else the model is unconditional. A seeded `valFraction` (default
 * 0.1) is held out for `evaluate()` (`pixel_mmd`); an epoch is one pass over the training
 * images. `model.data` records the source, shape, normalization and split.
 */
export async function trainOnImages(
  rt: Runtime,
  cfg: DiffusionConfig,
  opts: FamilyTrainOptions & { data: string },
  seed: number,
): Promise<Diffusion> {
  if (/\.(csv|tsv|txt|npy|npz)$/i.test(opts.data))
    throw new DiffusionError(
      `data '${opts.data}': preset '${opts.preset}' is a U-Net and trains on a folder of images (PNG / JPEG); for a file of points use a point preset (moons-2d)`,
    );
  const size = imageSizeFor(cfg, opts);
  const valFraction = checkValFraction(opts, 'images');
  const labels = opts.labels ?? 'none';
  if (labels !== 'folders' && labels !== 'none')
    throw new DiffusionError(
      `labels (--labels) must be 'folders' or 'none', got ${String(labels)}`,
    );
  if (labels === 'folders' && cfg.numClasses === 0)
    throw new DiffusionError(
      `labels 'folders': preset '${opts.preset}' is unconditional; use labels 'none', or a class-conditional preset`,
    );
  // The preset at this size (gray), so a size its parameter bound refuses fails before any reading.
  configForImages(cfg, [1, size], labels === 'folders' ? 1 : 0);
  const { datasets, toSignedPixels } = await import('./with-datasets.js');
  const { readImageFolder, splitRows } = await datasets();
  const read = await readImageFolder(opts.data, { size, labels });
  const images = toSignedPixels(read.images);
  const [n, c] = images.shape;
  const { train, val } = splitRows(images, valFraction, seed);
  const trainLabels =
    read.labels && labels === 'folders'
      ? labelArray(splitRows(read.labels, valFraction, seed).train)
      : undefined;
  const where = `data '${opts.data}'`;
  if (train.shape[0] < cfg.batchSize)
    throw new DiffusionError(
      `${where}: ${train.shape[0]} training image${train.shape[0] === 1 ? '' : 's'} (${n} read, ${val.shape[0]} held out by valFraction ${valFraction}) are fewer than one batch: preset '${opts.preset}' has batchSize ${cfg.batchSize}; give at least ${imagesNeeded(cfg.batchSize, valFraction)} images`,
    );
  if (val.shape[0] < 2)
    throw new DiffusionError(
      `${where}: valFraction ${valFraction} of ${n} images holds out ${val.shape[0]}; evaluation needs 2 or more held-out images (give more images or a larger valFraction)`,
    );
  const config = configForImages(cfg, [c, size], trainLabels ? read.classes.length : 0);
  const model = new Diffusion(rt, new DiffusionNetwork(config, new Rng(seed)), opts.preset);
  const total = totalSteps(opts, Math.floor(train.shape[0] / config.batchSize));
  await model.fit(train, {
    steps: total,
    seed,
    labels: trainLabels,
    reference: val,
    ...progress(opts, total, 20),
  });
  model.data = {
    source: opts.data,
    shape: [...images.shape],
    normalization: 'scale to [-1, 1]',
    split: { valFraction, seed, trainRows: train.shape[0], valRows: val.shape[0] },
  };
  return model;
}
