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
import { type GanConfig, resolveConfig } from './config.js';
import { checkLabels, oneHot, pointsOf, toFlat } from './data.js';
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
  /** Samples to score (default 2,500 for the 2-D presets, 2,000 against `data`, 10,000 for MNIST). */
  n?: number;
  /** MNIST: where the IDX files are. */
  dataDir?: string;
  /** MNIST: test images to compare with. */
  limit?: number;
  /**
   * 2-D (point) GANs: held-out points [N, D] in data units, or the path of a .csv, .tsv,
   * .txt or .npy file of them, to score the samples against (MMD).
   */
  data?: Tensor | string;
}

/**
 * A generative adversarial network bound to a Runtime. `ema` holds the EMA of the
 * generator's trainable weights (keys `generator.*`) when `emaDecay > 0`.
 *
 * A 2-D (point) GAN knows what it was trained on (`trainedOn`): its preset's toy set, which
 * `evaluate()` scores against, or points you gave to `fit`, in which case `evaluate()` takes
 * held-out points (`{ data }`, or the `reference` given to `fit`) and refuses otherwise.
 * With `standardize` it trains on standardized points (`normalization`) and still samples
 * in data units.
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
  /** Held-out points (data units) given to `fit` as its `reference`; not stored. */
  #heldOut?: Tensor<'float32'>;
  /** The points of the last fit on your data (data units), for pictures; not stored. */
  #trainPoints?: Tensor<'float32'>;

  /**
   * 'preset': trained on the preset's toy set (or not trained): `evaluate()` scores against
   * it. 'data': trained on points you gave: `evaluate()` needs held-out points.
   */
  get trainedOn(): 'preset' | 'data' {
    return this.#trainedOn;
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
    gan.#trainedOn = net.cfg.arch === 'mlp' ? fields.trainedOn : 'preset';
    gan.#normalization = norm;
    gan.data = fields.data;
    return gan;
  }

  /** The D and G steps over one network (shared state, each with its own Adam state). */
  protected compileSteps(seed: number): Promise<{ dStep: TrainStep; gStep: TrainStep }> {
    return compileGanSteps(this.rt, this.net, seed);
  }

  /**
   * Alternate `dSteps` D steps and one G step with Adam. data: points [N, dataDim] or
   * images [N, 28, 28] (uint8, or float32 in [-1, 1]); `labels` (N) for a conditional GAN.
   *
   * Points are taken as your own data (`trainedOn` becomes 'data') unless `reference` is
   * 'preset'; `reference: heldOut` keeps held-out points for `evaluate()`; `standardize`
   * trains on standardized points (a model with a `normalization` always applies it).
   */
  async fit(data: Tensor, opts: GanFitOptions = {}): Promise<GanFitResult> {
    const cfg = this.config;
    const x = toFlat(data, cfg.dataDim, 'fit');
    if (cfg.numClasses > 0) {
      if (!opts.labels) throw new GanError('fit: a conditional GAN needs `labels` for the data');
      checkLabels(opts.labels, x.shape[0], cfg.numClasses, 'fit');
    } else if (opts.labels) checkLabels(opts.labels, x.shape[0], 0, 'fit');
    const ref = opts.reference;
    if (ref !== undefined && ref !== 'preset' && !(ref instanceof Tensor))
      throw new GanError(
        `fit: reference must be 'preset' or held-out points [M, ${cfg.dataDim}], got ${String(ref)}`,
      );
    if (cfg.arch !== 'mlp') {
      if (ref instanceof Tensor || opts.standardize)
        throw new GanError(
          'fit: `reference` points and `standardize` are for 2-D (point) GANs; an image GAN is scored against MNIST',
        );
      return this.#fit(x, opts);
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
    const before = await this.#stepCount(opts.seed ?? 0);
    try {
      return await this.#fit(norm ? standardize(x, norm) : x, opts);
    } finally {
      // Only a fit that trained marks the model (a refused one leaves it as it was).
      if ((await this.#stepCount(opts.seed ?? 0)) > before) {
        this.#normalization = norm;
        this.#trainedOn = ref === 'preset' ? 'preset' : 'data';
        this.#heldOut = heldOut;
        this.#trainPoints = ref === 'preset' ? undefined : x;
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
   * [n, 1, 28, 28] in [-1, 1]. The third argument is the labels, or `{ labels }` /
   * `{ label }`; a conditional GAN without labels samples the classes 0..K-1 in turn.
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
    if (cfg.arch === 'dcgan')
      return { kind: 'images', images: x.reshape([n, 1, 28, 28]), range: '-11' };
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
   * `data` (held-out points [N, D] in data units, or a .csv/.tsv/.npy path): `mmd`, the
   * squared MMD between samples and those points (see `evaluatePoints`). A GAN trained on
   * your own points never scores against a set it was not trained for: without `data` it
   * uses the held-out `reference` given to `fit`, else throws a GanError saying what to pass.
   */
  async evaluate(opts: GanEvalOptions = {}): Promise<Record<string, number>> {
    const cfg = this.config;
    const extras = await import('./with-datasets.js');
    if (opts.data === undefined && !(cfg.arch === 'mlp' && this.#trainedOn === 'data'))
      return extras.evaluateGan(this, opts);
    if (cfg.arch !== 'mlp')
      throw new GanError(
        'evaluate: `data` (held-out points) is for 2-D (point) GANs; an image GAN scores its samples against MNIST',
      );
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

  /** samples.png (MNIST) or samples.png as a scatter of samples over data (2-D). */
  async pictures(dir: string, seed = 0): Promise<string[]> {
    const { writePictures } = await import('./with-datasets.js');
    return writePictures(this, dir, seed);
  }
}

/** The refusal of `evaluate()` for a GAN trained on your points with nothing held out. */
function missingHeldOut(d: number): never {
  throw new GanError(
    `evaluate: this GAN was trained on points you gave (fit), so it has no reference set of its own to score against; pass held-out points it did not train on: evaluate({ data }) with a Tensor [N, ${d}] or a .csv/.tsv/.npy file (genmodels eval gan --from DIR --data held-out.csv)`,
  );
}

function checkZ(z: Tensor, d: number, where: string): Float32Array {
  if (z.size !== d || z.dtype !== 'float32')
    throw new GanError(
      `interpolate: ${where} must be float32 with ${d} values, got [${z.shape.join(', ')}]`,
    );
  return z.data as Float32Array;
}
