/**
 * The VAE page's worker: an MLP VAE on MNIST served by the app, with samples, a 2-D
 * latent map (decoder outputs over a lattice of z, and where test digits land) and
 * latent interpolation between two test digits.
 */
import { mnist } from '@genmodels/datasets';
import { type BatchSource, Rng, Tensor } from '@genmodels/runtime';
import { resolveConfig, VAE, type VaeConfig, VaeNetwork } from '@genmodels/vae';
import { serveFamily, type Trainer, type WorkerContext } from '../shared/worker-host.js';
import type { VaeView } from './views.js';

interface Preset {
  description: string;
  config: Partial<VaeConfig> | string;
  /** Training images (the first `limit` of MNIST's training split). */
  limit: number;
}

const PRESETS: Record<string, Preset> = {
  'mnist-latent2': {
    description:
      'MLP 784-256-2 encoder and decoder on 10,000 MNIST digits: a latent map to explore',
    config: { arch: 'mlp', latent: 2, hidden: 256, batchSize: 100, lr: 2e-3 },
    limit: 10_000,
  },
  'mnist-mlp': {
    description: "the CLI's mnist-mlp (784-512-20) on 20,000 digits: sharper samples, no map",
    config: 'mnist-mlp',
    limit: 20_000,
  },
};

const SIZE = 28;
const D = SIZE * SIZE;
const TEST = 1000;

/** MNIST as float pixels in [0, 1]: train [n, 784], test [TEST, 784] with labels. */
async function loadData(dataUrl: string, limit: number) {
  const [train, test] = await Promise.all([
    mnist.train({ dir: dataUrl, limit }),
    mnist.test({ dir: dataUrl, limit: TEST }),
  ]);
  const scale = (u: Uint8Array) => Float32Array.from(u, (v) => v / 255);
  return {
    train: scale(train.images.data as Uint8Array),
    test: scale(test.images.data as Uint8Array),
    testLabels: Int32Array.from(test.labels.data as BigInt64Array, Number),
  };
}

type Data = Awaited<ReturnType<typeof loadData>>;
const dataCache = new Map<number, Promise<Data>>();

/** Endless shuffled batches `{ x: [B, 784] }`; the cursor lives here, so each fit continues. */
function batches(x: Float32Array, batchSize: number, seed: number): BatchSource {
  const n = x.length / D;
  const rng = new Rng(seed);
  let perm = rng.permutation(n);
  let cursor = 0;
  return {
    *[Symbol.iterator]() {
      for (;;) {
        if (cursor + batchSize > n) {
          perm = rng.permutation(n);
          cursor = 0;
        }
        const out = new Float32Array(batchSize * D);
        for (let i = 0; i < batchSize; i++)
          out.set(x.subarray(perm[cursor + i] * D, (perm[cursor + i] + 1) * D), i * D);
        cursor += batchSize;
        yield { x: new Tensor('float32', [batchSize, D], out) };
      }
    },
  };
}

function trainer(
  ctx: WorkerContext,
  vae: VAE,
  description: string,
  origin: string,
  limit: number,
): Trainer<VaeView> {
  let step = 0;
  let pair = 0;
  let source: BatchSource | undefined;
  const data = () => {
    let d = dataCache.get(limit);
    if (!d) {
      d = loadData(ctx.dataUrl, limit);
      dataCache.set(limit, d);
    }
    return d;
  };
  const zFixed = new Tensor(
    'float32',
    [64, vae.config.latent],
    new Rng(1).normal([64, vae.config.latent]),
  );

  const interpolation = async (): Promise<VaeView> => {
    const { test } = await data();
    const img = (i: number) => new Tensor('float32', [1, D], test.slice(i * D, (i + 1) * D));
    const steps = 10;
    const out = await vae.interpolate(img((2 * pair) % TEST), img((2 * pair + 1) % TEST), steps);
    return { kind: 'interpolation', images: out.data as Float32Array, steps, size: SIZE };
  };

  const latentViews = async (): Promise<VaeView[]> => {
    if (vae.config.latent !== 2)
      return [
        {
          kind: 'latentMapUnavailable',
          reason: `the latent map needs a 2-D latent space; this model has ${vae.config.latent} dimensions`,
        },
      ];
    const grid = 15;
    const bound = 2.5;
    const z = new Float32Array(grid * grid * 2);
    for (let r = 0; r < grid; r++)
      for (let c = 0; c < grid; c++) {
        z[2 * (r * grid + c)] = -bound + (2 * bound * c) / (grid - 1);
        z[2 * (r * grid + c) + 1] = bound - (2 * bound * r) / (grid - 1);
      }
    const map = await vae.decode(new Tensor('float32', [grid * grid, 2], z));
    const { test, testLabels } = await data();
    const { mu } = await vae.encode(new Tensor('float32', [TEST, D], test));
    return [
      { kind: 'latentMap', images: map.data as Float32Array, grid, size: SIZE, bound },
      {
        kind: 'latentScatter',
        mu: mu.data as Float32Array,
        labels: testLabels.slice(),
      },
    ];
  };

  return {
    info: () => ({
      family: 'vae',
      preset: vae.preset,
      description,
      parameters: vae.net.numParameters(),
      config: vae.config,
      origin,
      trainable: true,
      step,
    }),
    async train(steps) {
      source ??= batches((await data()).train, vae.config.batchSize, 0);
      const loss: [number, number][] = [];
      await vae.fit(source, {
        steps,
        onProgress: (e) => loss.push([step + loss.length + 1, e.loss]),
      });
      step += steps;
      return { 'neg ELBO': loss };
    },
    async views() {
      const samples = await vae.decode(zFixed);
      return [
        { kind: 'samples', images: samples.data as Float32Array, n: 64, size: SIZE },
        ...(await latentViews()),
        await interpolation(),
      ];
    },
    toFiles: () => vae.toFiles(),
    async action(name, _args, emit) {
      if (name === 'pair') {
        pair++;
        emit(await interpolation());
      }
    },
  };
}

serveFamily<VaeView>({
  presets: Object.entries(PRESETS).map(([name, p]) => ({ name, description: p.description })),
  defaultPreset: 'mnist-latent2',
  async create(ctx, preset, seed) {
    const p = PRESETS[preset];
    if (!p) throw new Error(`unknown VAE preset '${preset}'`);
    const vae = new VAE(ctx.rt, new VaeNetwork(resolveConfig(p.config), new Rng(seed)), preset);
    return trainer(ctx, vae, p.description, 'a fresh preset', p.limit);
  },
  async load(ctx, files, names) {
    const vae = await VAE.load(ctx.rt, files);
    const limit = PRESETS[vae.preset]?.limit ?? 10_000;
    return trainer(
      ctx,
      vae,
      PRESETS[vae.preset]?.description ?? 'a loaded VAE',
      names.join(', '),
      limit,
    );
  },
});
