/**
 * The Diffusion page's worker: an MLP denoiser on two moons (fresh points every chunk) or
 * on the user's own 2-D points (a CSV/TSV file, standardized for training as the CLI's
 * `--data` does); every refresh runs the DDIM sampler from the same noise and sends every
 * intermediate state, so the page can show denoising step by step. A folder of images
 * trains the CLI's `mnist-unet-tiny` U-Net at the images' [C, S, S], unconditional (as
 * `genmodels train diffusion --preset mnist-unet-tiny --data DIR`); its samples are drawn as
 * a grid.
 */
import { toyData } from '@genmodels/datasets';
import {
  configForImages,
  Diffusion,
  type DiffusionConfig,
  DiffusionNetwork,
  diffusionImageShape,
  resolveConfig,
} from '@genmodels/diffusion';
import { Rng, type Runtime } from '@genmodels/runtime';
import {
  imagesAs,
  type OwnImages,
  type OwnPoints,
  pointBounds,
  provenance,
  summary,
  toSignedRange,
  VAL_FRACTION,
} from '../shared/own-data.js';
import type { DataSummary } from '../shared/protocol.js';
import { serveFamily, type Trainer } from '../shared/worker-host.js';
import type { Bounds, DiffusionView } from './views.js';

const PRESETS: Record<string, { description: string; config: Partial<DiffusionConfig> | string }> =
  {
    'moons-small': {
      description:
        'two moons; MLP denoiser (hidden 128, 3 layers), T = 1000 linear, Adam 2e-3, batch 256',
      config: { toy: 'moons', lr: 2e-3 },
    },
    'moons-2d': {
      description: "the CLI's moons-2d: the same denoiser with Adam 1e-3",
      config: 'moons-2d',
    },
  };

const N = 800;
const STEPS = 40;
/** Samples (and DDIM steps) drawn of a U-Net on your images. */
const N_IMAGES = 32;
const IMAGE_STEPS = 20;
const TOY_BOUNDS: Bounds = { xmin: -4, xmax: 4, ymin: -4, ymax: 4 };

type Toy = NonNullable<DiffusionConfig['toy']>;

/** What a model trains on here (and, for points, draws its samples over). */
interface TrainSet {
  /** `steps` more training steps; the loss of each goes to `onLoss` (its step within the chunk). */
  fit(model: Diffusion, steps: number, onLoss: (step: number, loss: number) => void): Promise<void>;
  /** Points drawn under the samples, and the region drawn (2-D sets; empty for images). */
  shown: Float32Array;
  bounds: Bounds;
  summary?: DataSummary;
}

function toyPoints(toy: Toy, batchSize: number): TrainSet {
  const rng = new Rng(1);
  let chunks = 0;
  return {
    async fit(model, steps, onLoss) {
      // Fresh points and a new seed (timesteps, noise) per chunk; the Adam state carries over.
      await model.fit(toyData(toy, batchSize * steps, rng), {
        steps,
        seed: ++chunks,
        // The preset's own data: trained as it comes (not standardized), scored on the toy set.
        reference: 'preset',
        progressEvery: 1,
        onProgress: (e) => onLoss(e.step, e.loss),
      });
    },
    shown: toyData(toy, N, 99).data as Float32Array,
    bounds: TOY_BOUNDS,
  };
}

/** Your points: standardized by the training rows' mean and std, the held-out tenth as reference. */
function ownPoints(own: OwnPoints, batchSize: number): TrainSet {
  let chunks = 0;
  const all = own.all.data;
  return {
    async fit(model, steps, onLoss) {
      await model.fit(own.train, {
        steps,
        seed: ++chunks,
        reference: own.val,
        progressEvery: 1,
        onProgress: (e) => onLoss(e.step, e.loss),
      });
      model.data = provenance(own); // a fit clears it (it may be other data): this is the same
    },
    shown: all.subarray(0, 2 * 3000),
    bounds: pointBounds(all),
    summary: summary(own, batchSize),
  };
}

/**
 * Your images in [-1, 1], the U-Net's range; the held-out tenth is what `evaluate()` compares
 * with (as the CLI's `--data`).
 */
function ownImages(own: OwnImages, batchSize: number): TrainSet {
  let chunks = 0;
  const { train, val } = imagesAs(own, toSignedRange);
  return {
    async fit(model, steps, onLoss) {
      // A new seed per chunk: fresh batches, timesteps and noise; the Adam state carries over.
      await model.fit(train, {
        steps,
        seed: ++chunks,
        reference: val,
        progressEvery: 1,
        onProgress: (e) => onLoss(e.step, e.loss),
      });
      model.data = provenance(own, '-11'); // a fit clears it (it may be other data): this is the same
    },
    shown: new Float32Array(0),
    bounds: TOY_BOUNDS,
    summary: summary(own, batchSize, ['scaled to [-1, 1] for the U-Net']),
  };
}

/** The fewest rows whose training part (after holding out a tenth, at least one) fills one batch. */
function rowsForBatch(batchSize: number): number {
  let n = batchSize + 1;
  while (n - Math.max(1, Math.round(n * VAL_FRACTION)) < batchSize) n++;
  return n;
}

/** `points`: what the model trains on here; null: nothing (it samples only). */
function trainer(
  model: Diffusion,
  description: string,
  origin: string,
  points: TrainSet | null,
  note?: string,
): Trainer<DiffusionView> {
  let step = 0;
  const cfg = model.config;
  const noise = new Rng(7).normal(N * 2);
  return {
    info: () => ({
      family: 'diffusion',
      preset: model.preset,
      description,
      parameters: model.net.numParameters(),
      config: cfg,
      origin,
      trainable: points !== null,
      note: points ? undefined : note,
      step,
      data: points?.summary,
    }),
    async train(steps) {
      if (!points) throw new Error(note ?? 'this model does not train here');
      const loss: [number, number][] = [];
      await points.fit(model, steps, (s, l) => loss.push([step + s, l]));
      step += steps;
      return { loss };
    },
    async views() {
      if (cfg.arch === 'unet' && points?.summary?.kind === 'images') {
        // The live weights: an EMA of 0.999 barely leaves its initial value in a demo's steps.
        const [c, h, w] = diffusionImageShape(cfg);
        const x = await model.sampleFlat(N_IMAGES, {
          sampler: 'ddim',
          steps: IMAGE_STEPS,
          seed: 7,
          ema: false,
        });
        const sampler = `DDIM, ${IMAGE_STEPS} steps, live weights (not the EMA)`;
        return [
          {
            kind: 'images',
            images: x.data as Float32Array,
            n: N_IMAGES,
            shape: [c, h, w],
            sampler,
          },
        ];
      }
      if (cfg.arch !== 'mlp' || cfg.dataDim !== 2) return [];
      // Before its first step on your points the model does not know their units yet.
      if (points?.summary && step === 0)
        return [{ kind: 'data', data: points.shown.slice(), bounds: points.bounds }];
      const frames = new Float32Array((STEPS + 1) * N * 2);
      // x_T in the units the samples come back in (the model's standardization, if any).
      const norm = model.normalization;
      frames.set(norm ? noise.map((v, i) => norm.mean[i % 2] + norm.std[i % 2] * v) : noise, 0);
      const timesteps: number[] = [];
      await model.sampleFlat(N, {
        sampler: 'ddim',
        steps: STEPS,
        seed: 7,
        noise,
        onStep: (e) => {
          frames.set(e.x, e.step * N * 2);
          timesteps.push(e.t);
        },
      });
      return [
        {
          kind: 'denoising',
          frames,
          n: N,
          steps: STEPS,
          timesteps,
          // A copy: a view's buffers are transferred to the page.
          data: points?.shown.slice() ?? new Float32Array(0),
          sampler: `DDIM, ${STEPS} steps`,
          bounds:
            points?.bounds ?? (norm ? pointBounds(frames.subarray(STEPS * N * 2)) : TOY_BOUNDS),
        },
      ];
    },
    toFiles: () => model.toFiles(),
  };
}

/**
 * A fresh U-Net of the CLI's `mnist-unet-tiny` (levels 16-32-32, no attention, Adam 2e-4,
 * T = 1000 linear, eps prediction) at the images' [C, S, S], unconditional: the page's sides
 * are all divisible by 4, as its two downsamplings need. The batch is the preset's 64, or
 * every training image when there are fewer.
 */
function onImages(rt: Runtime, seed: number, own: OwnImages): Trainer<DiffusionView> {
  const [, c, h, w] = own.all.shape;
  if (h !== w) throw new Error(`the U-Net here takes square images, got ${h}x${w}`);
  const base = configForImages(resolveConfig('mnist-unet-tiny'), [c, h], 0);
  const batchSize = Math.min(base.batchSize, own.train.shape[0]);
  const config = resolveConfig({ ...base, batchSize });
  const model = new Diffusion(rt, new DiffusionNetwork(config, new Rng(seed)), 'mnist-unet-tiny');
  return trainer(
    model,
    `the mnist-unet-tiny U-Net (levels ${config.channels.join('-')}, unconditional) on your ${c}x${h}x${w} images`,
    'a fresh preset on your data',
    ownImages(own, batchSize),
  );
}

serveFamily<DiffusionView>({
  presets: Object.entries(PRESETS).map(([name, p]) => ({ name, description: p.description })),
  defaultPreset: 'moons-small',
  async create(ctx, preset, seed) {
    const p = PRESETS[preset];
    if (!p) throw new Error(`unknown diffusion preset '${preset}'`);
    const cfg = resolveConfig(p.config);
    const model = new Diffusion(ctx.rt, new DiffusionNetwork(cfg, new Rng(seed)), preset);
    return trainer(
      model,
      p.description,
      'a fresh preset',
      toyPoints(cfg.toy ?? 'moons', cfg.batchSize),
    );
  },
  async load(ctx, files, names) {
    const model = await Diffusion.load(ctx.rt, files);
    const cfg = model.config;
    // A toy set trains on: 2-D models in the toy's own units (not ones standardized to other points).
    const onToy = cfg.arch === 'mlp' && cfg.dataDim === 2 && model.normalization === null;
    return trainer(
      model,
      PRESETS[model.preset]?.description ?? 'a loaded diffusion model',
      names.join(', '),
      onToy ? toyPoints(cfg.toy ?? 'moons', cfg.batchSize) : null,
      cfg.arch !== 'mlp' || cfg.dataDim !== 2
        ? 'this page trains and draws 2-D diffusion models; this one is not 2-D (drop a folder of images to train a U-Net on them)'
        : 'this model was trained on other points (standardized to them); it samples here. To train one, drop a CSV/TSV file of points (a fresh model of the selected preset)',
    );
  },
  ownData: {
    support: { images: true, points: true },
    async create(ctx, preset, seed, own) {
      const p = PRESETS[preset];
      if (!p) throw new Error(`unknown diffusion preset '${preset}'`);
      if (own.kind === 'images') return onImages(ctx.rt, seed, own);
      // The preset's denoiser and training settings on your points, as `genmodels train diffusion --data`.
      const { toy: _toy, ...base } = resolveConfig(p.config);
      const rows = own.train.shape[0];
      if (rows < base.batchSize)
        throw new Error(
          `${own.source}: ${rows} rows to train on (${own.all.shape[0]} in the file, ${own.val.shape[0]} held out) are fewer than one batch of ${base.batchSize} (preset '${preset}'); give at least ${rowsForBatch(base.batchSize)} rows`,
        );
      const model = new Diffusion(
        ctx.rt,
        new DiffusionNetwork(resolveConfig({ ...base, dataDim: 2 }), new Rng(seed)),
        preset,
      );
      return trainer(
        model,
        `the ${preset} denoiser and settings on your points`,
        'a fresh preset on your data',
        ownPoints(own, base.batchSize),
      );
    },
  },
});
