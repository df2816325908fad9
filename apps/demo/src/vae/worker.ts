/**
 * The VAE page's worker: an MLP (or convolutional) VAE on MNIST served by the app, or on a
 * folder of the user's own images at their [C, S, S]; with samples, a 2-D latent map
 * (decoder outputs over a lattice of z, and where images land) and latent interpolation
 * between two images.
 */
import { mnist } from '@genmodels/datasets';
import { type BatchSource, type DataProvenance, Rng, Tensor } from '@genmodels/runtime';
import { resolveConfig, VAE, type VaeConfig, VaeNetwork } from '@genmodels/vae';
import { type OwnData, provenance, summary } from '../shared/own-data.js';
import type { DataSummary } from '../shared/protocol.js';
import { serveFamily, type Trainer, type WorkerContext } from '../shared/worker-host.js';
import type { ImageShape, VaeView } from './views.js';

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
  'mnist-conv': {
    description:
      "the CLI's mnist-conv (conv 1-32-64 stride 2, latent 16) on 10,000 digits: slow on WASM",
    config: 'mnist-conv',
    limit: 10_000,
  },
};

const MNIST_SHAPE: ImageShape = [1, 28, 28];
const TEST = 1000;

/** The images a VAE trains on and shows. */
interface ImageSet {
  /** Training images, flat [n, C*H*W] in [0, 1]. */
  train: Float32Array;
  /** Images to place in the latent space and interpolate between, with labels when known. */
  shown: Float32Array;
  labels: Int32Array | null;
  /** What `fit` is told: MNIST is the presets' own data; your images keep a held-out part. */
  reference: 'preset' | Tensor;
  /** Own data: what the model records (config.json). */
  provenance?: DataProvenance;
}

/** MNIST as float pixels in [0, 1]: train [n, 784], test [TEST, 784] with labels. */
async function loadMnist(dataUrl: string, limit: number): Promise<ImageSet> {
  const [train, test] = await Promise.all([
    mnist.train({ dir: dataUrl, limit }),
    mnist.test({ dir: dataUrl, limit: TEST }),
  ]);
  const scale = (u: Uint8Array) => Float32Array.from(u, (v) => v / 255);
  return {
    train: scale(train.images.data as Uint8Array),
    shown: scale(test.images.data as Uint8Array),
    labels: Int32Array.from(test.labels.data as BigInt64Array, Number),
    reference: 'preset',
  };
}

const mnistCache = new Map<number, Promise<ImageSet>>();

function mnistSet(ctx: WorkerContext, limit: number): () => Promise<ImageSet> {
  return () => {
    let d = mnistCache.get(limit);
    if (!d) {
      d = loadMnist(ctx.dataUrl, limit);
      mnistCache.set(limit, d);
    }
    return d;
  };
}

/**
 * Endless shuffled batches `{ x: [B, D] }` of x (flat [n, D]); the cursor lives here, so
 * each fit continues where the last one stopped.
 */
function batches(x: Float32Array, d: number, batchSize: number, seed: number): BatchSource {
  const n = x.length / d;
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
        const out = new Float32Array(batchSize * d);
        for (let i = 0; i < batchSize; i++)
          out.set(x.subarray(perm[cursor + i] * d, (perm[cursor + i] + 1) * d), i * d);
        cursor += batchSize;
        yield { x: new Tensor('float32', [batchSize, d], out) };
      }
    },
  };
}

/**
 * A VAE driven by the page. `data` gives its images; null: none here (a loaded model of
 * another shape than MNIST's), so it samples but does not train. `own`: the user's data it
 * trains on, as the page shows it.
 */
function trainer(
  vae: VAE,
  description: string,
  origin: string,
  data: (() => Promise<ImageSet>) | null,
  own?: DataSummary,
): Trainer<VaeView> {
  let step = 0;
  let pair = 0;
  let source: BatchSource | undefined;
  const shape = vae.imageShape as ImageShape;
  const d = shape[0] * shape[1] * shape[2];
  const { latent } = vae.config;
  const zFixed = new Tensor('float32', [64, latent], new Rng(1).normal([64, latent]));

  const interpolation = async (): Promise<VaeView[]> => {
    if (!data) return [];
    const { shown } = await data();
    const n = shown.length / d;
    const img = (i: number) => new Tensor('float32', [1, d], shown.slice(i * d, (i + 1) * d));
    const steps = 10;
    const out = await vae.interpolate(img((2 * pair) % n), img((2 * pair + 1) % n), steps);
    return [{ kind: 'interpolation', images: out.data as Float32Array, steps, shape }];
  };

  const latentViews = async (): Promise<VaeView[]> => {
    if (latent !== 2)
      return [
        {
          kind: 'latentMapUnavailable',
          reason: `the latent map needs a 2-D latent space; this model has ${latent} dimensions`,
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
    const views: VaeView[] = [
      { kind: 'latentMap', images: map.data as Float32Array, grid, shape, bound },
    ];
    if (data) {
      const { shown, labels } = await data();
      const { mu } = await vae.encode(new Tensor('float32', [shown.length / d, d], shown));
      // A copy of the labels: a view's buffers are transferred to the page.
      views.push({
        kind: 'latentScatter',
        mu: mu.data as Float32Array,
        labels: labels?.slice() ?? null,
      });
    }
    return views;
  };

  return {
    info: () => ({
      family: 'vae',
      preset: vae.preset,
      description,
      parameters: vae.net.numParameters(),
      config: vae.config,
      origin,
      trainable: data !== null,
      note: data
        ? undefined
        : `this VAE is for ${shape.join('x')} images, not MNIST's; it samples here. To train one, drop a folder of images (a fresh model of the selected preset)`,
      step,
      data: own,
    }),
    async train(steps) {
      if (!data) throw new Error('this VAE has no training images here');
      const set = await data();
      source ??= batches(set.train, d, vae.config.batchSize, 0);
      const loss: [number, number][] = [];
      await vae.fit(source, {
        steps,
        reference: set.reference,
        onProgress: (e) => loss.push([step + loss.length + 1, e.loss]),
      });
      // A fit clears the provenance (it may be other data): this is the same data.
      vae.data = set.provenance;
      step += steps;
      return { 'neg ELBO': loss };
    },
    async views() {
      const samples = await vae.decode(zFixed);
      return [
        { kind: 'samples', images: samples.data as Float32Array, n: 64, shape },
        ...(await latentViews()),
        ...(await interpolation()),
      ];
    },
    toFiles: () => vae.toFiles(),
    async action(name, _args, emit) {
      if (name === 'pair') {
        pair++;
        for (const v of await interpolation()) emit(v);
      }
    },
  };
}

/** A fresh VAE of `preset`'s architecture and settings on the user's images at their [C, S, S]. */
async function onImages(
  ctx: WorkerContext,
  preset: string,
  seed: number,
  own: OwnData,
): Promise<Trainer<VaeView>> {
  const p = PRESETS[preset];
  if (!p) throw new Error(`unknown VAE preset '${preset}'`);
  const [, c, h, w] = own.all.shape;
  const base = resolveConfig(p.config);
  if (base.arch === 'conv' && (h % 4 !== 0 || w % 4 !== 0))
    throw new Error(
      `preset '${preset}' is convolutional (two stride-2 layers) and needs an image size divisible by 4, got ${h}; pick another image size or an MLP preset`,
    );
  const trainRows = own.train.shape[0];
  // The batch is at most the training images (a small folder trains on all of them each step).
  const batchSize = Math.min(base.batchSize, trainRows);
  const config = resolveConfig({ ...base, imageSize: h, imageChannels: c, batchSize });
  const vae = new VAE(ctx.rt, new VaeNetwork(config, new Rng(seed)), preset);
  const all = own.all.data;
  const set: ImageSet = {
    train: own.train.data,
    // Every image (up to TEST) lands in the latent scatter; interpolation pairs come from them.
    shown: all.subarray(0, Math.min(TEST, own.all.shape[0]) * c * h * w),
    labels: null,
    reference: own.val,
    provenance: provenance(own),
  };
  const arch = base.arch === 'conv' ? 'convolutional' : `MLP, hidden ${base.hidden}`;
  return trainer(
    vae,
    `the ${preset} architecture (${arch}, latent ${base.latent}) on your ${c}x${h}x${w} images`,
    'a fresh preset on your data',
    async () => set,
    summary(own, batchSize),
  );
}

serveFamily<VaeView>({
  presets: Object.entries(PRESETS).map(([name, p]) => ({ name, description: p.description })),
  defaultPreset: 'mnist-latent2',
  async create(ctx, preset, seed) {
    const p = PRESETS[preset];
    if (!p) throw new Error(`unknown VAE preset '${preset}'`);
    const vae = new VAE(ctx.rt, new VaeNetwork(resolveConfig(p.config), new Rng(seed)), preset);
    return trainer(vae, p.description, 'a fresh preset', mnistSet(ctx, p.limit));
  },
  async load(ctx, files, names) {
    const vae = await VAE.load(ctx.rt, files);
    const mnistShaped = vae.imageShape.every((v, i) => v === MNIST_SHAPE[i]);
    const limit = PRESETS[vae.preset]?.limit ?? 10_000;
    return trainer(
      vae,
      PRESETS[vae.preset]?.description ?? 'a loaded VAE',
      names.join(', '),
      mnistShaped ? mnistSet(ctx, limit) : null,
    );
  },
  ownData: {
    support: {
      images: true,
      points:
        'the VAE page trains on images: give a folder of PNG or JPEG images (a CSV of 2-D points is for the GAN, Flow and Diffusion pages)',
    },
    create: onImages,
  },
});
