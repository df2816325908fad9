/**
 * The Flow page's worker: a RealNVP flow on a 2-D toy set (fresh points every step) or on
 * the user's own 2-D points (a CSV/TSV file, standardized for training as the CLI's
 * `--data` does), trained by exact maximum likelihood; the page shows its density as a
 * heat map and samples drawn through the inverse. A folder of images trains the CLI's
 * `cifar-realnvp` multi-scale flow at the images' [C, S, S] (as `genmodels train flow
 * --preset cifar-realnvp --data DIR`); its samples are drawn as a grid.
 */
import { toyData } from '@genmodels/datasets';
import {
  Flow,
  type FlowConfig,
  FlowNetwork,
  flowImageShape,
  IMAGE_NORMALIZATION,
  quantizePixels,
  resolveConfig,
} from '@genmodels/flow';
import { type BatchSource, Rng, type Runtime } from '@genmodels/runtime';
import {
  imagesAs,
  type OwnImages,
  type OwnPoints,
  pointBounds,
  provenance,
  summary,
} from '../shared/own-data.js';
import type { DataSummary } from '../shared/protocol.js';
import { serveFamily, type Trainer } from '../shared/worker-host.js';
import type { FlowView } from './views.js';

const PRESETS: Record<string, { description: string; config: Partial<FlowConfig> | string }> = {
  'moons-small': {
    description: 'two moons; RealNVP with 6 affine couplings, nets 2-64-64-2, Adam 2e-3, batch 256',
    config: { toy: 'moons', couplings: 6, hidden: 64, batchSize: 256, lr: 2e-3 },
  },
  '8gaussians-small': {
    description: "FFJORD's 8 Gaussians; 6 couplings, nets 2-64-64-2, Adam 2e-3, batch 256",
    config: { toy: '8gaussians', couplings: 6, hidden: 64, batchSize: 256, lr: 2e-3 },
  },
  moons: {
    description: "the CLI's moons: 8 couplings, nets 2-256-256-2, batch 512",
    config: 'moons',
  },
  checkerboard: {
    description: "the CLI's checkerboard: 8 couplings, nets 2-256-256-2 (slow in a browser)",
    config: 'checkerboard',
  },
};

type Toy = NonNullable<FlowConfig['toy']>;

/** Endless batches `{ x: [B, 2] }` of fresh toy points (the toy sets are infinite). */
function toyBatches(toy: Toy, batchSize: number, rng: Rng): BatchSource {
  return {
    *[Symbol.iterator]() {
      for (;;) yield { x: toyData(toy, batchSize, rng) };
    },
  };
}

/** What a flow trains on here (and, for points, draws its samples over). */
interface TrainSet {
  /** `steps` more training steps; the loss of each goes to `loss`. */
  fit(flow: Flow, steps: number, onLoss: (loss: number) => void): Promise<void>;
  /** Points drawn under the samples (2-D sets; empty for images). */
  shown: Float32Array;
  summary?: DataSummary;
}

function toyPoints(toy: Toy, batchSize: number): TrainSet {
  const source = toyBatches(toy, batchSize, new Rng(1));
  return {
    async fit(flow, steps, onLoss) {
      await flow.fit(source, {
        steps,
        initBatch: toyData(toy, 1024, 2),
        // The preset's own data: the model stays scored (and saved) as trained on its toy set.
        reference: 'preset',
        onProgress: (e) => onLoss(e.loss),
      });
    },
    shown: toyData(toy, 1500, 99).data as Float32Array,
  };
}

/** Your points: standardized by the training rows' mean and std, the held-out tenth as reference. */
function ownPoints(own: OwnPoints, batchSize: number): TrainSet {
  let chunks = 0;
  const all = own.all.data;
  return {
    async fit(flow, steps, onLoss) {
      // A new seed per chunk: fresh batches each time; the Adam state carries over.
      await flow.fit(own.train, {
        steps,
        seed: ++chunks,
        standardize: true,
        reference: own.val.shape[0] > 0 ? own.val : undefined,
        onProgress: (e) => onLoss(e.loss),
      });
      flow.data = provenance(own); // a fit clears it (it may be other data): this is the same
    },
    shown: all.subarray(0, 2 * 3000),
    summary: summary(own, batchSize, [
      own.train.shape[0] < batchSize
        ? `fewer training rows than the preset's batch of ${batchSize}: each step sees all of them`
        : `batches of ${batchSize} rows, reshuffled every chunk of steps`,
    ]),
  };
}

/**
 * Your images as 8-bit pixels (the flow dequantizes them afresh every batch and models their
 * logit), the held-out tenth as the reference `evaluate()` scores in bits/dim.
 */
function ownImages(own: OwnImages, batchSize: number): TrainSet {
  let chunks = 0;
  const { train, val } = imagesAs(own, quantizePixels);
  return {
    async fit(flow, steps, onLoss) {
      // A new seed per chunk: fresh batches and dequantization noise; the Adam state carries over.
      await flow.fit(train, {
        steps,
        seed: ++chunks,
        reference: val,
        onProgress: (e) => onLoss(e.loss),
      });
      // The CLI's record of images read for a flow (a fit clears it: this is the same data).
      flow.data = { ...provenance(own), normalization: IMAGE_NORMALIZATION };
    },
    shown: new Float32Array(0),
    summary: summary(own, batchSize, [
      'rounded to 8-bit pixels, dequantized afresh every batch (loss in bits per dim)',
    ]),
  };
}

/** `points`: what the flow trains on here; null: nothing (it is drawn only). */
function trainer(
  flow: Flow,
  description: string,
  origin: string,
  points: TrainSet | null,
  note?: string,
): Trainer<FlowView> {
  let step = 0;
  const cfg = flow.config;
  const shape = flowImageShape(cfg);
  return {
    info: () => ({
      family: 'flow',
      preset: flow.preset,
      description,
      parameters: flow.net.numParameters(),
      config: cfg,
      origin,
      trainable: points !== null,
      note: points ? undefined : note,
      step,
      data: points?.summary,
    }),
    async train(steps) {
      if (!points) throw new Error(note ?? 'this flow does not train here');
      const loss: [number, number][] = [];
      await points.fit(flow, steps, (l) => loss.push([step + loss.length + 1, l]));
      step += steps;
      return { [shape ? 'bits/dim' : 'NLL']: loss };
    },
    async views() {
      if (shape) {
        const x = await flow.sampleFlat(64, 7);
        return [{ kind: 'images', images: x.data as Float32Array, n: 64, shape: [...shape] }];
      }
      if (cfg.dim !== 2) return [];
      if (points?.summary && step === 0) {
        // Before its first step on your points the flow does not know their units yet:
        // no density (a uniform map), your points alone.
        const bounds = pointBounds(points.shown);
        const res = 8;
        const logp = new Float32Array(res * res).fill(Number.NEGATIVE_INFINITY);
        return [
          { kind: 'density', logp, res, bounds },
          { kind: 'samples', samples: new Float32Array(0), data: points.shown.slice(), bounds },
        ];
      }
      const grid = await flow.densityGrid({ resolution: 96 });
      return [
        { kind: 'density', logp: grid.values, res: grid.resolution, bounds: grid.bounds },
        {
          kind: 'samples',
          samples: (await flow.sampleFlat(1500, 7)).data as Float32Array,
          // A copy: a view's buffers are transferred to the page.
          data: points?.shown.slice() ?? new Float32Array(0),
          bounds: grid.bounds,
        },
      ];
    },
    toFiles: () => flow.toFiles(),
  };
}

/**
 * A fresh flow of the CLI's `cifar-realnvp` architecture and settings (multi-scale RealNVP:
 * checkerboard and channel-wise conv couplings around one squeeze, logit alpha 0.05, Adam
 * 1e-3, grad-norm clip 100) at the images' [C, S, S]: the page's sides are even, as its one
 * squeeze needs. The batch is the preset's 64, or every training image when there are fewer.
 */
function onImages(rt: Runtime, seed: number, own: OwnImages): Trainer<FlowView> {
  const [, c, h, w] = own.all.shape;
  if (h !== w || h % 2 !== 0)
    throw new Error(`the multi-scale flow needs square images of an even side, got ${h}x${w}`);
  const { dim: _dim, imageHeight: _h, imageWidth: _w, ...base } = resolveConfig('cifar-realnvp');
  const batchSize = Math.min(base.batchSize, own.train.shape[0]);
  const config = resolveConfig({ ...base, imageSize: h, imageChannels: c, batchSize });
  const flow = new Flow(rt, new FlowNetwork(config, new Rng(seed)), 'cifar-realnvp');
  return trainer(
    flow,
    `the cifar-realnvp flow (multi-scale RealNVP, ${config.couplings} couplings, conv nets of ${config.hidden} channels) on your ${c}x${h}x${w} images`,
    'a fresh preset on your data',
    ownImages(own, batchSize),
  );
}

serveFamily<FlowView>({
  presets: Object.entries(PRESETS).map(([name, p]) => ({ name, description: p.description })),
  defaultPreset: 'moons-small',
  async create(ctx, preset, seed) {
    const p = PRESETS[preset];
    if (!p) throw new Error(`unknown flow preset '${preset}'`);
    const cfg = resolveConfig(p.config);
    const flow = new Flow(ctx.rt, new FlowNetwork(cfg, new Rng(seed)), preset);
    return trainer(
      flow,
      p.description,
      'a fresh preset',
      toyPoints(cfg.toy ?? 'moons', cfg.batchSize),
    );
  },
  async load(ctx, files, names) {
    const flow = await Flow.load(ctx.rt, files);
    const cfg = flow.config;
    // A toy set trains on: 2-D flows in the toy's own units (not ones standardized to other points).
    const onToy = cfg.dim === 2 && flow.normalization === null;
    return trainer(
      flow,
      PRESETS[flow.preset]?.description ?? 'a loaded flow',
      names.join(', '),
      onToy ? toyPoints(cfg.toy ?? 'moons', cfg.batchSize) : null,
      cfg.dim !== 2
        ? 'this page trains and draws 2-D flows; this one is not 2-D'
        : 'this flow was trained on other points (standardized to them); it is drawn here. To train one, drop a CSV/TSV file of points (a fresh model of the selected preset)',
    );
  },
  ownData: {
    support: { images: true, points: true },
    async create(ctx, preset, seed, own) {
      const p = PRESETS[preset];
      if (!p) throw new Error(`unknown flow preset '${preset}'`);
      if (own.kind === 'images') return onImages(ctx.rt, seed, own);
      // The preset's couplings and training settings on your points, as `genmodels train flow --data`.
      const { toy: _toy, ...base } = resolveConfig(p.config);
      if (base.pixels)
        throw new Error(`preset '${preset}' models pixels; pick a 2-D preset for your points`);
      const flow = new Flow(
        ctx.rt,
        new FlowNetwork(resolveConfig({ ...base, dim: 2 }), new Rng(seed)),
        preset,
      );
      return trainer(
        flow,
        `the ${preset} couplings and settings on your points`,
        'a fresh preset on your data',
        ownPoints(own, base.batchSize),
      );
    },
  },
});
