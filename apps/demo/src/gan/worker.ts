/**
 * The GAN page's worker: an MLP generator and discriminator on the ring of eight
 * Gaussians, or on the user's own 2-D points (a CSV/TSV file, standardized for training as
 * the CLI's `--data` does), sampled from the same z after every refresh so the page shows
 * the modes appearing; or the MNIST DCGAN's networks and settings on the user's own folder of
 * images, at their shape (gray or RGB, the chosen side). A loaded DCGAN checkpoint is shown as
 * images.
 */
import { toyData, toyMixture } from '@genmodels/datasets';
import { GAN, type GanConfig, GanNetwork, resolveConfig } from '@genmodels/gan';
import { Rng, type Runtime } from '@genmodels/runtime';
import {
  imagesAs,
  type OwnData,
  type OwnImages,
  pointBounds,
  provenance,
  summary,
  toSignedRange,
} from '../shared/own-data.js';
import type { DataSummary } from '../shared/protocol.js';
import { serveFamily, type Trainer } from '../shared/worker-host.js';
import type { Bounds, GanView } from './views.js';

const PRESETS: Record<string, { description: string; config: Partial<GanConfig> | string }> = {
  'ring8-fast': {
    description:
      'ring8 with Adam lr 5e-4 (the CLI uses 1e-4): all eight modes within a few thousand steps',
    config: { ...resolveConfig('ring8'), lr: 5e-4 },
  },
  ring8: {
    description: "the CLI's ring8: MLP G and D (hidden 128, z dim 2), Adam 1e-4, batch 256",
    config: 'ring8',
  },
};

const N_SAMPLES = 1500;
/** Points of your data drawn under the samples (the first rows of the file). */
const N_SHOWN = 3000;

type Series = Record<string, [number, number][]>;

/** What a GAN trains on here (and, for points, draws its samples over). */
interface TrainSet {
  /** `steps` more training steps; the losses go to `series` at steps after `from`. */
  fit(gan: GAN, steps: number, from: number, series: Series): Promise<void>;
  /** Points under the samples, the mode centers, and the region drawn (2-D sets only). */
  shown?(): { data: Float32Array; centers: Float32Array; bounds: Bounds };
  summary?: DataSummary;
}

function losses(series: Series, from: number) {
  series['D loss'] = [];
  series['G loss'] = [];
  return (e: { step: number; metrics: Record<string, number> }) => {
    series['D loss'].push([from + e.step, e.metrics.d_loss]);
    series['G loss'].push([from + e.step, e.metrics.g_loss]);
  };
}

/** The ring of eight Gaussians: fresh points for every chunk of steps (the toy set is infinite). */
function ring(): TrainSet {
  const rng = new Rng(1);
  const { centers } = toyMixture('ring8');
  return {
    async fit(gan, steps, from, series) {
      const cfg = gan.config;
      await gan.fit(toyData('ring8', cfg.batchSize * cfg.dSteps * steps, rng), {
        steps,
        progressEvery: 1,
        // The preset's own data: the model stays scored (and saved) as trained on ring8.
        reference: 'preset',
        onProgress: losses(series, from),
      });
    },
    shown: () => ({
      data: toyData('ring8', N_SAMPLES, 99).data as Float32Array,
      centers: Float32Array.from(centers.flat()),
      bounds: { xmin: -3, xmax: 3, ymin: -3, ymax: 3 },
    }),
  };
}

/** Your points: standardized by the training rows' mean and std, the held-out tenth as reference. */
function ownPoints(own: OwnData, batchSize: number): TrainSet {
  let chunks = 0;
  const all = own.all.data;
  const bounds = pointBounds(all);
  return {
    async fit(gan, steps, from, series) {
      // A new seed per chunk: fresh batches (and noise) each time; the Adam state carries over.
      await gan.fit(own.train, {
        steps,
        seed: ++chunks,
        standardize: true,
        reference: own.val.shape[0] > 0 ? own.val : undefined,
        progressEvery: 1,
        onProgress: losses(series, from),
      });
      gan.data = provenance(own); // a fit clears it (it may be other data): this is the same
    },
    shown: () => ({
      data: all.slice(0, 2 * N_SHOWN), // a copy: a view's buffers are transferred to the page
      centers: new Float32Array(0),
      bounds,
    }),
    summary: summary(own, batchSize),
  };
}

/**
 * Your images, in the generator's range [-1, 1]; the held-out tenth is what `evaluate()` would
 * compare with (as the CLI's `--data`).
 */
function ownImages(own: OwnImages, batchSize: number): TrainSet {
  let chunks = 0;
  const { train, val } = imagesAs(own, toSignedRange);
  return {
    async fit(gan, steps, from, series) {
      // A new seed per chunk: fresh batches and z each time; the Adam state carries over.
      await gan.fit(train, {
        steps,
        seed: ++chunks,
        reference: val,
        progressEvery: 1,
        onProgress: losses(series, from),
      });
      gan.data = provenance(own, '-11');
    },
    summary: summary(own, batchSize, ["scaled to [-1, 1] for the generator's tanh"]),
  };
}

/** `points`: what the GAN trains on here; null: nothing (it samples only). */
function trainer(
  gan: GAN,
  description: string,
  origin: string,
  points: TrainSet | null,
  note?: string,
): Trainer<GanView> {
  let step = 0;
  const cfg = gan.config;
  return {
    info: () => ({
      family: 'gan',
      preset: gan.preset,
      description,
      parameters: gan.net.numParameters(),
      config: cfg,
      origin,
      trainable: points !== null,
      note: points ? undefined : note,
      step,
      data: points?.summary,
    }),
    async train(steps) {
      if (!points) throw new Error(note ?? 'this GAN does not train here');
      const series: Series = {};
      await points.fit(gan, steps, step, series);
      step += steps;
      return series;
    },
    async views() {
      const shape = gan.imageShape;
      if (shape) {
        const x = await gan.sampleFlat(
          64,
          7,
          cfg.numClasses > 0 ? Array.from({ length: 64 }, (_, i) => i % cfg.numClasses) : undefined,
        );
        return [{ kind: 'images', images: x.data as Float32Array, n: 64, shape: [...shape] }];
      }
      // Before its first step on your points the generator does not know their units yet.
      const untrained = points?.summary && step === 0;
      const samples = untrained
        ? new Float32Array(0)
        : ((await gan.sampleFlat(N_SAMPLES, 7)).data as Float32Array);
      const shown = points?.shown?.() ?? {
        data: new Float32Array(0),
        centers: new Float32Array(0),
        bounds: pointBounds(samples),
      };
      return [{ kind: 'points', samples, ...shown }];
    },
    toFiles: () => gan.toFiles(),
  };
}

/**
 * A fresh DCGAN of the CLI's `mnist-dcgan` networks and settings (two stride-2 stages, c = 64,
 * BatchNorm, Adam 2e-4 (0.5, 0.999), EMA 0.999) at the images' shape: the page's sides are all
 * divisible by 4. The batch is the preset's 64, or every training image when there are fewer.
 */
function onImages(rt: Runtime, seed: number, own: OwnImages): Trainer<GanView> {
  const [, c, h, w] = own.all.shape;
  const base = resolveConfig('mnist-dcgan');
  const batchSize = Math.min(base.batchSize, own.train.shape[0]);
  const config = resolveConfig({
    ...base,
    imageChannels: c,
    imageHeight: h,
    imageWidth: w,
    dataDim: c * h * w,
    batchSize,
  });
  const gan = new GAN(rt, new GanNetwork(config, new Rng(seed)), 'mnist-dcgan');
  return trainer(
    gan,
    `the mnist-dcgan networks and settings (DCGAN, z dim ${config.zDim}, c = ${config.hidden}) on your ${c}x${h}x${w} images`,
    'a fresh preset on your data',
    ownImages(own, batchSize),
  );
}

serveFamily<GanView>({
  presets: Object.entries(PRESETS).map(([name, p]) => ({ name, description: p.description })),
  defaultPreset: 'ring8-fast',
  viewEveryMs: 1000,
  async create(ctx, preset, seed) {
    const p = PRESETS[preset];
    if (!p) throw new Error(`unknown GAN preset '${preset}'`);
    const gan = new GAN(ctx.rt, new GanNetwork(resolveConfig(p.config), new Rng(seed)), preset);
    return trainer(gan, p.description, 'a fresh preset', ring());
  },
  async load(ctx, files, names) {
    const gan = await GAN.load(ctx.rt, files);
    const cfg = gan.config;
    // The ring trains on: 2-D models in the ring's own units (not ones standardized to other points).
    const onRing = cfg.arch === 'mlp' && cfg.dataDim === 2 && gan.normalization === null;
    return trainer(
      gan,
      PRESETS[gan.preset]?.description ?? 'a loaded GAN',
      names.join(', '),
      onRing ? ring() : null,
      cfg.arch !== 'mlp'
        ? 'a loaded DCGAN is sampled here; train it with the CLI, or drop a folder of images to train a fresh one'
        : 'this GAN was trained on other points (standardized to them); it samples here. To train one, drop a CSV/TSV file of points (a fresh model of the selected preset)',
    );
  },
  ownData: {
    support: { images: true, points: true },
    async create(ctx, preset, seed, own) {
      const p = PRESETS[preset];
      if (!p) throw new Error(`unknown GAN preset '${preset}'`);
      if (own.kind === 'images') return onImages(ctx.rt, seed, own);
      // The preset's networks and training settings on your points, as `genmodels train gan --data`.
      const { toy: _toy, ...base } = resolveConfig(p.config);
      const batchSize = Math.min(base.batchSize, own.train.shape[0]);
      const gan = new GAN(
        ctx.rt,
        new GanNetwork(resolveConfig({ ...base, dataDim: 2, batchSize }), new Rng(seed)),
        preset,
      );
      return trainer(
        gan,
        `the ${preset} networks and settings on your points`,
        'a fresh preset on your data',
        ownPoints(own, batchSize),
      );
    },
  },
});
