/** `flowFamily`: the ModelFamily the `genmodels` CLI drives (train, load, sample, eval, export). */
import {
  cosine,
  type FamilyTrainOptions,
  type ModelFamily,
  type ModelSource,
  type ProgressEvent,
  type Runtime,
} from '@genmodels/runtime';
import { FLOW_PRESETS, resolveConfig, TOY_EPOCH } from './config.js';
import { toData } from './data.js';
import { Flow } from './flow.js';
import { FLOW_PARTS } from './io.js';

/** The flow family, typed so that train/load return the full `Flow` API. */
export interface FlowFamily extends ModelFamily {
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<Flow>;
  load(rt: Runtime, source: ModelSource): Promise<Flow>;
}

/**
 * The flow family: presets `moons`, `8gaussians`, `ring8`, `checkerboard` (2-D) and
 * `mnist-mlp`; parts ['sampler', 'log_density']. A run uses Adam at the config's lr with a
 * short warm-up and cosine decay to 0 over the run.
 *
 * @example
 * const model = await flowFamily.train(rt, { preset: 'moons', seed: 0 });
 * await model.save('out/flow');
 */
export const flowFamily: FlowFamily = {
  name: 'flow',
  description:
    'Normalizing flow (RealNVP affine couplings; 2-D toy densities, dequantized MNIST with bits/dim)',
  presets: FLOW_PRESETS,
  parts: FLOW_PARTS,
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<Flow> {
    const cfg = resolveConfig(opts.preset); // unknown preset: FlowError before any data is read
    const seed = opts.seed ?? 0;
    const extras = await import('./with-datasets.js');
    const flow = Flow.create(rt, opts.preset, { seed });
    const epochs = opts.epochs ?? FLOW_PRESETS[opts.preset]?.defaultEpochs ?? 1;
    let total: number;
    let run: (lr: ReturnType<typeof cosine>) => Promise<unknown>;
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
      run = (lr) => flow.fit(stream, { ...common, steps: total, lr, initBatch: stream.initBatch });
    } else {
      const train = toData(await extras.mnistPixels('train', { dir: opts.dataDir }), cfg, 'train');
      total = opts.steps ?? epochs * Math.ceil(train.shape[0] / cfg.batchSize);
      run = (lr) => flow.fit(train, { ...common, steps: total, lr });
    }
    const warmupSteps = Math.min(100, Math.floor(total / 10));
    await run(cosine(cfg.lr, { warmupSteps, totalSteps: Math.max(total, warmupSteps + 1) }));
    return flow;
  },
  load(rt: Runtime, source: ModelSource): Promise<Flow> {
    return Flow.load(rt, source);
  },
};
