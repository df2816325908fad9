/**
 * The Diffusion page's worker: an MLP denoiser on two moons, trained on fresh points
 * every chunk; every refresh runs the DDIM sampler from the same noise and sends every
 * intermediate state, so the page can show denoising step by step.
 */
import { toyData } from '@genmodels/datasets';
import {
  Diffusion,
  type DiffusionConfig,
  DiffusionNetwork,
  resolveConfig,
} from '@genmodels/diffusion';
import { Rng } from '@genmodels/runtime';
import { serveFamily, type Trainer } from '../shared/worker-host.js';
import type { DiffusionView } from './views.js';

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

function trainer(model: Diffusion, description: string, origin: string): Trainer<DiffusionView> {
  let step = 0;
  let chunks = 0;
  const cfg = model.config;
  const toy = cfg.arch === 'mlp' && cfg.dataDim === 2 ? (cfg.toy ?? 'moons') : undefined;
  const rng = new Rng(1);
  const noise = new Rng(7).normal(N * 2);
  return {
    info: () => ({
      family: 'diffusion',
      preset: model.preset,
      description,
      parameters: model.net.numParameters(),
      config: cfg,
      origin,
      trainable: toy !== undefined,
      note: toy
        ? undefined
        : 'this page trains and draws 2-D diffusion models; this one is not 2-D',
      step,
    }),
    async train(steps) {
      if (!toy) throw new Error('only 2-D models train here');
      const loss: [number, number][] = [];
      // Fresh points and a new seed (timesteps, noise) per chunk; the Adam state carries over.
      await model.fit(toyData(toy, cfg.batchSize * steps, rng), {
        steps,
        seed: ++chunks,
        progressEvery: 1,
        onProgress: (e) => loss.push([step + e.step, e.loss]),
      });
      step += steps;
      return { loss };
    },
    async views() {
      if (!toy) return [];
      const frames = new Float32Array((STEPS + 1) * N * 2);
      frames.set(noise, 0);
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
          data: toyData(toy, N, 99).data as Float32Array,
          sampler: `DDIM, ${STEPS} steps`,
        },
      ];
    },
    toFiles: () => model.toFiles(),
  };
}

serveFamily<DiffusionView>({
  presets: Object.entries(PRESETS).map(([name, p]) => ({ name, description: p.description })),
  defaultPreset: 'moons-small',
  async create(ctx, preset, seed) {
    const p = PRESETS[preset];
    if (!p) throw new Error(`unknown diffusion preset '${preset}'`);
    const model = new Diffusion(
      ctx.rt,
      new DiffusionNetwork(resolveConfig(p.config), new Rng(seed)),
      preset,
    );
    return trainer(model, p.description, 'a fresh preset');
  },
  async load(ctx, files, names) {
    const model = await Diffusion.load(ctx.rt, files);
    return trainer(
      model,
      PRESETS[model.preset]?.description ?? 'a loaded diffusion model',
      names.join(', '),
    );
  },
});
