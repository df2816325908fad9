/** `ganFamily`: the ModelFamily the `genmodels` CLI drives (train, load, sample, export). */
import type { FamilyTrainOptions, ModelFamily, ModelSource, Runtime } from '@genmodels/runtime';
import { GAN_PRESETS, resolveConfig, TOY_EPOCH } from './config.js';
import { GAN } from './gan.js';
import { GAN_PARTS } from './io.js';

/** The GAN family, typed so that train/load return the full `GAN` API. */
export interface GanFamily extends ModelFamily {
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<GAN>;
  load(rt: Runtime, source: ModelSource): Promise<GAN>;
}

/**
 * The GAN family: presets `ring8`, `mnist-dcgan`, `mnist-cdcgan`; part 'generator'.
 * `sample(n, seed, { label: 7 })` (or `{ labels }`) picks classes of the conditional preset.
 *
 * @example
 * const model = await ganFamily.train(rt, { preset: 'ring8', seed: 0 });
 * await model.save('out/gan');
 */
export const ganFamily: GanFamily = {
  name: 'gan',
  description:
    'Generative adversarial network (2-D MLP on ring8; DCGAN and conditional DCGAN on MNIST)',
  presets: GAN_PRESETS,
  parts: GAN_PARTS,
  sampleOptions: ['label'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<GAN> {
    const cfg = resolveConfig(opts.preset); // unknown preset: GanError before any data is read
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
