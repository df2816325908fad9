/** `ganFamily`: the ModelFamily the `genmodels` CLI drives (train, load, sample, export). */
import {
  type FamilyTrainOptions,
  type ModelFamily,
  type ModelSource,
  Rng,
  type Runtime,
} from '@genmodels/runtime';
import { GAN_PRESETS, type GanConfig, resolveConfig, TOY_EPOCH } from './config.js';
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
 * The GAN family: presets `ring8`, `mnist-dcgan`, `mnist-cdcgan`; part 'generator'.
 * `sample(n, seed, { label: 7 })` (or `{ labels }`) picks classes of the conditional preset.
 * `data` (with `ring8`): train on your own points instead of the toy set (see
 * {@link trainOnPoints}); `evaluate({ data })` scores against held-out points.
 *
 * @example
 * const model = await ganFamily.train(rt, { preset: 'ring8', seed: 0 });
 * await model.save('out/gan');
 * const own = await ganFamily.train(rt, { preset: 'ring8', data: 'points.csv', valFraction: 0.1 });
 */
export const ganFamily: GanFamily = {
  name: 'gan',
  description:
    'Generative adversarial network (2-D MLP on ring8 or your own points; DCGAN and conditional DCGAN on MNIST)',
  presets: GAN_PRESETS,
  parts: GAN_PARTS,
  sampleOptions: ['label'],
  trainOptions: ['data', 'valFraction'],
  evalOptions: ['data'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<GAN> {
    const cfg = resolveConfig(opts.preset); // unknown preset: GanError before any data is read
    if (opts.data !== undefined) return trainOnPoints(rt, opts, opts.data, cfg);
    const seed = opts.seed ?? 0;
    const { mnistSplit, toyReference } = await import('./with-datasets.js');
    let data: Awaited<ReturnType<typeof mnistSplit>>;
    if (cfg.toy)
      data = { images: await toyReference(cfg.toy, TOY_EPOCH, seed), labels: new Int32Array(0) };
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
  if (cfg.arch !== 'mlp')
    throw new GanError(
      `--data for image presets comes with image-folder support; '${opts.preset}' trains on MNIST. Your own points train the 2-D preset: --preset ring8 --data points.csv`,
    );
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
