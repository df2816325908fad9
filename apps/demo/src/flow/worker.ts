/**
 * The Flow page's worker: a RealNVP flow on a 2-D toy set, trained by exact maximum
 * likelihood on fresh points every step; the page shows its density as a heat map and
 * samples drawn through the inverse.
 */
import { toyData } from '@genmodels/datasets';
import { Flow, type FlowConfig, FlowNetwork, resolveConfig } from '@genmodels/flow';
import { type BatchSource, Rng } from '@genmodels/runtime';
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

/** Endless batches `{ x: [B, 2] }` of fresh toy points (the toy sets are infinite). */
function toyBatches(toy: NonNullable<FlowConfig['toy']>, batchSize: number, rng: Rng): BatchSource {
  return {
    *[Symbol.iterator]() {
      for (;;) yield { x: toyData(toy, batchSize, rng) };
    },
  };
}

function trainer(flow: Flow, description: string, origin: string): Trainer<FlowView> {
  let step = 0;
  const cfg = flow.config;
  const toy = cfg.dim === 2 ? (cfg.toy ?? 'moons') : undefined;
  const rng = new Rng(1);
  const source = toy ? toyBatches(toy, cfg.batchSize, rng) : undefined;
  return {
    info: () => ({
      family: 'flow',
      preset: flow.preset,
      description,
      parameters: flow.net.numParameters(),
      config: cfg,
      origin,
      trainable: toy !== undefined,
      note: toy ? undefined : 'this page trains and draws 2-D flows; this one is not 2-D',
      step,
    }),
    async train(steps) {
      if (!toy || !source) throw new Error('only 2-D flows train here');
      const loss: [number, number][] = [];
      await flow.fit(source, {
        steps,
        initBatch: toyData(toy, 1024, 2),
        onProgress: (e) => loss.push([step + loss.length + 1, e.loss]),
      });
      step += steps;
      return { NLL: loss };
    },
    async views() {
      if (!toy) return [];
      const grid = await flow.densityGrid({ resolution: 96 });
      return [
        { kind: 'density', logp: grid.values, res: grid.resolution, bounds: grid.bounds },
        {
          kind: 'samples',
          samples: (await flow.sampleFlat(1500, 7)).data as Float32Array,
          data: toyData(toy, 1500, 99).data as Float32Array,
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
    const flow = new Flow(ctx.rt, new FlowNetwork(resolveConfig(p.config), new Rng(seed)), preset);
    return trainer(flow, p.description, 'a fresh preset');
  },
  async load(ctx, files, names) {
    const flow = await Flow.load(ctx.rt, files);
    return trainer(flow, PRESETS[flow.preset]?.description ?? 'a loaded flow', names.join(', '));
  },
});
