/**
 * PixelCNN on GenerativeModel: this class holds only the model (config, network, loss,
 * sampler); compile-once training, weight sync, the session cache and save / load /
 * toFiles / onnx come from the runtime's lifecycle.
 */
import {
  adam,
  type Batch,
  compileTrainStep,
  encodeOnnx,
  type FamilySamples,
  type FitResult,
  type ModelSource,
  ops,
  Rng,
  type Runtime,
  Tensor,
  type TrainStep,
  type Value,
} from '@genmodels/runtime';
import {
  describeTensor,
  FamilyStore,
  GenerativeModel,
  type ModelFitOptions,
} from '@genmodels/runtime/internal';
import { type PixelCnnConfig, PixelCnnError, resolveConfig } from './config.js';
import { PixelCnnNetwork } from './network.js';

/** The family's model directory: model.safetensors + config.json, family 'pixelcnn'. */
export const pixelCnnStore = new FamilyStore<PixelCnnConfig, PixelCnnNetwork>({
  family: 'pixelcnn',
  label: 'PixelCNN',
  fail: (m) => new PixelCnnError(m),
  resolve: resolveConfig,
  build: (cfg) => new PixelCnnNetwork(cfg, new Rng(0)),
});

/** A PixelCNN over binary images, bound to a Runtime. */
export class PixelCNN extends GenerativeModel<PixelCnnConfig, PixelCnnNetwork> {
  readonly family = 'pixelcnn';
  readonly parts: readonly string[] = ['model'];
  protected readonly store = pixelCnnStore;

  /** @example const m = PixelCNN.create(rt, { imageSize: 8 }, { seed: 0 }); */
  static create(rt: Runtime, config: Partial<PixelCnnConfig> = {}, opts: { seed?: number } = {}) {
    return new PixelCNN(rt, new PixelCnnNetwork(resolveConfig(config), new Rng(opts.seed ?? 0)));
  }

  /** Load what `save` wrote (a directory) or `toFiles()` gave. */
  static async load(rt: Runtime, source: ModelSource): Promise<PixelCNN> {
    const { net, preset } = await pixelCnnStore.load(source);
    return new PixelCNN(rt, net, preset);
  }

  get #spec() {
    const s = this.config.imageSize;
    return { x: { dtype: 'float32' as const, shape: ['batch', 1, s, s] } };
  }

  /** float32 images [N, H, W] or [N, 1, H, W], binarized at 0.5 -> [N, 1, H, W] of 0 / 1. */
  #images(x: Tensor): Tensor<'float32'> {
    const s = this.config.imageSize;
    if (x.dtype !== 'float32' || x.rank < 3 || x.size !== x.shape[0] * s * s)
      throw this.fail(`expected float32 images [N, ${s}, ${s}], got ${describeTensor(x)}`);
    const bits = Float32Array.from(x.data as Float32Array, (v) => (v >= 0.5 ? 1 : 0));
    return new Tensor('float32', [x.shape[0], 1, s, s], bits);
  }

  /** Teacher-forced NLL (nats per pixel) with Adam; the seed draws the data order. */
  async fit(data: Tensor, opts: ModelFitOptions & { batchSize?: number } = {}): Promise<FitResult> {
    const seed = opts.seed ?? 0;
    const step = await this.trainSteps(seed);
    const batches = shuffled(this.#images(data), opts.batchSize ?? this.config.batchSize, seed);
    return this.fitOn(step, batches, opts, this.config.lr);
  }

  protected compileSteps(seed: number): Promise<TrainStep> {
    const net = this.net;
    return compileTrainStep(this.rt, {
      module: net,
      name: 'pixelcnn_train_step',
      inputs: this.#spec,
      loss: (_p, b) => ops.bceWithLogitsLoss(net.call(b.x), b.x),
      optimizer: adam(),
      seed,
    });
  }

  /** Bernoulli logits of each pixel given the pixels before it: x [N, 1, H, W] -> [N, 1, H, W]. */
  async logits(x: Tensor): Promise<Tensor> {
    const e = await this.compiled('logits', this.#spec, (i, net) => net.call(i.x));
    return (await e.runHost({ x: this.#images(x) })).output;
  }

  /** n images [n, 1, H, W] of 0 / 1, drawn pixel by pixel in raster order with Rng(seed). */
  async sample(n: number, seed: number): Promise<FamilySamples> {
    this.checkCount(n);
    const s = this.config.imageSize;
    const d = s * s;
    const e = await this.compiled('probs', this.#spec, (i, net) => ops.sigmoid(net.call(i.x)));
    const u = new Rng(seed).uniform([n, d]);
    const x = new Tensor('float32', [n, 1, s, s]);
    for (let p = 0; p < d; p++) {
      const prob = (await e.runHost({ x })).output.data as Float32Array;
      for (let b = 0; b < n; b++) x.data[b * d + p] = u[b * d + p] < prob[b * d + p] ? 1 : 0;
    }
    return { kind: 'images', images: x, range: '01' };
  }

  /** Exact NLL of `data` (binarized images): nats per image and bits per pixel. */
  async evaluate(
    opts: { data?: Tensor; seed?: number } = {},
  ): Promise<{ nll: number; bits_per_dim: number }> {
    if (!opts.data) throw this.fail('evaluate: pass the images to score as { data }');
    const e = await this.compiled('nll', this.#spec, (i, net) =>
      ops.sum(ops.bceWithLogitsLoss(net.call(i.x), i.x, { reduction: 'none' }), [1, 2, 3]),
    );
    const per = (await e.runHost({ x: this.#images(opts.data) })).output.data as Float32Array;
    const nll = per.reduce((a, v) => a + v, 0) / per.length;
    return { nll, bits_per_dim: nll / Math.LN2 / this.config.imageSize ** 2 };
  }

  /** 'model': x [batch, 1, H, W] -> logits [batch, 1, H, W]. */
  protected exportPart(part: string): Uint8Array {
    const net = this.net;
    const config = { family: this.family, part, ...this.config };
    const fn = (i: Record<string, Value>) => ({ logits: net.call(i.x) });
    return encodeOnnx(net, this.#spec, fn, { config, name: 'pixelcnn' });
  }
}

/** Batches of x [N, ...], reshuffled each epoch by a stream seeded with `seed`; re-iterable. */
function shuffled(x: Tensor<'float32'>, size: number, seed: number): Iterable<Batch> {
  const rng = new Rng(seed);
  return {
    *[Symbol.iterator]() {
      const perm = rng.permutation(x.shape[0]);
      for (let i = 0; i < perm.length; i += size)
        yield { x: x.takeRows(perm.subarray(i, i + size)) };
    },
  };
}
