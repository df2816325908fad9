/**
 * The Flow: a seeded normalizing flow plus everything around it (maximum-likelihood
 * training, exact log-densities, sampling, forward/inverse maps, density grids, test
 * NLL or bits/dim, save/load, ONNX export). Built on the runtime's `GenerativeModel`.
 */
import {
  adam,
  type BatchSource,
  compileInference,
  compileTrainStep,
  type Executable,
  type FamilySamples,
  type FitOptions,
  type FitResult,
  type InputSpecs,
  type ModelSource,
  ops,
  Rng,
  type Runtime,
  Tensor,
  type TrainStep,
  type Value,
} from '@genmodels/runtime';
import { GenerativeModel, type ModelFitOptions } from '@genmodels/runtime/internal';
import { ActNorm } from './actnorm.js';
import { type FlowConfig, resolveConfig } from './config.js';
import { dequantize, rowRange, shuffledBatches, toData, toPoints, toUnit } from './data.js';
import { FlowError } from './errors.js';
import { FLOW_PARTS, flowOnnx, flowStore } from './io.js';
import { FlowNetwork } from './network.js';

/**
 * Options of `Flow.fit`; the seed draws the data order, the ActNorm init batch and the
 * dequantization noise.
 */
export interface FlowFitOptions extends Omit<ModelFitOptions, 'lr'> {
  /** Default: the config's lr (constant); or a schedule such as `cosine(1e-3, { totalSteps })`. */
  lr?: FitOptions['lr'];
  /** Default: the config's batchSize (Tensor data only). */
  batchSize?: number;
  /**
   * Points (pixel configs: dequantized y in [0, 1]) for the ActNorm data-dependent init;
   * default: up to 1,024 rows of the data (needed when `data` is a BatchSource).
   */
  initBatch?: Tensor;
}

/** A 2-D density on a grid: log p at cell centers, row 0 at the top (y = ymax), as in an image. */
export interface DensityGrid {
  values: Float32Array;
  resolution: number;
  bounds: { xmin: number; xmax: number; ymin: number; ymax: number };
}

/** Fixed seed of the held-out 2-D test sets (a stream disjoint from every training stream). */
export const TOY_TEST_SEED = 8_675_309;
/** Size of the held-out 2-D test set. */
export const TOY_TEST_SIZE = 20_000;
const HALF_SIDE: Record<string, number> = { moons: 4, '8gaussians': 4, ring8: 3, checkerboard: 4 };

/** A normalizing flow bound to a Runtime. */
export class Flow extends GenerativeModel<FlowConfig, FlowNetwork> {
  readonly family = 'flow';
  readonly parts: readonly string[] = FLOW_PARTS;
  protected readonly store = flowStore;
  /** Set once the training step is compiled: ActNorm's data-dependent init must come first. */
  #stepCompiled = false;

  /**
   * A freshly initialized flow (every coupling the identity) from a preset name or a
   * partial config, seeded.
   *
   * @example const flow = Flow.create(rt, 'moons', { seed: 0 });
   */
  static create(
    rt: Runtime,
    config: string | Partial<FlowConfig> = 'moons',
    opts: { seed?: number } = {},
  ): Flow {
    const cfg = resolveConfig(config);
    const preset = typeof config === 'string' ? config : 'custom';
    return new Flow(rt, new FlowNetwork(cfg, new Rng(opts.seed ?? 0)), preset);
  }

  /**
   * Load what `save` wrote: a directory (Node.js), a URL base (browsers) or the files
   * (`toFiles()`, `modelFilesFromList(input.files)`). CheckpointError / FlowError name the
   * file and the problem.
   */
  static async load(rt: Runtime, source: ModelSource): Promise<Flow> {
    const { net, preset } = await flowStore.load(source);
    return new Flow(rt, net, preset);
  }

  #spec(name: string): InputSpecs {
    return { [name]: { dtype: 'float32', shape: ['batch', this.config.dim] } };
  }

  /**
   * Maximum likelihood with Adam. data: points [N, D] (2-D presets), pixels [N, 784] or
   * [N, 28, 28] as integers 0..255 (pixel configs; dequantized afresh every batch), or
   * batches `{ x: [B, D] }` already in model space. Loss: mean NLL in nats, or bits/dim.
   */
  async fit(data: Tensor | BatchSource, opts: FlowFitOptions = {}): Promise<FitResult> {
    const cfg = this.config;
    const seed = opts.seed ?? 0;
    let source: BatchSource;
    let initBatch = opts.initBatch;
    if (data instanceof Tensor) {
      const x = toData(data, cfg, 'fit');
      source = shuffledBatches(x, opts.batchSize ?? cfg.batchSize, seed, cfg.pixels);
      if (!initBatch && this.net.pendingActNorms().length > 0) {
        const rows = new Rng(seed).permutation(x.shape[0]).subarray(0, 1024);
        const b = x.takeRows(rows);
        initBatch = cfg.pixels ? dequantize(b, new Rng(seed + 1)) : b;
      }
    } else source = data;
    await this.#initActNorms(initBatch);
    const step = await this.trainSteps(seed);
    return this.fitOn(step, source, opts, cfg.lr);
  }

  /** ActNorm's data-dependent init from one batch (once; a loaded or trained model keeps its values). */
  async #initActNorms(batch: Tensor | undefined): Promise<void> {
    const pending = this.net.pendingActNorms();
    if (pending.length === 0) return;
    if (this.#stepCompiled)
      throw new FlowError('fit: ActNorm layers must be initialized before the first training step');
    if (!batch)
      throw new FlowError(
        'fit: this flow has ActNorm layers; give `initBatch` (points [N, D]) when training from a BatchSource',
      );
    const x = this.config.pixels
      ? toUnit(batch, this.config.dim, 'initBatch')
      : toPoints(batch, this.config.dim, 'initBatch');
    const exe = await compileInference(this.rt, this.net, this.#spec('x'), (i) =>
      this.net.initStats(i.x),
    );
    const out = await exe.runHost({ x });
    await exe.dispose();
    for (const [i, layer] of this.net.layers.entries())
      if (layer instanceof ActNorm && !layer.isInitialized)
        layer.setInit(out[`an${i}.bias`], out[`an${i}.logs`]);
  }

  /** The maximum-likelihood step: mean NLL in nats, or bits/dim for pixel configs. */
  protected async compileSteps(seed: number): Promise<TrainStep> {
    const cfg = this.config;
    const net = this.net;
    const step = await compileTrainStep(this.rt, {
      module: net,
      name: 'flow_train_step',
      inputs: this.#spec('x'),
      loss: (_p, b): { loss: Value; metrics: Record<string, Value> } => {
        const nll = ops.neg(ops.mean(net.logProb(b.x)));
        if (!cfg.pixels) return { loss: nll, metrics: { nll } };
        const bpd = ops.add(ops.mul(nll, 1 / (cfg.dim * Math.LN2)), 8);
        return { loss: bpd, metrics: { bpd } };
      },
      optimizer: adam(),
      clipNorm: cfg.clipNorm > 0 ? cfg.clipNorm : undefined,
      seed,
    });
    this.#stepCompiled = true;
    return step;
  }

  /** Run `exe` over x [N, D] in chunks; concatenates each named output along rows. */
  async #chunked(
    exe: Executable,
    feed: string,
    x: Tensor<'float32'>,
  ): Promise<Record<string, Tensor>> {
    const n = x.shape[0];
    const chunk = this.config.dim > 64 ? 500 : 8192;
    const parts: Record<string, Tensor>[] = [];
    for (let i = 0; i < n; i += chunk)
      parts.push(await exe.runHost({ [feed]: rowRange(x, i, Math.min(n, i + chunk)) }));
    const out: Record<string, Tensor> = {};
    for (const k of Object.keys(parts[0])) {
      const per = parts[0][k].size / parts[0][k].shape[0];
      const data = new Float32Array(n * per);
      let off = 0;
      for (const p of parts) {
        data.set(p[k].data as Float32Array, off);
        off += p[k].size;
      }
      out[k] = new Tensor('float32', [n, ...parts[0][k].shape.slice(1)], data);
    }
    return out;
  }

  /** Model-space input: finite points [N, D], or y in [0, 1]^D for pixel configs. */
  #input(x: Tensor, where: string): Tensor<'float32'> {
    const d = this.config.dim;
    return this.config.pixels ? toUnit(x, d, where) : toPoints(x, d, where);
  }

  /**
   * Exact log-density log p(x) in nats: x [N, D] -> [N]. Pixel configs: the density of
   * dequantized y in [0, 1]^D (the logit transform's Jacobian included).
   */
  async logProb(x: Tensor): Promise<Tensor<'float32'>> {
    const exe = await this.compiled('log_prob', this.#spec('x'), (i, net) => ({
      log_prob: net.logProb(i.x),
    }));
    const out = await this.#chunked(exe, 'x', this.#input(x, 'logProb'));
    return out.log_prob as Tensor<'float32'>;
  }

  /** x [N, D] -> z [N, D] and log|det dz/dx| [N]. */
  async forward(x: Tensor): Promise<{ z: Tensor<'float32'>; logdet: Tensor<'float32'> }> {
    const exe = await this.compiled('forward', this.#spec('x'), (i, net) => ({
      ...net.call(i.x),
    }));
    const out = await this.#chunked(exe, 'x', this.#input(x, 'forward'));
    return { z: out.z as Tensor<'float32'>, logdet: out.logdet as Tensor<'float32'> };
  }

  /** z [N, D] -> x [N, D], the inverse of `forward`. */
  async inverse(z: Tensor): Promise<Tensor<'float32'>> {
    const exe = await this.compiled('inverse', this.#spec('z'), (i, net) => ({
      x: ops.identity(net.inverse(i.z)),
    }));
    const out = await this.#chunked(exe, 'z', toPoints(z, this.config.dim, 'inverse'));
    return out.x as Tensor<'float32'>;
  }

  /** n samples [n, D]: z ~ N(0, I) from Rng(seed), mapped through the inverse. */
  async sampleFlat(n: number, seed: number): Promise<Tensor<'float32'>> {
    this.checkCount(n);
    const d = this.config.dim;
    const x = await this.inverse(new Tensor('float32', [n, d], new Rng(seed).normal([n, d])));
    if (this.config.pixels) {
      const v = x.data;
      for (let i = 0; i < v.length; i++) v[i] = Math.min(1, Math.max(0, v[i]));
    }
    return x;
  }

  /** Samples as the CLI shows them: points [n, 2] over n data points, or images [n, 1, H, W] in [0, 1]. */
  async sample(n: number, seed: number): Promise<FamilySamples> {
    const cfg = this.config;
    const x = await this.sampleFlat(n, seed);
    if (cfg.imageSize > 0)
      return {
        kind: 'images',
        images: x.reshape([n, 1, cfg.imageSize, cfg.imageSize]),
        range: '01',
      };
    if (cfg.toy) {
      const { toyPoints } = await import('./with-datasets.js');
      return {
        kind: 'points',
        points: x,
        reference: await toyPoints(cfg.toy, n, new Rng(seed + 1)),
      };
    }
    return { kind: 'points', points: x };
  }

  /** The square the pictures and the default density grid cover: [-h, h]^2. */
  get bounds(): DensityGrid['bounds'] {
    const h = HALF_SIDE[this.config.toy ?? ''] ?? 4;
    return { xmin: -h, xmax: h, ymin: -h, ymax: h };
  }

  /** log p on a resolution x resolution grid of cell centers over `bounds` (2-D flows only). */
  async densityGrid(
    opts: { bounds?: DensityGrid['bounds']; resolution?: number } = {},
  ): Promise<DensityGrid> {
    if (this.config.dim !== 2)
      throw new FlowError(`densityGrid: needs a 2-D flow, this one has dim ${this.config.dim}`);
    const b = opts.bounds ?? this.bounds;
    const res = opts.resolution ?? 128;
    if (!(Number.isInteger(res) && res > 0) || !(b.xmax > b.xmin && b.ymax > b.ymin))
      throw new FlowError(
        `densityGrid: resolution (${res}) must be a positive integer and bounds non-empty`,
      );
    const pts = new Float32Array(2 * res * res);
    for (let j = 0; j < res; j++)
      for (let i = 0; i < res; i++) {
        pts[2 * (j * res + i)] = b.xmin + ((i + 0.5) / res) * (b.xmax - b.xmin);
        pts[2 * (j * res + i) + 1] = b.ymax - ((j + 0.5) / res) * (b.ymax - b.ymin);
      }
    const lp = await this.logProb(new Tensor('float32', [res * res, 2], pts));
    return { values: lp.data, resolution: res, bounds: b };
  }

  /**
   * Test figures on given data. Points: `test_nll`, mean -log p(x) in nats. Pixel configs
   * (integers 0..255): `bpd` = (-log p(y) + D log 256) / (D ln 2) with y = (x + u) / 256,
   * one uniform draw u per image from Rng(seed) (an upper bound in expectation).
   */
  async evaluateOn(x: Tensor, opts: { seed?: number } = {}): Promise<Record<string, number>> {
    const cfg = this.config;
    const data = toData(x, cfg, 'evaluate');
    const y = cfg.pixels ? dequantize(data, new Rng(opts.seed ?? 0)) : data;
    const lp = (await this.logProb(y)).data;
    let s = 0;
    for (const v of lp) s += v;
    const nll = -s / lp.length;
    if (!Number.isFinite(nll))
      throw new FlowError(`evaluate: the model's NLL is ${nll} (diverged or data out of support)`);
    return cfg.pixels ? { bpd: nll / (cfg.dim * Math.LN2) + 8 } : { test_nll: nll };
  }

  /**
   * Figures on the held-out test set (needs @genmodels/datasets). 2-D presets: `test_nll`
   * on TOY_TEST_SIZE points regenerated from TOY_TEST_SEED (never a training stream);
   * MNIST: `bpd` on the test split (the first `limit` images), dequantized by Rng(seed).
   */
  async evaluate(
    opts: { seed?: number; n?: number; limit?: number; dataDir?: string } = {},
  ): Promise<Record<string, number>> {
    const cfg = this.config;
    const extras = await import('./with-datasets.js');
    if (cfg.toy) {
      const test = await extras.toyPoints(
        cfg.toy,
        opts.n ?? TOY_TEST_SIZE,
        new Rng(TOY_TEST_SEED).split(2)[1],
      );
      return this.evaluateOn(test, opts);
    }
    if (cfg.pixels && cfg.dim === 784) {
      const test = await extras.mnistPixels('test', { limit: opts.limit, dir: opts.dataDir });
      return this.evaluateOn(test, opts);
    }
    throw new FlowError('evaluate: a custom flow has no reference test set; use evaluateOn(x)');
  }

  /** 'sampler' (z -> x) or 'log_density' (x -> log_prob). */
  protected exportPart(part: string): Uint8Array {
    return flowOnnx(this.net, part);
  }

  /** 2-D: samples.png (samples over data) and density.png (heat map); MNIST: samples.png. */
  async pictures(dir: string, seed = 0): Promise<string[]> {
    const { writePictures } = await import('./with-datasets.js');
    return writePictures(this, dir, seed);
  }
}
