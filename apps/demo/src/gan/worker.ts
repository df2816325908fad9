/**
 * The GAN page's worker: an MLP generator and discriminator on the ring of eight
 * Gaussians, sampled from the same z after every refresh so the page shows the modes
 * appearing. A loaded MNIST (DCGAN) checkpoint is shown as images.
 */
import { toyData, toyMixture } from '@genmodels/datasets';
import { GAN, type GanConfig, GanNetwork, resolveConfig } from '@genmodels/gan';
import { Rng } from '@genmodels/runtime';
import { serveFamily, type Trainer } from '../shared/worker-host.js';
import type { GanView } from './views.js';

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

function trainer(gan: GAN, description: string, origin: string): Trainer<GanView> {
  let step = 0;
  const rng = new Rng(1);
  const cfg = gan.config;
  const toy = cfg.arch === 'mlp' ? (cfg.toy ?? 'ring8') : undefined;
  return {
    info: () => ({
      family: 'gan',
      preset: gan.preset,
      description,
      parameters: gan.net.numParameters(),
      config: cfg,
      origin,
      trainable: toy !== undefined,
      note: toy ? undefined : 'an MNIST GAN can be sampled here; train it with the CLI',
      step,
    }),
    async train(steps) {
      // Fresh points from the (infinite) toy set for every chunk of steps.
      const x = toyData(toy ?? 'ring8', cfg.batchSize * cfg.dSteps * steps, rng);
      const d: [number, number][] = [];
      const g: [number, number][] = [];
      await gan.fit(x, {
        steps,
        progressEvery: 1,
        onProgress: (e) => {
          d.push([step + e.step, e.metrics.d_loss]);
          g.push([step + e.step, e.metrics.g_loss]);
        },
      });
      step += steps;
      return { 'D loss': d, 'G loss': g };
    },
    async views() {
      if (!toy) {
        const x = await gan.sampleFlat(
          64,
          7,
          cfg.numClasses > 0 ? Array.from({ length: 64 }, (_, i) => i % 10) : undefined,
        );
        return [{ kind: 'images', images: x.data as Float32Array, n: 64 }];
      }
      const { centers } = toyMixture(toy);
      return [
        {
          kind: 'points',
          samples: (await gan.sampleFlat(N_SAMPLES, 7)).data as Float32Array,
          data: toyData(toy, N_SAMPLES, 99).data as Float32Array,
          centers: Float32Array.from(centers.flat()),
          bound: 3,
        },
      ];
    },
    toFiles: () => gan.toFiles(),
  };
}

serveFamily<GanView>({
  presets: Object.entries(PRESETS).map(([name, p]) => ({ name, description: p.description })),
  defaultPreset: 'ring8-fast',
  viewEveryMs: 1000,
  async create(ctx, preset, seed) {
    const p = PRESETS[preset];
    if (!p) throw new Error(`unknown GAN preset '${preset}'`);
    const gan = new GAN(ctx.rt, new GanNetwork(resolveConfig(p.config), new Rng(seed)), preset);
    return trainer(gan, p.description, 'a fresh preset');
  },
  async load(ctx, files, names) {
    const gan = await GAN.load(ctx.rt, files);
    return trainer(gan, PRESETS[gan.preset]?.description ?? 'a loaded GAN', names.join(', '));
  },
});
