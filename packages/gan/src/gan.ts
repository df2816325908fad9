/**
 * The GAN: a seeded generator/discriminator pair plus what is GAN-specific around it
 * (alternating D and G steps with a D:G ratio, a generator weight EMA, sampling,
 * interpolation in z, evaluation, ONNX export of the generator). Built on the runtime's
 * `GenerativeModel`.
 */
import {
  type DataProvenance,
  type FamilyEvalOptions,
  type FamilySampleOptions,
  type FamilySamples,
  type ModelSource,
  Rng,
  type Runtime,
  Tensor,
  type TrainStep,
} from '@genmodels/runtime';
import {
  describeModelSource,
  describeTensor,
  emaUpdate,
  GenerativeModel,
} from '@genmodels/runtime/internal';
import {
  type GanConfig,
  ganImageSet,
  ganImageShape,
  type ImageShape,
  resolveConfig,
} from './config.js';
import { checkLabels, imageLayouts, imagesOf, oneHot, pointsOf, toFlat } from './data.js';
import { GanError } from './errors.js';
import { GAN_PARTS, ganStore, generatorOnnx } from './io.js';
import { GanNetwork, isGenerator } from './network.js';
import {
  fitNormalization,
  type GanFields,
  type Normalization,
  standardize,
  unstandardize,
} from './normalize.js';
import { missingHeldOut, noTestSet } from './refusals.js';
import { compileGanSteps, stepInputs } from './steps.js';

import { type GanFitOptions, type GanFitResult, trainLoop } from './train.js';

/** Options of `GAN.sample` at the family level: a class per sample or one for all. */
export interface GanSampleOptions extends FamilySampleOptions {
  /** One class per sample (conditional presets). */
  labels?: readonly number[];
  /** One class for every sample (e.g. the CLI's `--label 7`). */
  label?: number;
}

/** Options of `GAN.evaluate`. */
export interface GanEvalOptions extends Omit<FamilyEvalOptions, 'data'> {
  /** Seeds the samples (default 0). */
  seed?: number;
  /**
   * Samples to score (default 2,500 for the 2-D presets, 2,000 against points, 10,000 for
   * MNIST, 1,000 for `pixel_mmd`; of more, `pixel_mmd` takes the first 1,000 and CIFAR-10's
   * `fid` all of them).
   */
  n?: number;
  /** MNIST / CIFAR-10: where the files are. */
  dataDir?: string;
  /** MNIST / CIFAR-10: test images to compare with (default: n for MNIST, 1,000 for CIFAR-10). */
  limit?: number;
  /**
   * Held-out data to score the samples against. 2-D (point) GANs: points [N, D] in data
   * units, or the path of a .csv, .tsv, .txt or .npy file of them (`mmd`). Image GANs:
   * images of the model's shape ([N, C, H, W] or [N, C*H*W], float32 in [-1, 1] or uint8),
   * or the path of a folder of PNG / JPEG images (square models; `pixel_mmd`).
   */
  data?: Tensor | string;
}

/**
 * A generative adversarial network bound to a Runtime. `ema` holds the EMA of the
 * generator's trainable weights (keys `generator.*`) when `emaDecay > 0`.
 *
 * A GAN knows what it was trained on (`trainedOn`): its preset's toy set or image set
 * (MNIST, CIFAR-10), which `evaluate()` scores against, or points or images you gave to
 * `fit`, in which case `evaluate()` takes held-out data (`{ data }`, or the `reference`
 * given to `fit`) and refuses otherwise. A 2-D GAN with `standardize` trains on
 * standardized points (`normalization`) and still samples in data units. An image GAN
 * makes images of its config's shape [C, H, W] (`imageShape`) in [-1, 1].
 */
export class GAN extends GenerativeModel<
  GanConfig,
  GanNetwork,
  { dStep: TrainStep; gStep: TrainStep },
  GanFields
> {
  readonly family = 'gan';
  readonly parts: readonly string[] = GAN_PARTS;
  protected readonly store = ganStore;
  /** Where the training points came from, when `ganFamily.train` read them from a file (stored). */
  data?: DataProvenance;
  #trainedOn: GanFields['trainedOn'] = 'preset';
  #normalization: Normalization | null = null;
  /** Held-out points (data units) or images ([M, C*H*W], [-1, 1]) given to `fit` as `reference`; not stored. */
  #heldOut?: Tensor<'float32'>;
  /** The points of the last fit on your data (data units), for pictures; not stored. */
  #trainPoints?: Tensor<'float32'>;

  /**
   * 'preset': trained on the preset's toy set or image set (or not trained): `evaluate()`
   * scores against it. 'data': trained on points or images you gave: `evaluate()` needs
   * held-out data.
   */
  get trainedOn(): 'preset' | 'data' {
    return this.#trainedOn;
  }

  /** The image shape [C, H, W] of an image (dcgan) GAN; undefined for a point GAN. */
  get imageShape(): ImageShape | undefined {
    return this.config.arch === 'dcgan' ? ganImageShape(this.config) : undefined;
  }

  /**
   * The per-column mean and std the networks' units are standardized by (`fit` with
   * `standardize`), or null. The exported ONNX generator outputs standardized points.
   */
  get normalization(): Normalization | null {
    return this.#normalization;
  }

  /**
   * A freshly initialized GAN from a preset name or a partial config, seeded.
   *
   * @example const gan = GAN.create(rt, 'ring8', { seed: 0 });
   */
  static create(
    rt: Runtime,
    config: string | Partial<GanConfig> = 'ring8',
    opts: { seed?: number } = {},
  ): GAN {
    const cfg = resolveConfig(config);
    const preset = typeof config === 'string' ? config : 'custom';
    return new GAN(rt, new GanNetwork(cfg, new Rng(opts.seed ?? 0)), preset);
  }

  /**
   * Load what `save` wrote: a directory (Node.js), a URL base (browsers) or the files
   * (`toFiles()`, `modelFilesFromList(input.files)`). CheckpointError / GanError name the
   * file and the problem.
   */
  static async load(rt: Runtime, source: ModelSource): Promise<GAN> {
    const { net, preset, ema, fields } = await ganStore.load(source);
    const norm = fields.normalization;
    if (norm && (net.cfg.arch !== 'mlp' || norm.mean.length !== net.cfg.dataDim))
      throw new GanError(
        `${describeModelSource(source)}: the stored normalization has ${norm.mean.length} values per statistic, but this GAN makes ${net.cfg.arch === 'mlp' ? `${net.cfg.dataDim}-D points` : 'images'}`,
      );
    const gan = new GAN(rt, net, preset, ema);
    gan.#trainedOn = fields.trainedOn;
    gan.#normalization = norm;
    gan.data = fields.data;
    return gan;
  }

  /** The D and G steps over one network (shared state, each with its own Adam state). */
  protected compileSteps(seed: number): Promise<{ dStep: TrainStep; gStep: TrainStep }> {
    return compileGanSteps(this.rt, this.net, seed);
  }

  /**
   * Alternate `dSteps` D steps and one G step with Adam. data: points [N, dataDim] or images
   * of the model's shape [C, H, W] ([N, C, H, W], [N, C*H*W], gray also [N, H, W]; uint8, or
   * float32 in [-1, 1]); `labels` (N) for a conditional GAN.
   *
   * The data is taken as your own (`trainedOn` becomes 'data') unless `reference` is
   * 'preset'; `reference: heldOut` keeps held-out points or images for `evaluate()`;
   * `standardize` trains on standardized points (a model with a `normalization` always
   * applies it).
   */
  async fit(data: Tensor, opts: GanFitOptions = {}): Promise<GanFitResult> {
    const cfg = this.config;
    const shape = this.imageShape;
    const x = shape ? imagesOf(data, shape, 'fit') : toFlat(data, cfg.dataDim, 'fit');
    if (cfg.numClasses > 0) {
      if (!opts.labels) throw new GanError('fit: a conditional GAN needs `labels` for the data');
      checkLabels(opts.labels, x.shape[0], cfg.numClasses, 'fit');
    } else if (opts.labels) checkLabels(opts.labels, x.shape[0], 0, 'fit');
    const ref = opts.reference;
    if (ref !== undefined && ref !== 'preset' && !(ref instanceof Tensor))
      throw new GanError(
        `fit: reference must be 'preset' or held-out ${shape ? `images ${imageLayouts(shape)}` : `points [M, ${cfg.dataDim}]`}, got ${String(ref)}`,
      );
    if (shape) {
      if (opts.standardize)
        throw new GanError(
          'fit: `standardize` is for point GANs; an image GAN takes pixels in [-1, 1] (uint8 pixels are scaled for you)',
        );
      const heldOut = ref instanceof Tensor ? imagesOf(ref, shape, 'fit: reference') : undefined;
      return this.#fitMarking(opts, heldOut, () => this.#fit(x, opts));
    }
    const heldOut =
      ref instanceof Tensor ? pointsOf(ref, cfg.dataDim, 'fit: reference') : undefined;
    let norm = this.#normalization;
    if (ref === 'preset') {
      if (norm)
        throw new GanError(
          "fit: reference 'preset' says the points are the preset's toy set, but this GAN works in the standardized units of your data (it has a normalization)",
        );
    } else if (opts.standardize && !norm) norm = fitNormalization(x);
    return this.#fitMarking(
      opts,
      heldOut,
      () => this.#fit(norm ? standardize(x, norm) : x, opts),
      () => {
        this.#normalization = norm;
        this.#trainPoints = ref === 'preset' ? undefined : x;
      },
    );
  }

  /**
   * Run `fit` and, if it trained, mark what the model was trained on (`reference` 'preset'
   * or your data) and keep the held-out data; a refused fit leaves the model as it was.
   */
  async #fitMarking(
    opts: GanFitOptions,
    heldOut: Tensor<'float32'> | undefined,
    run: () => Promise<GanFitResult>,
    mark?: () => void,
  ): Promise<GanFitResult> {
    const before = await this.#stepCount(opts.seed ?? 0);
    try {
      return await run();
    } finally {
      if ((await this.#stepCount(opts.seed ?? 0)) > before) {
        this.#trainedOn = opts.reference === 'preset' ? 'preset' : 'data';
        this.#heldOut = heldOut;
        mark?.();
      }
    }
  }

  async #stepCount(seed: number): Promise<number> {
    return (await this.trainSteps(seed)).dStep.step;
  }

  async #fit(x: Tensor<'float32'>, opts: GanFitOptions): Promise<GanFitResult> {
    const cfg = this.config;
    const steps = await this.trainSteps(opts.seed ?? 0);
    let onGStep: (() => Promise<void>) | undefined;
    if (cfg.emaDecay > 0) {
      const ema = this.startEma(isGenerator);
      onGStep = async () => emaUpdate(ema, await steps.gStep.parameters(), cfg.emaDecay);
    }
    // The steps share their state: the D step's weights hold the G step's updates too.
    return this.train(steps.dStep, () => trainLoop(cfg, steps, x, opts, onGStep));
  }

  /**
   * The generator (EMA weights when enabled, eval mode): z [n, zDim] (+ labels) -> [n, dataDim],
   * in data units (a standardized GAN's outputs are mapped back with its normalization).
   */
  async generate(z: Tensor, labels?: readonly number[]): Promise<Tensor<'float32'>> {
    const cfg = this.config;
    if (z.rank !== 2 || z.shape[1] !== cfg.zDim || z.dtype !== 'float32')
      throw new GanError(`generate: z must be float32 [N, ${cfg.zDim}], got ${describeTensor(z)}`);
    const n = z.shape[0];
    const feed: Record<string, Tensor> = { z };
    if (cfg.numClasses > 0) {
      if (!labels)
        throw new GanError(
          `generate: this GAN is conditional; give ${n} labels in 0..${cfg.numClasses - 1}`,
        );
      checkLabels(labels, n, cfg.numClasses, 'generate');
      feed.y = oneHot(labels, cfg.numClasses);
    } else if (labels) checkLabels(labels, n, 0, 'generate');
    const exe = await this.compiled(
      'generate',
      stepInputs(cfg).g,
      (i, net) => net.generator.call(i.z, i.y),
      { ema: true },
    );
    const x = (await exe.runHost(feed)).output as Tensor<'float32'>;
    return this.#normalization ? unstandardize(x, this.#normalization) : x;
  }

  /** z ~ N(0, I) [n, zDim] from Rng(seed). */
  noise(n: number, seed: number): Tensor<'float32'> {
    this.checkCount(n);
    const d = this.config.zDim;
    return new Tensor('float32', [n, d], new Rng(seed).normal([n, d]));
  }

  /** n samples [n, dataDim] from z ~ N(0, I) seeded by `seed` (labels for a conditional GAN). */
  async sampleFlat(
    n: number,
    seed: number,
    labels?: readonly number[],
  ): Promise<Tensor<'float32'>> {
    return this.generate(this.noise(n, seed), labels);
  }

  /**
   * Samples as the CLI shows them: points [n, 2] over n data points, or images
   * [n, C, H, W] in [-1, 1] (MNIST: [n, 1, 28, 28]). The third argument is the labels, or
   * `{ labels }` / `{ label }`; a conditional GAN without labels samples the classes 0..K-1
   * in turn.
   */
  async sample(
    n: number,
    seed: number,
    opts?: readonly number[] | GanSampleOptions,
  ): Promise<FamilySamples> {
    const cfg = this.config;
    let labels = Array.isArray(opts)
      ? (opts as readonly number[])
      : (opts as GanSampleOptions)?.labels;
    const one = Array.isArray(opts) ? undefined : (opts as GanSampleOptions | undefined)?.label;
    if (one !== undefined) labels = Array.from({ length: n }, () => one);
    if (!labels && cfg.numClasses > 0)
      labels = Array.from({ length: n }, (_, i) => i % cfg.numClasses);
    const x = await this.sampleFlat(n, seed, labels);
    const shape = this.imageShape;
    if (shape) return { kind: 'images', images: x.reshape([n, ...shape]), range: '-11' };
    const reference = await this.referencePoints(n, seed);
    return reference ? { kind: 'points', points: x, reference } : { kind: 'points', points: x };
  }

  /**
   * Up to n data points that samples are shown over (2-D GANs, data units): the preset's toy
   * set (seeded), else the held-out points given to `fit`, else the points of the last fit;
   * undefined when there are none (a loaded GAN trained on your data, a custom config).
   */
  async referencePoints(n: number, seed: number): Promise<Tensor<'float32'> | undefined> {
    const cfg = this.config;
    if (cfg.arch !== 'mlp') return undefined;
    if (this.#trainedOn === 'preset') {
      if (!cfg.toy) return undefined;
      const { toyReference } = await import('./with-datasets.js');
      return (await toyReference(cfg.toy, n, seed)) as Tensor<'float32'>;
    }
    const points = this.#heldOut ?? this.#trainPoints;
    if (!points) return undefined;
    const rows = Math.min(n, points.shape[0]);
    return rows === points.shape[0]
      ? points
      : points.takeRows(Array.from({ length: rows }, (_, i) => i));
  }

  /**
   * Generate `steps` points on the line from z_a to z_b (default: two draws from Rng(seed)):
   * [steps, dataDim]. `label` fixes the class of a conditional GAN.
   */
  async interpolate(
    steps: number,
    seed = 0,
    opts: { from?: Tensor; to?: Tensor; label?: number } = {},
  ): Promise<Tensor<'float32'>> {
    if (!Number.isInteger(steps) || steps < 2)
      throw new GanError(`interpolate: steps (${steps}) must be an integer >= 2`);
    const d = this.config.zDim;
    const ends = this.noise(2, seed).data as Float32Array;
    const a = opts.from ? checkZ(opts.from, d, 'from') : ends.subarray(0, d);
    const b = opts.to ? checkZ(opts.to, d, 'to') : ends.subarray(d);
    const z = new Float32Array(steps * d);
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      for (let j = 0; j < d; j++) z[s * d + j] = (1 - t) * a[j] + t * b[j];
    }
    const labels =
      this.config.numClasses > 0 ? Array.from({ length: steps }, () => opts.label ?? 0) : undefined;
    return this.generate(new Tensor('float32', [steps, d], z), labels);
  }

  /**
   * Sample quality (needs @genmodels/datasets). 2-D presets trained on their toy set:
   * `modes`, `hq_fraction`, `reverse_kl`; MNIST: `fld`, `class_kl`, `mean_confidence`,
   * `confident_fraction` and, for a conditional GAN, `label_agreement`.
   *
   * Points (`data`: held-out points [N, D] in data units, or a .csv/.tsv/.npy path): `mmd`,
   * the squared MMD between samples and those points (see `evaluatePoints`). Images
   * (`data`: held-out images or a folder; the CIFAR-10 preset: its test split): `pixel_mmd`,
   * the squared MMD between samples and held-out images on their flattened pixels (see
   * `evaluateImages`; no feature network, so not comparable to FID). The CIFAR-10 preset
   * also gets `fid` (Frechet distance in the shipped CifarNet's features against the test
   * set), `class_kl`, `mean_confidence`, `confident_fraction` and `label_agreement`. A GAN trained on your
   * own points or images never scores against a set it was not trained for: without `data`
   * it uses the held-out `reference` given to `fit`, else throws a GanError saying what to pass.
   */
  async evaluate(opts: GanEvalOptions = {}): Promise<Record<string, number>> {
    const cfg = this.config;
    const extras = await import('./with-datasets.js');
    const shape = this.imageShape;
    if (shape) {
      let heldOut: Tensor<'float32'>;
      if (opts.data !== undefined) heldOut = await extras.readHeldOutImages(opts.data, shape);
      else if (this.#trainedOn === 'data') heldOut = this.#heldOut ?? missingHeldOut(shape);
      else {
        const set = ganImageSet(cfg);
        if (set === 'mnist') return extras.evaluateGan(this, opts);
        if (set !== 'cifar10') return noTestSet(shape);
        return extras.evaluateImages(this, await extras.cifarTestImages(opts), opts, true);
      }
      return extras.evaluateImages(this, heldOut, opts);
    }
    if (opts.data === undefined && this.#trainedOn !== 'data')
      return extras.evaluateGan(this, opts);
    const heldOut =
      opts.data !== undefined
        ? await extras.readHeldOut(opts.data, cfg.dataDim)
        : (this.#heldOut ?? missingHeldOut(cfg.dataDim));
    return extras.evaluatePoints(this, heldOut, opts);
  }

  /**
   * 'generator' (EMA weights when enabled): z [batch, zDim] (+ y one-hot) -> x. A
   * standardized GAN's generator outputs standardized points: x * std + mean are data
   * units (`normalization`, also in the ONNX metadata as `genmodels.normalization`).
   */
  protected exportPart(part: string): Uint8Array {
    return generatorOnnx(this.samplingNetwork(), part, this.#normalization);
  }

  /** What the model stores beside its config; nothing for a preset's model (its checkpoint is as before). */
  protected override storedFields(): GanFields | undefined {
    if (this.#trainedOn === 'preset' && !this.#normalization && !this.data) return undefined;
    const fields: GanFields = { trainedOn: this.#trainedOn, normalization: this.#normalization };
    if (this.data) fields.data = this.data;
    return fields;
  }

  /** samples.png: a grid of sample images (gray or RGB, any size), or a scatter of samples over data (2-D). */
  async pictures(dir: string, seed = 0): Promise<string[]> {
    const { writePictures } = await import('./with-datasets.js');
    return writePictures(this, dir, seed);
  }
}

function checkZ(z: Tensor, d: number, where: string): Float32Array {
  if (z.size !== d || z.dtype !== 'float32')
    throw new GanError(
      `interpolate: ${where} must be float32 with ${d} values, got [${z.shape.join(', ')}]`,
    );
  return z.data as Float32Array;
}
