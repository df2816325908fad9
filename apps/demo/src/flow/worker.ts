/**
 * The Flow page's worker: a RealNVP flow on a 2-D toy set (fresh points every step) or on
 * the user's own 2-D points (a CSV/TSV file, standardized for training as the CLI's
 * `--data` does), trained by exact maximum likelihood; the page shows its density as a
 * heat map and samples drawn through the inverse.
 */
import { toyData } from '@genmodels/datasets';
import { Flow, type FlowConfig, FlowNetwork, resolveConfig } from '@genmodels/flow';
import { type BatchSource, Rng } from '@genmodels/runtime';
import { type OwnData, pointBounds, provenance, summary } from '../shared/own-data.js';
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

/** What a flow trains on here and draws its samples over. */
interface PointSet {
  /** `steps` more training steps; the loss of each goes to `loss`. */
  fit(flow: Flow, steps: number, onLoss: (loss: number) => void): Promise<void>;
  /** Points drawn under the samples. */
  shown: Float32Array;
  summary?: DataSummary;
}

function toyPoints(toy: Toy, batchSize: number): PointSet {
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
function ownPoints(own: OwnData, batchSize: number): PointSet {
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

/** `points`: what the flow trains on here; null: nothing (it is drawn only). */
function trainer(
  flow: Flow,
  description: string,
  origin: string,
  points: PointSet | null,
  note?: string,
): Trainer<FlowView> {
  let step = 0;
  const cfg = flow.config;
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
      return { NLL: loss };
    },
    async views() {
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
    support: {
      images:
        'images on this page: coming (the Flow package trains on MNIST-shaped pixels only so far); give a CSV/TSV file of 2-D points',
      points: true,
    },
    async create(ctx, preset, seed, own) {
      const p = PRESETS[preset];
      if (!p) throw new Error(`unknown flow preset '${preset}'`);
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
