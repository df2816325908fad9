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
  type DataProvenance,
  type Executable,
  type FamilyEvalOptions,
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
import {
  describeModelSource,
  GenerativeModel,
  type ModelFitOptions,
} from '@genmodels/runtime/internal';
import { ActNorm } from './actnorm.js';
import { type FlowConfig, flowImageShape, formatImageShape, resolveConfig } from './config.js';
import {
  dequantize,
  pointsOf,
  rowRange,
  shuffledBatches,
  toData,
  toPoints,
  toUnit,
} from './data.js';
import { FlowError } from './errors.js';
import { FLOW_PARTS, flowOnnx, flowStore } from './io.js';
import { FlowNetwork } from './network.js';
import {
  type FlowFields,
  fitNormalization,
  type Normalization,
  standardize,
  standardizeLogDet,
  unstandardize,
} from './normalize.js';

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
   * Points (pixel configs: dequantized y in [0, 1]) for the ActNorm data-dependent init, in
   * the model's units (standardized when the flow has a normalization); default: up to
   * 1,024 rows of the data (needed when `data` is a BatchSource).
   */
  initBatch?: Tensor;
  /**
   * What `evaluate()` scores the flow against afterwards. 'preset': the data is the preset's
   * own (toy set, MNIST, CIFAR-10; what `flowFamily.train` passes), so evaluate() keeps using
   * the preset's test set. Points [M, D] (data units), or for pixel flows images (integer
   * pixels [M, C, H, W] or [M, D]): held-out data the flow does not train on, which
   * evaluate() scores. Absent: the data is yours and nothing is held out, so evaluate()
   * needs `{ data }`.
   */
  reference?: 'preset' | Tensor;
  /**
   * Point flows, Tensor data: train on (x - mean) / std per column, with the statistics of
   * this data (default false: the points as they are). The statistics stay with the model
   * (config.json `normalization`): later fits, log-densities (with the Jacobian of the
   * standardization), samples and evaluation use them, so everything outside is in data units.
   */
  standardize?: boolean;
}

/** Options of `Flow.evaluate`. */
export interface FlowEvalOptions extends Omit<FamilyEvalOptions, 'data'> {
  /** Dequantization noise of pixel configs, and the samples of the MMD (default 0). */
  seed?: number;
  /** 2-D presets: test points (default TOY_TEST_SIZE); against `data`: samples for the MMD (default 2,000). */
  n?: number;
  /** MNIST, CIFAR-10: test images (default all). */
  limit?: number;
  /** MNIST: where the IDX files are; CIFAR-10: where its batches are (else GENMODELS_CIFAR10_DIR). */
  dataDir?: string;
  /**
   * Point flows: held-out points [N, D] in data units, or the path of a .csv, .tsv, .txt or
   * .npy file of them, to score (NLL in data units, and MMD of samples). Pixel flows:
   * held-out images, integer pixels 0..255 [N, C, H, W] (or [N, D]), or the path of a folder
   * of PNG / JPEG images (read at the model's size and channels), to score (NLL and bits/dim).
   */
  data?: Tensor | string;
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

/**
 * A normalizing flow bound to a Runtime.
 *
 * A point flow knows what it was trained on (`trainedOn`): its preset's toy set, whose test
 * set `evaluate()` uses, or points you gave to `fit`, in which case `evaluate()` takes
 * held-out points (`{ data }`, or the `reference` given to `fit`) and refuses otherwise.
 * With `standardize` it trains on standardized points (`normalization`); its public methods
 * stay in data units (log-densities include the standardization's Jacobian).
 */
export class Flow extends GenerativeModel<FlowConfig, FlowNetwork, TrainStep, FlowFields> {
  readonly family = 'flow';
  readonly parts: readonly string[] = FLOW_PARTS;
  protected readonly store = flowStore;
  /** Set once the training step is compiled: ActNorm's data-dependent init must come first. */
  #stepCompiled = false;
  /** Where the training points came from, when `flowFamily.train` read them from a file (stored). */
  data?: DataProvenance;
  #trainedOn: FlowFields['trainedOn'] = 'preset';
  #normalization: Normalization | null = null;
  /** Held-out points (data units) given to `fit` as its `reference`; not stored. */
  #heldOut?: Tensor<'float32'>;
  /** The points of the last fit on your data (data units), for pictures; not stored. */
  #trainPoints?: Tensor<'float32'>;

  /**
   * 'preset': trained on the preset's toy set (or not trained): `evaluate()` uses its test
   * set. 'data': trained on points you gave: `evaluate()` needs held-out points.
   */
  get trainedOn(): 'preset' | 'data' {
    return this.#trainedOn;
  }

  /**
   * The per-column mean and std the network's units are standardized by (`fit` with
   * `standardize`), or null. The exported ONNX parts work in standardized units.
   */
  get normalization(): Normalization | null {
    return this.#normalization;
  }

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
    const { net, preset, fields } = await flowStore.load(source);
    const norm = fields.normalization;
    if (norm && (net.cfg.pixels || norm.mean.length !== net.cfg.dim))
      throw new FlowError(
        `${describeModelSource(source)}: the stored normalization has ${norm.mean.length} values per statistic, but this flow models ${net.cfg.pixels ? 'pixels' : `${net.cfg.dim}-D points`}`,
      );
    const flow = new Flow(rt, net, preset);
    flow.#trainedOn = fields.trainedOn;
    flow.#normalization = norm;
    flow.data = fields.data;
    return flow;
  }

  #spec(name: string): InputSpecs {
    return { [name]: { dtype: 'float32', shape: ['batch', this.config.dim] } };
  }

  /**
   * Maximum likelihood with Adam. data: points [N, D] (2-D presets), images as integer
   * pixels 0..255 [N, C, H, W] or [N, D] (pixel configs, e.g. MNIST [N, 28, 28], CIFAR-10
   * [N, 3, 32, 32]; dequantized afresh every batch), or batches `{ x: [B, D] }` already in
   * model space. Loss: mean NLL in nats, or bits/dim.
   */
  async fit(data: Tensor | BatchSource, opts: FlowFitOptions = {}): Promise<FitResult> {
    const cfg = this.config;
    const seed = opts.seed ?? 0;
    const ref = opts.reference;
    if (ref !== undefined && ref !== 'preset' && !(ref instanceof Tensor))
      throw new FlowError(
        `fit: reference must be 'preset' or held-out ${cfg.pixels ? 'images' : 'points'} [M, ${cfg.dim}], got ${String(ref)}`,
      );
    if (cfg.pixels && opts.standardize)
      throw new FlowError(
        'fit: `standardize` is for point flows; a pixel flow dequantizes its pixels and takes their logit',
      );
    let heldOut: Tensor<'float32'> | undefined;
    if (ref instanceof Tensor)
      heldOut = cfg.pixels
        ? toData(ref, cfg, 'fit: reference')
        : pointsOf(ref, cfg.dim, 'fit: reference');
    let norm = this.#normalization;
    let x: Tensor<'float32'> | undefined;
    if (data instanceof Tensor) x = toData(data, cfg, 'fit');
    if (ref === 'preset') {
      if (norm)
        throw new FlowError(
          "fit: reference 'preset' says the points are the preset's toy set, but this flow works in the standardized units of your data (it has a normalization)",
        );
    } else if (opts.standardize && !norm) {
      if (!x)
        throw new FlowError(
          'fit: `standardize` needs the points as a Tensor (batches from a BatchSource are taken in the model units)',
        );
      norm = fitNormalization(x);
    }
    const count = async () => (this.#stepCompiled ? (await this.trainSteps(seed)).step : 0);
    const before = await count();
    try {
      return await this.#fit(x && norm ? standardize(x, norm) : (x ?? data), opts);
    } finally {
      // Only a fit that trained marks the model (a refused one leaves it as it was).
      if ((await count()) > before) {
        this.#normalization = norm;
        this.#trainedOn = ref === 'preset' ? 'preset' : 'data';
        this.#heldOut = heldOut;
        this.#trainPoints = ref === 'preset' || cfg.pixels ? undefined : x;
      }
    }
  }

  async #fit(data: Tensor | BatchSource, opts: FlowFitOptions): Promise<FitResult> {
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
    const chunk = chunkRows(this.config);
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

  /**
   * Model-space input: finite points [N, D] (standardized when the flow has a
   * normalization), or y in [0, 1]^D for pixel configs.
   */
  #input(x: Tensor, where: string): Tensor<'float32'> {
    const d = this.config.dim;
    if (this.config.pixels) return toUnit(x, d, where);
    const p = toPoints(x, d, where);
    return this.#normalization ? standardize(p, this.#normalization) : p;
  }

  /** Add the standardization's log-Jacobian (-sum log std) to per-point log-densities, in place. */
  #addLogDet(t: Tensor<'float32'>): Tensor<'float32'> {
    if (!this.#normalization) return t;
    const c = standardizeLogDet(this.#normalization);
    const v = t.data;
    for (let i = 0; i < v.length; i++) v[i] += c;
    return t;
  }

  /**
   * Exact log-density log p(x) in nats: x [N, D] -> [N], in data units (a standardized
   * flow adds -sum log std, the Jacobian of the standardization). Pixel configs: the
   * density of dequantized y in [0, 1]^D (the logit transform's Jacobian included).
   */
  async logProb(x: Tensor): Promise<Tensor<'float32'>> {
    const exe = await this.compiled('log_prob', this.#spec('x'), (i, net) => ({
      log_prob: net.logProb(i.x),
    }));
    const out = await this.#chunked(exe, 'x', this.#input(x, 'logProb'));
    return this.#addLogDet(out.log_prob as Tensor<'float32'>);
  }

  /** x [N, D] (data units) -> z [N, D] and log|det dz/dx| [N] (the standardization included). */
  async forward(x: Tensor): Promise<{ z: Tensor<'float32'>; logdet: Tensor<'float32'> }> {
    const exe = await this.compiled('forward', this.#spec('x'), (i, net) => ({
      ...net.call(i.x),
    }));
    const out = await this.#chunked(exe, 'x', this.#input(x, 'forward'));
    return {
      z: out.z as Tensor<'float32'>,
      logdet: this.#addLogDet(out.logdet as Tensor<'float32'>),
    };
  }

  /** z [N, D] -> x [N, D] (data units), the inverse of `forward`. */
  async inverse(z: Tensor): Promise<Tensor<'float32'>> {
    const exe = await this.compiled('inverse', this.#spec('z'), (i, net) => ({
      x: ops.identity(net.inverse(i.z)),
    }));
    const out = await this.#chunked(exe, 'z', toPoints(z, this.config.dim, 'inverse'));
    const x = out.x as Tensor<'float32'>;
    return this.#normalization ? unstandardize(x, this.#normalization) : x;
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

  /** Samples as the CLI shows them: points [n, D] over data points, or images [n, C, H, W] in [0, 1]. */
  async sample(n: number, seed: number): Promise<FamilySamples> {
    const shape = flowImageShape(this.config);
    const x = await this.sampleFlat(n, seed);
    if (shape) return { kind: 'images', images: x.reshape([n, ...shape]), range: '01' };
    const reference = await this.referencePoints(n, seed);
    return reference ? { kind: 'points', points: x, reference } : { kind: 'points', points: x };
  }

  /**
   * Up to n data points that samples are shown over (point flows, data units): the preset's
   * toy set (seeded), else the held-out points given to `fit`, else the points of the last
   * fit; undefined when there are none (a loaded flow trained on your data, a custom config).
   */
  async referencePoints(n: number, seed: number): Promise<Tensor<'float32'> | undefined> {
    const cfg = this.config;
    if (cfg.pixels || flowImageShape(cfg)) return undefined;
    if (this.#trainedOn === 'preset') {
      if (!cfg.toy) return undefined;
      const { toyPoints } = await import('./with-datasets.js');
      return toyPoints(cfg.toy, n, new Rng(seed + 1));
    }
    const points = this.#heldOut ?? this.#trainPoints;
    if (!points) return undefined;
    const rows = Math.min(n, points.shape[0]);
    return rows === points.shape[0] ? points : rowRange(points, 0, rows);
  }

  /**
   * The box the pictures and the default density grid cover: [-h, h]^2 for the presets, the
   * mean +- 4 std of each coordinate for a standardized flow.
   */
  get bounds(): DensityGrid['bounds'] {
    const norm = this.#normalization;
    if (norm && norm.mean.length >= 2) {
      const [mx, my] = norm.mean;
      const [sx, sy] = norm.std;
      return { xmin: mx - 4 * sx, xmax: mx + 4 * sx, ymin: my - 4 * sy, ymax: my + 4 * sy };
    }
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
    const nll = await this.#meanNll(x, opts.seed ?? 0);
    return cfg.pixels ? { bpd: nll / (cfg.dim * Math.LN2) + 8 } : { test_nll: nll };
  }

  /** Mean -log p over x (pixel configs: of the dequantized y, noise from Rng(seed)). */
  async #meanNll(x: Tensor, seed: number): Promise<number> {
    const cfg = this.config;
    const data = toData(x, cfg, 'evaluate');
    const y = cfg.pixels ? dequantize(data, new Rng(seed)) : data;
    const lp = (await this.logProb(y)).data;
    let s = 0;
    for (const v of lp) s += v;
    const nll = -s / lp.length;
    if (!Number.isFinite(nll))
      throw new FlowError(`evaluate: the model's NLL is ${nll} (diverged or data out of support)`);
    return nll;
  }

  /**
   * Figures on the held-out test set (needs @genmodels/datasets). 2-D presets trained on
   * their toy set: `test_nll` on TOY_TEST_SIZE points regenerated from TOY_TEST_SEED (never a
   * training stream); MNIST and CIFAR-10 (pixel flows of their shape trained on them): `bpd`
   * on the test split (the first `limit` images), dequantized by Rng(seed).
   *
   * `data` (point flows: held-out points [N, D] in data units, or a .csv/.tsv/.npy path):
   * `test_nll` (mean -log p(x) in nats, data units), `nll_per_dim`, `bits_per_dim` (=
   * nll_per_dim / ln 2) and `mmd` (samples against the points; see `evaluatePoints`). Pixel
   * flows, `data` (held-out images, integer pixels [N, C, H, W], or a folder of images):
   * `test_nll` (mean NLL of the 8-bit images in nats, -log p(y) + D log 256) and
   * `bits_per_dim` (test_nll / (D ln 2), the `bpd` above). A flow trained on your own data
   * never scores against a set it was not trained for: without `data` it uses the held-out
   * `reference` given to `fit`, else throws a FlowError saying what to pass.
   */
  async evaluate(opts: FlowEvalOptions = {}): Promise<Record<string, number>> {
    const cfg = this.config;
    const extras = await import('./with-datasets.js');
    if (cfg.pixels) return this.#evaluateImages(opts);
    if (opts.data !== undefined || this.#trainedOn === 'data') {
      const heldOut =
        opts.data !== undefined
          ? await extras.readHeldOut(opts.data, cfg.dim)
          : (this.#heldOut ?? missingHeldOut(cfg.dim));
      return extras.evaluatePoints(this, heldOut, opts);
    }
    if (cfg.toy) {
      const test = await extras.toyPoints(
        cfg.toy,
        opts.n ?? TOY_TEST_SIZE,
        new Rng(TOY_TEST_SEED).split(2)[1],
      );
      return this.evaluateOn(test, opts);
    }
    throw new FlowError(
      `evaluate: a custom flow has no reference test set; pass held-out points: evaluate({ data }) with a Tensor [N, ${cfg.dim}] or a .csv/.tsv/.npy file (or use evaluateOn(x))`,
    );
  }

  /** `evaluate` of a pixel flow: your held-out images, or the test split of MNIST / CIFAR-10. */
  async #evaluateImages(opts: FlowEvalOptions): Promise<Record<string, number>> {
    const cfg = this.config;
    const extras = await import('./with-datasets.js');
    if (opts.data !== undefined || this.#trainedOn === 'data') {
      const heldOut =
        opts.data !== undefined
          ? await extras.readHeldOutImages(opts.data, cfg)
          : (this.#heldOut ?? missingHeldOutImages(cfg));
      const nll = await this.#meanNll(heldOut, opts.seed ?? 0);
      const nats = nll + cfg.dim * Math.log(256);
      return { test_nll: nats, bits_per_dim: nats / (cfg.dim * Math.LN2) };
    }
    const set = extras.presetImageSet(cfg);
    if (set) {
      const test = await extras.presetPixels(set, 'test', { limit: opts.limit, dir: opts.dataDir });
      return this.evaluateOn(test, opts);
    }
    const shape = flowImageShape(cfg);
    throw new FlowError(
      `evaluate: this pixel flow (${shape ? `images ${formatImageShape(shape)}` : `${cfg.dim} pixels`}) has no reference test set (MNIST and CIFAR-10 have their shapes); pass held-out images: evaluate({ data }) with integer pixels [N, ${shape ? shape.join(', ') : cfg.dim}] or the path of a folder of images (or use evaluateOn(x))`,
    );
  }

  /**
   * 'sampler' (z -> x) or 'log_density' (x -> log_prob). A standardized flow's parts work
   * in standardized units (see `flowOnnx`; `normalization` is in their metadata).
   */
  protected exportPart(part: string): Uint8Array {
    return flowOnnx(this.net, part, this.#normalization);
  }

  /** What the model stores beside its config; nothing for a preset's model (its checkpoint is as before). */
  protected override storedFields(): FlowFields | undefined {
    if (this.#trainedOn === 'preset' && !this.#normalization && !this.data) return undefined;
    const fields: FlowFields = { trainedOn: this.#trainedOn, normalization: this.#normalization };
    if (this.data) fields.data = this.data;
    return fields;
  }

  /** 2-D: samples.png (samples over data) and density.png (heat map); images: samples.png. */
  async pictures(dir: string, seed = 0): Promise<string[]> {
    const { writePictures } = await import('./with-datasets.js');
    return writePictures(this, dir, seed);
  }
}

/** Rows per inference run: a multi-scale flow's conv activations bound it (about 64 CIFAR images). */
function chunkRows(cfg: FlowConfig): number {
  const shape = flowImageShape(cfg);
  if (cfg.arch === 'multiscale' && shape)
    return Math.max(1, Math.floor(2 ** 22 / (cfg.hidden * shape[1] * shape[2])));
  return cfg.dim > 64 ? 500 : 8192;
}

/** The refusal of `evaluate()` for a pixel flow trained on your images with nothing held out. */
function missingHeldOutImages(cfg: FlowConfig): never {
  const shape = flowImageShape(cfg);
  throw new FlowError(
    `evaluate: this flow was trained on images you gave (fit), so it has no test set of its own to score against; pass held-out images it did not train on: evaluate({ data }) with integer pixels 0..255 [N, ${shape ? shape.join(', ') : cfg.dim}] or the path of a folder of images (genmodels eval flow --from DIR --data held-out-folder)`,
  );
}

/** The refusal of `evaluate()` for a flow trained on your points with nothing held out. */
function missingHeldOut(d: number): never {
  throw new FlowError(
    `evaluate: this flow was trained on points you gave (fit), so it has no test set of its own to score against; pass held-out points it did not train on: evaluate({ data }) with a Tensor [N, ${d}] or a .csv/.tsv/.npy file (genmodels eval flow --from DIR --data held-out.csv)`,
  );
}
