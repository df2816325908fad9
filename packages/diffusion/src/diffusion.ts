/**
 * The diffusion model: a seeded denoiser with its noise schedule, training (with a weight
 * EMA for sampling), DDPM / DDIM sampling with classifier-free guidance, evaluation,
 * save/load and ONNX export of the denoiser. Built on the runtime's `GenerativeModel`.
 */
import {
  type DataProvenance,
  type Executable,
  type FamilySamples,
  type ModelSource,
  Rng,
  type Runtime,
  Tensor,
  type TrainStep,
} from '@genmodels/runtime';
import { describeModelSource, describeTensor, GenerativeModel } from '@genmodels/runtime/internal';
import { type DiffusionConfig, exampleShape, resolveConfig } from './config.js';
import { checkLabels, imageLayouts, labelTensor, presetImages, toData } from './data.js';
import type { DiffusersUnetConfig } from './diffusers-config.js';
import { encodeDiffusersFiles, readDiffusersUnet, writeDiffusersUnet } from './diffusers-io.js';
import { DiffusionError } from './errors.js';
import { DIFFUSION_PARTS, type DiffusionFields, denoiserOnnx, diffusionStore } from './io.js';
import { DiffusionNetwork } from './network.js';
import {
  checkPoints,
  type PointNormalization,
  pointStatistics,
  someRows,
  standardize,
  type TrainedOn,
  toDataUnits,
} from './normalize.js';
import { type DiffusionSampleOptions, runSampler } from './sampler.js';
import { NoiseSchedule } from './schedule.js';
import { compileDiffusionStep, denoiserInputs } from './steps.js';
import { type DiffusionFitOptions, type DiffusionFitResult, trainLoop } from './train.js';
import { formatImageShape } from './unet-shape.js';
import type { DiffusionEvalOptions } from './with-datasets.js';

/** Timing of the last sampling run, per step (ms): total, inside ORT's session.run, the rest on the host. */
export interface SampleTiming {
  steps: number;
  msPerStep: number;
  runMsPerStep: number;
  hostMsPerStep: number;
}

/** Points to compare samples with, and what to call them in pictures. */
interface PointReference {
  points: Tensor<'float32'>;
  label: string;
}

/**
 * A denoising diffusion model bound to a Runtime. It knows what it was trained on: a
 * preset's own data (the toy set, MNIST or CIFAR-10, which `evaluate()` scores against) or
 * points / images you gave (`evaluate()` then needs held-out data). A point model
 * (`arch: 'mlp'`) standardizes your points for training.
 */
export class Diffusion extends GenerativeModel<
  DiffusionConfig,
  DiffusionNetwork,
  TrainStep,
  DiffusionFields
> {
  readonly family = 'diffusion';
  readonly parts: readonly string[] = DIFFUSION_PARTS;
  protected readonly store = diffusionStore;
  /**
   * Where the training data came from, for a model `diffusionFamily.train` trained on a
   * file of points or a folder of images (`genmodels train --data` writes it into
   * config.json). A later `fit` clears it.
   */
  data?: DataProvenance;
  #trainedOn: TrainedOn;
  #normalization: PointNormalization | null;
  /** Held-out points in data units, or images in [-1, 1], given to the last fit (in memory only). */
  #heldOut?: Tensor<'float32'>;
  /** The last fit's own points in data units, when they were yours (pictures without held-out points). */
  #trainPoints?: Tensor<'float32'>;
  /** The config's noise schedule (betas and the alpha-bar terms). */
  readonly schedule = new NoiseSchedule(this.config.schedule, this.config.timesteps, {
    start: this.config.betaStart,
    end: this.config.betaEnd,
  });
  /** Timing of the last `sampleFlat`. */
  lastTiming?: SampleTiming;

  /**
   * @param preset the preset name recorded in config.json ('custom' for a hand-made config).
   * @param fields what the model was trained on and its normalization (default: a preset's
   *   own data, none); `load` passes what was stored.
   */
  constructor(
    rt: Runtime,
    net: DiffusionNetwork,
    preset = 'custom',
    ema?: Record<string, Tensor>,
    fields: Partial<DiffusionFields> = {},
  ) {
    super(rt, net, preset, ema);
    this.#trainedOn = fields.trainedOn ?? 'preset';
    this.#normalization = fields.normalization ?? null;
    if (fields.data) this.data = fields.data;
  }

  /**
   * What the model was trained on: 'preset' (a preset's own data set, or nothing yet) or
   * 'data' (points or images you gave to `fit`; `evaluate()` then needs held-out data).
   */
  get trainedOn(): TrainedOn {
    return this.#trainedOn;
  }

  /**
   * The per-dimension mean and std the model standardizes its points with (null: none, as
   * for the presets' own data and MNIST). The denoiser (`denoise`, the ONNX export) works in
   * standardized units; `sample`, `sampleFlat`, `evaluate` and the pictures in data units.
   */
  get normalization(): PointNormalization | null {
    return this.#normalization;
  }

  /**
   * A freshly initialized model from a preset name or a partial config, seeded.
   *
   * @example const model = Diffusion.create(rt, 'moons-2d', { seed: 0 });
   */
  static create(
    rt: Runtime,
    config: string | Partial<DiffusionConfig> = 'moons-2d',
    opts: { seed?: number } = {},
  ): Diffusion {
    const cfg = resolveConfig(config);
    const preset = typeof config === 'string' ? config : 'custom';
    return new Diffusion(rt, new DiffusionNetwork(cfg, new Rng(opts.seed ?? 0)), preset);
  }

  /**
   * Load what `save` wrote: a directory (Node.js), a URL base (browsers) or the files
   * (`toFiles()`, `modelFilesFromList(input.files)`), with its EMA weights. CheckpointError /
   * DiffusionError name the file and the problem.
   */
  static async load(rt: Runtime, source: ModelSource): Promise<Diffusion> {
    const { net, cfg, preset, ema, fields } = await diffusionStore.load(source);
    const norm = fields.normalization;
    if (norm && (cfg.arch !== 'mlp' || norm.mean.length !== cfg.dataDim))
      throw new DiffusionError(
        `${describeModelSource(source)}: normalization has ${norm.mean.length} dimensions, but the config describes ${cfg.arch === 'mlp' ? `points of dataDim ${cfg.dataDim}` : 'a U-Net on images'}`,
      );
    return new Diffusion(rt, net, preset, ema, fields);
  }

  /**
   * A model holding a diffusers UNet2DModel (a directory, URL base or files with
   * diffusion_pytorch_model.safetensors and config.json in diffusers' names), to fine-tune with
   * `fit` and sample; `training` sets the other config fields (timesteps, schedule, lr,
   * prediction, ...) over the U-Net defaults (T = 1000, linear betas 1e-4..0.02, eps: DDPM's).
   * Loading is strict: every missing and unexpected tensor is listed in one StateDictKeyError.
   * `saveDiffusers` writes it back in diffusers' names.
   *
   * @example const m = await Diffusion.fromDiffusers(rt, 'ddpm-tiny/unet', { lr: 1e-4 });
   */
  static async fromDiffusers(
    rt: Runtime,
    source: ModelSource,
    training: Partial<DiffusionConfig> = {},
  ): Promise<Diffusion> {
    const { net, hfConfig } = await readDiffusersUnet(source, training);
    const model = new Diffusion(rt, net, 'custom');
    model.diffusersConfig = hfConfig;
    return model;
  }

  /**
   * The UNet2DModel config.json this model was read from (`fromDiffusers`): its other fields are
   * written back by `saveDiffusers`.
   */
  diffusersConfig?: DiffusersUnetConfig;

  /**
   * Write a diffusers-layout U-Net as a diffusers UNet2DModel directory (Node.js):
   * diffusion_pytorch_model.safetensors in diffusers' names and config.json. The trained
   * weights, or with `ema: true` their moving average (when the model keeps one).
   *
   * @example await model.saveDiffusers('out/unet');   // UNet2DModel.from_pretrained('out/unet')
   */
  async saveDiffusers(dir: string, opts: { ema?: boolean } = {}): Promise<void> {
    await writeDiffusersUnet(dir, this.samplingNetwork(opts.ema ?? false), this.diffusersConfig);
  }

  /** The files `saveDiffusers` writes, as bytes and text (e.g. for a browser download). */
  diffusersFiles(opts: { ema?: boolean } = {}): Record<string, Uint8Array | string> {
    return encodeDiffusersFiles(this.samplingNetwork(opts.ema ?? false), this.diffusersConfig);
  }

  /** What save writes beside the config: nothing for a preset's own data (the format before these fields). */
  protected override storedFields(): DiffusionFields | undefined {
    if (this.#trainedOn === 'preset' && this.#normalization === null && !this.data)
      return undefined;
    const fields: DiffusionFields = {
      trainedOn: this.#trainedOn,
      normalization: this.#normalization,
    };
    if (this.data) fields.data = this.data;
    return fields;
  }

  /**
   * The denoising step (MSE against the prediction target, Adam). The graph has no noise
   * inputs of its own: timesteps and noise are batch inputs that `fit` draws from its seed.
   */
  protected compileSteps(seed: number): Promise<TrainStep> {
    return compileDiffusionStep(this.rt, this.net, seed);
  }

  /** The compiled training step, as `trainSteps(0)` (its seed feeds no input of this graph). */
  trainStep(): Promise<TrainStep> {
    return this.trainSteps(0);
  }

  /**
   * Train with the denoising objective. data: points [N, dataDim] or images [N, C, H, W]
   * (gray: also [N, H, W]; uint8, or float32 in [-1, 1]); `labels` (N) for a conditional model.
   *
   * Data is taken as yours unless `reference: 'preset'` says it is the preset's own set
   * (the toy set; MNIST or CIFAR-10 for a U-Net of their shape). Your data marks the model
   * as trained on it (`trainedOn` 'data'), and `evaluate()` then scores against `reference`
   * (held-out points or images) or, without one, asks for `{ data }`; your points are also
   * standardized per dimension for training (see `normalize`). A fit clears `data` (the
   * provenance of an earlier training file or folder).
   *
   * @example await model.fit(train, { epochs: 50, reference: heldOut }); await model.evaluate();
   */
  async fit(data: Tensor, opts: DiffusionFitOptions = {}): Promise<DiffusionFitResult> {
    const cfg = this.config;
    let x = toData(data, cfg, 'fit');
    if (cfg.numClasses > 0) {
      if (!opts.labels)
        throw new DiffusionError('fit: a class-conditional model needs `labels` for the data');
      checkLabels(opts.labels, x.shape[0], cfg.numClasses, 'fit');
    } else if (opts.labels) checkLabels(opts.labels, x.shape[0], 0, 'fit');
    let start: (() => void) | undefined;
    if (cfg.arch === 'mlp') {
      const ref = opts.reference;
      if (ref === 'preset' && !cfg.toy)
        throw new DiffusionError(
          "fit: reference 'preset' names the preset's toy set, but this model has none (a custom config); give held-out points [M, D] or leave reference out",
        );
      if (ref !== undefined && ref !== 'preset' && !(ref instanceof Tensor))
        throw new DiffusionError(
          `fit: reference must be 'preset' or a Tensor of held-out points, got ${typeof ref === 'string' ? `'${ref}'` : typeof ref}`,
        );
      const trainedOn: TrainedOn = ref === 'preset' ? 'preset' : 'data';
      const heldOut =
        ref instanceof Tensor ? checkPoints(ref, cfg.dataDim, 'fit: reference') : undefined;
      const points = x;
      const norm =
        this.#normalization ??
        ((opts.normalize ?? trainedOn === 'data') ? pointStatistics(points) : null);
      if (norm) x = standardize(x, norm);
      start = () => {
        this.#trainedOn = trainedOn;
        this.#normalization = norm;
        this.#heldOut = heldOut;
        this.#trainPoints = trainedOn === 'data' ? points : undefined;
        this.data = undefined;
      };
    } else {
      if (opts.normalize !== undefined)
        throw new DiffusionError(
          "fit: normalize is for point models (arch 'mlp'); the U-Net trains on images in [-1, 1]",
        );
      const ref = opts.reference;
      if (ref === 'preset' && !presetImages(cfg))
        throw new DiffusionError(
          `fit: reference 'preset' names the preset's image set, but this U-Net's images (${formatImageShape(exampleShape(cfg))}) are neither MNIST's (1x28x28) nor of a preset's data set; give held-out images or leave reference out`,
        );
      if (ref !== undefined && ref !== 'preset' && !(ref instanceof Tensor))
        throw new DiffusionError(
          `fit: reference must be 'preset' or held-out images (${imageLayouts(cfg)}), got ${typeof ref === 'string' ? `'${ref}'` : typeof ref}`,
        );
      const heldOut = ref instanceof Tensor ? toData(ref, cfg, 'fit: reference') : undefined;
      start = () => {
        this.#trainedOn = ref === 'preset' ? 'preset' : 'data';
        this.#heldOut = heldOut;
        this.data = undefined;
      };
    }
    const step = await this.trainSteps(opts.seed ?? 0);
    const ema = cfg.emaDecay > 0 ? this.startEma() : undefined;
    return this.train(step, () => trainLoop(cfg, this.schedule, step, x, opts, ema, start));
  }

  /**
   * The denoiser compiled once (per weight set) and reused across steps and calls. With
   * `sharedT`, t is [1] for the whole batch: the time embedding (and its projections in
   * every block) is computed once per step and broadcast, instead of once per row.
   */
  #denoiser(ema: boolean, sharedT = false): Promise<Executable> {
    const inputs = denoiserInputs(this.config);
    if (sharedT) inputs.t = { dtype: 'float32', shape: [1] };
    return this.compiled(sharedT ? 'shared' : 'rows', inputs, (i, net) => net.call(i.x, i.t, i.y), {
      ema,
      name: 'diffusion_denoiser',
    });
  }

  /**
   * The model output (eps, x0 or v) for x_t: float32 [B, ...example shape] at timesteps t
   * (one for all rows or B of them), labels (B) for a conditional model (the null class K allowed).
   */
  async denoise(
    x: Tensor,
    t: number | ArrayLike<number>,
    labels?: ArrayLike<number>,
    opts: { ema?: boolean } = {},
  ): Promise<Tensor<'float32'>> {
    const cfg = this.config;
    const shape = exampleShape(cfg);
    const b = x.shape[0];
    if (
      x.dtype !== 'float32' ||
      x.rank !== shape.length + 1 ||
      shape.some((d, i) => x.shape[i + 1] !== d)
    )
      throw new DiffusionError(
        `denoise: x must be float32 [B, ${shape.join(', ')}], got ${describeTensor(x)}`,
      );
    const ts = typeof t === 'number' ? Array.from({ length: b }, () => t) : Array.from(t);
    if (ts.length !== b) throw new DiffusionError(`denoise: ${ts.length} timesteps for ${b} rows`);
    for (const v of ts) this.schedule.checkT(v, 'denoise');
    const feed: Record<string, Tensor> = {
      x,
      t: new Tensor('float32', [b], Float32Array.from(ts)),
    };
    if (cfg.numClasses > 0) {
      if (!labels)
        throw new DiffusionError(
          `denoise: this model is class-conditional; give ${b} labels in 0..${cfg.numClasses} (${cfg.numClasses}: null class)`,
        );
      checkLabels(labels, b, cfg.numClasses + 1, 'denoise');
      feed.y = labelTensor(labels);
    } else if (labels) checkLabels(labels, b, 0, 'denoise');
    const exe = await this.#denoiser(opts.ema ?? true);
    return (await exe.runHost(feed)).output as Tensor<'float32'>;
  }

  /** Resolve and check the sampling options against the config. */
  #resolve(n: number, o: DiffusionSampleOptions) {
    const cfg = this.config;
    this.checkCount(n);
    const sampler = o.sampler ?? cfg.sampler;
    const steps =
      o.steps ??
      (sampler === cfg.sampler ? cfg.sampleSteps : sampler === 'ddpm' ? cfg.timesteps : 50);
    const guidance = o.guidance ?? (cfg.numClasses > 0 ? cfg.guidance : 0);
    if (!(Number.isFinite(guidance) && guidance >= 0))
      throw new DiffusionError(`sample: guidance (${guidance}) must be a finite number >= 0`);
    if (cfg.numClasses === 0 && guidance > 0)
      throw new DiffusionError(
        `sample: guidance ${guidance} needs a class-conditional model; this one is unconditional`,
      );
    let labels = o.labels;
    if (o.label !== undefined) labels = Array.from({ length: n }, () => o.label as number);
    if (cfg.numClasses > 0) {
      labels ??= Array.from({ length: n }, (_, i) => i % cfg.numClasses);
      checkLabels(labels, n, cfg.numClasses, 'sample');
    } else if (labels) checkLabels(labels, n, 0, 'sample');
    return { sampler, steps, guidance, labels, eta: o.eta ?? 0 };
  }

  /**
   * n samples [n, ...example shape]: points in data units (un-standardized for a model
   * trained on your own points; `onStep` sees them so too, while `noise` is x_T in the
   * model's standardized units), or images in [-1, 1].
   */
  async sampleFlat(n: number, opts: DiffusionSampleOptions = {}): Promise<Tensor<'float32'>> {
    const cfg = this.config;
    const r = this.#resolve(n, opts);
    const shape = exampleShape(cfg);
    const f = shape.reduce((a, b) => a * b, 1);
    const exe = await this.#denoiser(opts.ema ?? true, true);
    const guided = r.labels !== undefined && r.guidance > 0;
    const rows = guided ? 2 * n : n;
    const xFeed = new Float32Array(rows * f);
    const tFeed = new Float32Array(1);
    let yFeed: Tensor | undefined;
    if (r.labels) {
      const ys = guided ? [...r.labels, ...r.labels.map(() => cfg.numClasses)] : r.labels;
      yFeed = labelTensor(ys);
    }
    let runMs = 0;
    const w = r.guidance;
    const denoise = async (x: Float32Array, t: number): Promise<Float32Array> => {
      xFeed.set(x);
      if (guided) xFeed.set(x, n * f);
      tFeed[0] = t;
      const feed: Record<string, Tensor> = {
        x: new Tensor('float32', [rows, ...shape], xFeed),
        t: new Tensor('float32', [1], tFeed),
      };
      if (yFeed) feed.y = yFeed;
      const t0 = performance.now();
      const out = (await exe.runHost(feed)).output.data as Float32Array;
      runMs += performance.now() - t0;
      if (!guided) return out;
      const g = new Float32Array(n * f);
      for (let j = 0; j < n * f; j++) g[j] = (1 + w) * out[j] - w * out[n * f + j];
      return g;
    };
    const norm = this.#normalization;
    const onStep = opts.onStep;
    const t0 = performance.now();
    const { x, stats } = await runSampler(this.schedule, n * f, denoise, {
      sampler: r.sampler,
      steps: r.steps,
      eta: r.eta,
      prediction: cfg.prediction,
      clipDenoised: cfg.clipDenoised,
      seed: opts.seed ?? 0,
      noise: opts.noise,
      onStep: norm && onStep ? (e) => onStep({ ...e, x: toDataUnits(e.x, norm) }) : onStep,
    });
    const total = performance.now() - t0;
    this.lastTiming = {
      steps: stats.steps,
      msPerStep: total / stats.steps,
      runMsPerStep: runMs / stats.steps,
      hostMsPerStep: (total - runMs) / stats.steps,
    };
    return new Tensor('float32', [n, ...shape], norm ? toDataUnits(x, norm, x) : x);
  }

  /**
   * Samples as the CLI shows them: points [n, D] in data units with up to n reference points
   * (fresh toy points for a toy preset; for a model trained on your points, the held-out
   * points of its fit, else its training points, while in memory), or images
   * [n, C, H, W] in [-1, 1]. `label` / `labels` pick classes.
   */
  async sample(n: number, seed = 0, opts: DiffusionSampleOptions = {}): Promise<FamilySamples> {
    const x = await this.sampleFlat(n, { ...opts, seed: opts.seed ?? seed });
    if (this.config.arch === 'unet') return { kind: 'images', images: x, range: '-11' };
    const ref = await this.#reference(n, seed);
    return ref
      ? { kind: 'points', points: x, reference: ref.points }
      : { kind: 'points', points: x };
  }

  /** Up to n points of what the model was trained towards, in data units (see `sample`). */
  async #reference(n: number, seed: number): Promise<PointReference | undefined> {
    const toy = this.config.toy;
    if (this.#trainedOn === 'preset') {
      if (!toy) return undefined;
      const { toyReference } = await import('./with-datasets.js');
      return { points: (await toyReference(toy, n, seed)) as Tensor<'float32'>, label: 'data' };
    }
    if (this.#heldOut) return { points: someRows(this.#heldOut, n, seed), label: 'held-out data' };
    if (this.#trainPoints)
      return { points: someRows(this.#trainPoints, n, seed), label: 'training data' };
    return undefined;
  }

  /**
   * Sample quality (needs @genmodels/datasets).
   *
   * Points: `mmd`, the squared MMD (RBF, bandwidths 0.1, 0.2, 0.5, 1) between n samples and
   * reference points, and `mmd_data_baseline`, the same between two sets of reference
   * points (what a perfect model would score). The reference:
   * - `{ data }`: held-out points [M, D] in data units (a Tensor, or a .csv/.tsv/.txt/.npy
   *   path): MMD^2 by the unbiased estimator (comparable across set sizes; it can be
   *   slightly negative) in the model's training units (standardized with its mean/std for
   *   a model trained on your points), on at most n of the points, the baseline between
   *   two random halves of them (when each half has 2 or more);
   * - else, a model trained on your points (`fit` without `reference: 'preset'`): the
   *   held-out points of its last fit (in memory); without them (after `load`, or a fit
   *   without `reference`) it refuses and says to pass `{ data }`;
   * - else a toy preset: n fresh points of the toy set, the baseline between two
   *   independent draws of n (biased estimator, as before).
   *
   * Images: `pixel_mmd` and `pixel_mmd_data_baseline` (see `evaluateImages`: MMD^2 on
   * flattened pixels, not FID) against `{ data }` (held-out images: a Tensor, or a folder),
   * else the held-out images of the last fit of a model trained on yours (without them it
   * refuses and says to pass `{ data }`), else, for CIFAR-10's preset, n samples vs the
   * CIFAR-10 test set, with `fid` (Frechet distance in the shipped CifarNet's features),
   * `class_kl`, `mean_confidence`, `confident_fraction` and `label_agreement`. MNIST (a gray 28x28 U-Net trained on it, or untrained): `fld`,
   * `class_kl`, `mean_confidence`, `confident_fraction`, `label_agreement` on n samples vs
   * the test set. A model trained on your images is never scored against MNIST.
   */
  async evaluate(opts: DiffusionEvalOptions = {}): Promise<Record<string, number>> {
    const cfg = this.config;
    if (cfg.arch === 'unet') {
      const { evaluateUnet } = await import('./with-datasets.js');
      return evaluateUnet(this, opts, this.#trainedOn === 'data', this.#heldOut);
    }
    const { evaluateDiffusion, evaluatePoints, readHeldOut } = await import('./with-datasets.js');
    const d = cfg.dataDim;
    if (opts.data !== undefined)
      return evaluatePoints(this, await readHeldOut(opts.data, d, 'evaluate: data'), opts);
    if (this.#trainedOn === 'data') {
      if (this.#heldOut) return evaluatePoints(this, this.#heldOut, opts);
      throw new DiffusionError(
        `evaluate: this model was trained on points you gave (fit), not on its preset's data, so there is nothing of its own to score against; pass { data: held-out points [N, ${d}] } (a Tensor, or a .csv/.tsv/.npy file; genmodels eval --data FILE), or fit with { reference: heldOut }`,
      );
    }
    if (!cfg.toy)
      throw new DiffusionError(
        `evaluate: a custom point model has no reference set of its own; pass { data: held-out points [N, ${d}] } (a Tensor, or a .csv/.tsv/.npy file)`,
      );
    return evaluateDiffusion(this, opts);
  }

  /**
   * 'denoiser' (EMA weights when present): x [batch, ...], t float32 [batch] (and y int64
   * [batch] when conditional) -> the model output, named `eps` (or `x0` / `v`).
   */
  protected exportPart(part: string): Uint8Array {
    return denoiserOnnx(this.samplingNetwork(), part, this.#normalization);
  }

  /**
   * Points: samples.png (samples over the toy set, or over the held-out / training points of
   * a model trained on yours; the first two dimensions when D is not 2) and steps.json
   * (trajectories, in data units); images (gray or RGB, any size): samples.png.
   */
  async pictures(dir: string, seed = 0): Promise<string[]> {
    const { writePictures } = await import('./with-datasets.js');
    return writePictures(this, dir, seed, (n) => this.#reference(n, seed));
  }
}
