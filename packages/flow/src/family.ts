/** `flowFamily`: the ModelFamily the `genmodels` CLI drives (train, load, sample, eval, export). */
import {
  type FamilyTrainOptions,
  type ModelFamily,
  type ModelSource,
  type ProgressEvent,
  Rng,
  type Runtime,
} from '@genmodels/runtime';
import { FLOW_PRESETS, type FlowConfig, resolveConfig, TOY_EPOCH } from './config.js';
import { toData } from './data.js';
import { FlowError } from './errors.js';
import { Flow } from './flow.js';
import { FLOW_PARTS } from './io.js';
import { FlowNetwork } from './network.js';
import { trainOnImages } from './own-images.js';
import { schedule } from './schedule.js';

/** The flow family, typed so that train/load return the full `Flow` API. */
export interface FlowFamily extends ModelFamily {
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<Flow>;
  load(rt: Runtime, source: ModelSource): Promise<Flow>;
}

/**
 * The flow family: presets `moons`, `8gaussians`, `ring8`, `checkerboard` (2-D),
 * `mnist-mlp` and `cifar-realnvp` (multi-scale, CIFAR-10); parts ['sampler',
 * 'log_density']. A run uses Adam at the config's lr with a short warm-up and cosine decay
 * to 0 over the run. `data`: train on your own data instead of the preset's: points (.csv,
 * .tsv, .npy) with a 2-D preset (see {@link trainOnPoints}), a folder of images with an
 * image preset (see {@link trainOnImages}; `imageSize`, no `labels`: the flow is
 * unconditional); `evaluate({ data })` scores held-out data.
 *
 * @example
 * const model = await flowFamily.train(rt, { preset: 'moons', seed: 0 });
 * await model.save('out/flow');
 * const own = await flowFamily.train(rt, { preset: 'moons', data: 'points.csv', valFraction: 0.1 });
 * const pics = await flowFamily.train(rt, { preset: 'cifar-realnvp', data: 'faces', imageSize: 16 });
 */
export const flowFamily: FlowFamily = {
  name: 'flow',
  description:
    'Normalizing flow (RealNVP affine couplings; 2-D toy densities or your own points; dequantized MNIST, CIFAR-10 (multi-scale) or your own images with bits/dim)',
  presets: FLOW_PRESETS,
  parts: FLOW_PARTS,
  trainOptions: ['data', 'valFraction', 'imageSize', 'labels'],
  evalOptions: ['data'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<Flow> {
    const cfg = resolveConfig(opts.preset); // unknown preset: FlowError before any data is read
    if (opts.data !== undefined)
      return cfg.pixels
        ? trainOnImages(rt, { ...opts, data: opts.data }, cfg)
        : trainOnPoints(rt, opts, opts.data, cfg);
    refuseOwnDataOptions(opts, cfg);
    const seed = opts.seed ?? 0;
    const extras = await import('./with-datasets.js');
    const flow = Flow.create(rt, opts.preset, { seed });
    const epochs = opts.epochs ?? FLOW_PRESETS[opts.preset]?.defaultEpochs ?? 1;
    let total: number;
    let run: (lr: ReturnType<typeof schedule>) => Promise<unknown>;
    const common = {
      seed,
      signal: opts.signal,
      progressEvery: cfg.pixels ? 10 : 50,
      onProgress: opts.onProgress && ((e: ProgressEvent) => opts.onProgress?.({ ...e, total })),
    };
    if (cfg.toy) {
      const perEpoch = TOY_EPOCH / cfg.batchSize;
      total = opts.steps ?? epochs * perEpoch;
      const stream = await extras.toyStream(cfg.toy, cfg.batchSize, perEpoch, seed);
      run = (lr) =>
        flow.fit(stream, {
          ...common,
          steps: total,
          lr,
          initBatch: stream.initBatch,
          reference: 'preset',
        });
    } else {
      const set = extras.presetImageSet(cfg) ?? 'mnist';
      const pixels = await extras.presetPixels(set, 'train', { dir: opts.dataDir });
      const train = toData(pixels, cfg, 'train');
      total = opts.steps ?? epochs * Math.ceil(train.shape[0] / cfg.batchSize);
      run = (lr) => flow.fit(train, { ...common, steps: total, lr, reference: 'preset' });
    }
    await run(schedule(cfg.lr, total));
    return flow;
  },
  load(rt: Runtime, source: ModelSource): Promise<Flow> {
    return Flow.load(rt, source);
  },
};

/** Own-data options given without `data` (the preset's own data is used): a FlowError naming each. */
function refuseOwnDataOptions(opts: FamilyTrainOptions, cfg: FlowConfig): void {
  for (const [key, what] of [
    ['valFraction', 'holds out part of your own data'],
    ['imageSize', 'is the size your own images are read at'],
    ['labels', 'says how to read the folders of your own images'],
  ] as const)
    if (opts[key] !== undefined)
      throw new FlowError(
        `${key} (${String(opts[key])}) ${what}; give it with data (${cfg.pixels ? 'a folder of images' : 'a file of points'}), or leave it out to train on the preset's data`,
      );
}

/**
 * A 2-D preset trained on the points of `source` (.csv, .tsv, .txt or .npy, read with
 * `readPoints`): the preset's config with `dim` = the data's D (2 or more) and no toy set; a
 * seeded `valFraction` (default 0.1) held out (`splitRows`), the rest standardized by its
 * own mean and std and trained on, the held-out points kept for `evaluate()`. An epoch is
 * one pass over the training rows (ceil(rows / batch) steps). `model.data` records the
 * source, shape, normalization and split.
 */
async function trainOnPoints(
  rt: Runtime,
  opts: FamilyTrainOptions,
  source: string,
  cfg: FlowConfig,
): Promise<Flow> {
  for (const [key, flag] of [
    ['imageSize', '--image-size'],
    ['labels', '--labels'],
  ] as const)
    if (opts[key] !== undefined)
      throw new FlowError(
        `${key} (${flag}) is for a folder of images; preset '${opts.preset}' trains on points (a .csv, .tsv or .npy file). Your own images train an image preset: --preset cifar-realnvp --data DIR`,
      );
  const valFraction = opts.valFraction ?? 0.1;
  if (!(typeof valFraction === 'number' && valFraction >= 0 && valFraction < 1))
    throw new FlowError(`valFraction (${valFraction}) must be a number in [0, 1)`);
  const seed = opts.seed ?? 0;
  const { datasets } = await import('./with-datasets.js');
  const { readPoints, splitRows } = await datasets();
  const points = await readPoints(source);
  const d = points.shape[1];
  if (d < 2)
    throw new FlowError(
      `'${source}' holds points with ${d} column; a flow's couplings need 2 or more (D >= 2)`,
    );
  const { train, val } = splitRows(points, valFraction, seed);
  const rows = train.shape[0];
  const { toy: _toy, ...preset } = cfg;
  const flow = new Flow(
    rt,
    new FlowNetwork(resolveConfig({ ...preset, dim: d }), new Rng(seed)),
    opts.preset,
  );
  const perEpoch = Math.max(1, Math.ceil(rows / cfg.batchSize));
  const epochs = opts.epochs ?? FLOW_PRESETS[opts.preset]?.defaultEpochs ?? 1;
  const total = opts.steps ?? epochs * perEpoch;
  await flow.fit(train, {
    steps: total,
    seed,
    lr: schedule(cfg.lr, total),
    standardize: true,
    reference: val.shape[0] > 0 ? val : undefined,
    signal: opts.signal,
    progressEvery: Math.min(50, total),
    onProgress: opts.onProgress && ((e: ProgressEvent) => opts.onProgress?.({ ...e, total })),
  });
  flow.data = {
    source,
    shape: [...points.shape],
    normalization: 'standardize',
    split: { valFraction, seed, trainRows: rows, valRows: val.shape[0] },
  };
  return flow;
}
