/** `ganFamily`: the ModelFamily the `genmodels` CLI drives (train, load, sample, export). */
import {
  type FamilyTrainOptions,
  type ModelFamily,
  type ModelSource,
  Rng,
  type Runtime,
} from '@genmodels/runtime';
import {
  GAN_PRESETS,
  type GanConfig,
  ganImageShape,
  ganUpsamples,
  nearSizes,
  resolveConfig,
  TOY_EPOCH,
} from './config.js';
import { GanError } from './errors.js';
import { GAN } from './gan.js';
import { GAN_PARTS } from './io.js';
import { GanNetwork } from './network.js';

/** The GAN family, typed so that train/load return the full `GAN` API. */
export interface GanFamily extends ModelFamily {
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<GAN>;
  load(rt: Runtime, source: ModelSource): Promise<GAN>;
}

/**
 * The GAN family: presets `ring8`, `mnist-dcgan`, `mnist-cdcgan`, `cifar-dcgan`; part
 * 'generator'. `sample(n, seed, { label: 7 })` (or `{ labels }`) picks classes of a
 * conditional preset. `data`: train on your own data instead of the preset's: points for
 * `ring8` (see {@link trainOnPoints}), a folder of images for the DCGAN presets (see
 * {@link trainOnImages}); `evaluate({ data })` scores against held-out points or images.
 *
 * @example
 * const model = await ganFamily.train(rt, { preset: 'ring8', seed: 0 });
 * await model.save('out/gan');
 * const own = await ganFamily.train(rt, { preset: 'ring8', data: 'points.csv', valFraction: 0.1 });
 * const faces = await ganFamily.train(rt, { preset: 'mnist-dcgan', data: 'faces', imageSize: 32 });
 */
export const ganFamily: GanFamily = {
  name: 'gan',
  description:
    'Generative adversarial network (2-D MLP on ring8 or your own points; DCGAN and conditional DCGAN on MNIST, CIFAR-10 or a folder of your images)',
  presets: GAN_PRESETS,
  parts: GAN_PARTS,
  sampleOptions: ['label'],
  trainOptions: ['data', 'valFraction', 'imageSize', 'labels'],
  evalOptions: ['data'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<GAN> {
    const cfg = resolveConfig(opts.preset); // unknown preset: GanError before any data is read
    checkOwnDataOptions(opts, cfg);
    if (opts.data !== undefined)
      return cfg.arch === 'mlp'
        ? trainOnPoints(rt, opts, opts.data, cfg)
        : trainOnImages(rt, { ...opts, data: opts.data }, cfg);
    const seed = opts.seed ?? 0;
    const { cifarSplit, mnistSplit, toyReference } = await import('./with-datasets.js');
    let data: Awaited<ReturnType<typeof mnistSplit>>;
    if (cfg.toy)
      data = { images: await toyReference(cfg.toy, TOY_EPOCH, seed), labels: new Int32Array(0) };
    // A missing CIFAR-10 is datasets' DatasetNotFoundError, saying how to get it.
    else if (cfg.dataset === 'cifar10') data = await cifarSplit('train', { dir: opts.dataDir });
    else data = await mnistSplit('train', { dir: opts.dataDir });
    const gan = GAN.create(rt, opts.preset, { seed });
    const perEpoch = Math.floor(data.images.shape[0] / cfg.batchSize / cfg.dSteps);
    const epochs = opts.epochs ?? GAN_PRESETS[opts.preset]?.defaultEpochs ?? 1;
    const total = opts.steps ?? epochs * perEpoch;
    await gan.fit(data.images, {
      steps: total,
      seed,
      labels: cfg.numClasses > 0 ? data.labels : undefined,
      reference: 'preset',
      signal: opts.signal,
      progressEvery: cfg.toy ? 100 : 20,
      onProgress: opts.onProgress && ((e) => opts.onProgress?.({ ...e, total })),
    });
    return gan;
  },
  load(rt: Runtime, source: ModelSource): Promise<GAN> {
    return GAN.load(rt, source);
  },
};

/** Own-data options without data, or image options for a point preset: a GanError naming the option. */
function checkOwnDataOptions(opts: FamilyTrainOptions, cfg: GanConfig): void {
  const image = [
    ['imageSize', 'is the size your own images are read at'],
    ['labels', 'says how to read the folders of your own images'],
  ] as const;
  if (opts.data === undefined) {
    for (const [key, what] of [
      ['valFraction', 'holds out part of your own data'],
      ...image,
    ] as const)
      if (opts[key] !== undefined)
        throw new GanError(
          `${key} (${String(opts[key])}) ${what}; give it with data (${cfg.arch === 'mlp' ? 'a file of points' : 'a folder of images'}), or leave it out to train on the preset's own data`,
        );
  } else if (cfg.arch === 'mlp')
    for (const [key, what] of image)
      if (opts[key] !== undefined)
        throw new GanError(
          `${key} (${String(opts[key])}) ${what}, but preset '${opts.preset}' trains on points (a .csv, .tsv, .txt or .npy file); image folders train the DCGAN presets (mnist-dcgan, mnist-cdcgan, cifar-dcgan)`,
        );
}

/**
 * A 2-D preset trained on the points of `opts.data` (.csv, .tsv, .txt or .npy, read with
 * `readPoints`): the preset's config with `dataDim` = the data's D and no toy set (the
 * batch size at most the training rows); a seeded `valFraction` (default 0.1) held out
 * (`splitRows`), the rest standardized by its own mean and std and trained on, the held-out
 * points kept for `evaluate()`. An epoch is one pass over the training rows (at least one
 * step). `model.data` records the source, shape, normalization and split.
 */
async function trainOnPoints(
  rt: Runtime,
  opts: FamilyTrainOptions,
  source: string,
  cfg: GanConfig,
): Promise<GAN> {
  const valFraction = opts.valFraction ?? 0.1;
  if (!(typeof valFraction === 'number' && valFraction >= 0 && valFraction < 1))
    throw new GanError(`valFraction (${valFraction}) must be a number in [0, 1)`);
  const seed = opts.seed ?? 0;
  const { datasets } = await import('./with-datasets.js');
  const { readPoints, splitRows } = await datasets();
  const points = await readPoints(source);
  const { train, val } = splitRows(points, valFraction, seed);
  const rows = train.shape[0];
  const { toy: _toy, ...preset } = cfg;
  const dataCfg = resolveConfig({
    ...preset,
    dataDim: points.shape[1],
    batchSize: Math.min(cfg.batchSize, rows),
  });
  const gan = new GAN(rt, new GanNetwork(dataCfg, new Rng(seed)), opts.preset);
  const perEpoch = Math.max(1, Math.floor(rows / dataCfg.batchSize / dataCfg.dSteps));
  const epochs = opts.epochs ?? GAN_PRESETS[opts.preset]?.defaultEpochs ?? 1;
  const total = opts.steps ?? epochs * perEpoch;
  await gan.fit(train, {
    steps: total,
    seed,
    standardize: true,
    reference: val.shape[0] > 0 ? val : undefined,
    signal: opts.signal,
    progressEvery: Math.min(100, total),
    onProgress: opts.onProgress && ((e) => opts.onProgress?.({ ...e, total })),
  });
  gan.data = {
    source,
    shape: [...points.shape],
    normalization: 'standardize',
    split: { valFraction, seed, trainRows: rows, valRows: val.shape[0] },
  };
  return gan;
}

/**
 * A DCGAN preset trained on the images of the folder `opts.data` (PNG / JPEG, read with
 * `readImageFolder`): resized and center-cropped to `imageSize` (default the preset's side:
 * 28 for MNIST, 32 for CIFAR-10; divisible by 2^upsamples), gray (C = 1) when every image
 * is, else RGB; the preset's architecture and training settings at the data's [C, S, S],
 * with no built-in data set and the batch size at most the training images. A conditional
 * preset takes its classes from the first-level subfolders (`labels` 'folders', its
 * default; numClasses = the folder count, sorted names get 0..K-1). A seeded `valFraction`
 * (default 0.1) is held out (`splitRows`) for `evaluate()` (`pixel_mmd`); the rest is
 * trained on, pixels scaled to [-1, 1] (the generator's tanh). An epoch is one pass over
 * the training images (at least one step). `model.data` records the source, shape,
 * normalization and split.
 */
async function trainOnImages(
  rt: Runtime,
  opts: FamilyTrainOptions & { data: string },
  cfg: GanConfig,
): Promise<GAN> {
  const { datasets, POINT_FILE, readImageData } = await import('./with-datasets.js');
  const preset = opts.preset;
  if (POINT_FILE.test(opts.data))
    throw new GanError(
      `data '${opts.data}' is a file of points, but preset '${preset}' trains on images: give a folder of PNG / JPEG images; your own points train the 2-D preset (--preset ring8 --data points.csv)`,
    );
  const seed = opts.seed ?? 0;
  const size = opts.imageSize ?? ganImageShape(cfg)[1];
  if (!(Number.isInteger(size) && size >= 1 && size <= 4096))
    throw new GanError(
      `imageSize (--image-size) must be an integer in 1..4096, got ${String(size)}`,
    );
  const stages = ganUpsamples(cfg);
  const m = 2 ** stages;
  if (size % m !== 0)
    throw new GanError(
      `imageSize (--image-size) ${size}: preset '${preset}' has ${stages} stride-2 stages and needs an image size divisible by ${m} (2^${stages}); use --image-size ${nearSizes(size, m)}`,
    );
  const valFraction = opts.valFraction ?? 0.1;
  if (!(typeof valFraction === 'number' && valFraction > 0 && valFraction < 1))
    throw new GanError(
      `valFraction (${String(valFraction)}) must be a number in (0, 1): evaluate() scores the model on the held-out images`,
    );
  const conditional = cfg.numClasses > 0;
  const labels = opts.labels ?? (conditional ? 'folders' : 'none');
  if (labels !== 'folders' && labels !== 'none')
    throw new GanError(`labels (--labels) must be 'folders' or 'none', got ${String(labels)}`);
  if (labels === 'folders' && !conditional)
    throw new GanError(
      `labels 'folders' (--labels folders) reads class labels, but preset '${preset}' is unconditional; use a conditional preset (mnist-cdcgan) for one class per subfolder, or leave labels out`,
    );
  if (labels === 'none' && conditional)
    throw new GanError(
      `preset '${preset}' is class-conditional and needs class labels: labels 'folders' (--labels folders, one subfolder per class), or an unconditional preset (mnist-dcgan)`,
    );
  // The preset at this size (gray, no data set), so a size its parameter bound refuses fails before any reading.
  const { toy: _t, dataset: _d, imageChannels: _c, imageHeight: _h, imageWidth: _w, ...arch } = cfg;
  const atSize = (c: number, extra: Partial<GanConfig> = {}) =>
    resolveConfig({
      ...arch,
      imageChannels: c,
      imageHeight: size,
      imageWidth: size,
      dataDim: c * size * size,
      ...extra,
    });
  atSize(1);
  const data = await readImageData(opts.data, { size, labels });
  const { images, classes } = data;
  const [n, c] = images.shape;
  const { splitRows } = await datasets();
  const { train, val } = splitRows(images, valFraction, seed);
  const rows = train.shape[0];
  if (rows < 2 || val.shape[0] === 0)
    throw new GanError(
      `data '${opts.data}': valFraction ${valFraction} of ${n} image${n === 1 ? '' : 's'} leaves ${rows} to train on and ${val.shape[0]} held out; a batch (batchSize, at most the training images) needs at least 2 images for BatchNorm, and evaluate() at least 1 held out (give more images)`,
    );
  const trainLabels = data.labels ? splitRows(data.labels, valFraction, seed).train : undefined;
  const config = atSize(c, {
    batchSize: Math.min(cfg.batchSize, rows),
    ...(conditional ? { numClasses: classes.length } : {}),
  });
  const gan = new GAN(rt, new GanNetwork(config, new Rng(seed)), preset);
  const perEpoch = Math.max(1, Math.floor(rows / config.batchSize / config.dSteps));
  const epochs = opts.epochs ?? GAN_PRESETS[preset]?.defaultEpochs ?? 1;
  const total = opts.steps ?? epochs * perEpoch;
  await gan.fit(train, {
    steps: total,
    seed,
    labels: trainLabels ? trainLabels.toArray() : undefined,
    reference: val,
    signal: opts.signal,
    progressEvery: Math.min(20, total),
    onProgress: opts.onProgress && ((e) => opts.onProgress?.({ ...e, total })),
  });
  gan.data = {
    source: opts.data,
    shape: [...images.shape],
    normalization: 'scale to [-1, 1]',
    split: { valFraction, seed, trainRows: rows, valRows: val.shape[0] },
  };
  return gan;
}
