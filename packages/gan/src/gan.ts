/**
 * The GAN: a seeded generator/discriminator pair plus what is GAN-specific around it
 * (alternating D and G steps with a D:G ratio, a generator weight EMA, sampling,
 * interpolation in z, evaluation, ONNX export of the generator). Built on the runtime's
 * `GenerativeModel`.
 */
import {
  type FamilySampleOptions,
  type FamilySamples,
  type ModelSource,
  Rng,
  type Runtime,
  Tensor,
  type TrainStep,
} from '@genmodels/runtime';
import { describeTensor, emaUpdate, GenerativeModel } from '@genmodels/runtime/internal';
import { type GanConfig, resolveConfig } from './config.js';
import { checkLabels, oneHot, toFlat } from './data.js';
import { GanError } from './errors.js';
import { GAN_PARTS, ganStore, generatorOnnx } from './io.js';
import { GanNetwork, isGenerator } from './network.js';
import { compileGanSteps, stepInputs } from './steps.js';

import { type GanFitOptions, type GanFitResult, trainLoop } from './train.js';

/** Options of `GAN.sample` at the family level: a class per sample or one for all. */
export interface GanSampleOptions extends FamilySampleOptions {
  /** One class per sample (conditional presets). */
  labels?: readonly number[];
  /** One class for every sample (e.g. the CLI's `--label 7`). */
  label?: number;
}

/**
 * A generative adversarial network bound to a Runtime. `ema` holds the EMA of the
 * generator's trainable weights (keys `generator.*`) when `emaDecay > 0`.
 */
export class GAN extends GenerativeModel<
  GanConfig,
  GanNetwork,
  { dStep: TrainStep; gStep: TrainStep }
> {
  readonly family = 'gan';
  readonly parts: readonly string[] = GAN_PARTS;
  protected readonly store = ganStore;

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
    const { net, preset, ema } = await ganStore.load(source);
    return new GAN(rt, net, preset, ema);
  }

  /** The D and G steps over one network (shared state, each with its own Adam state). */
  protected compileSteps(seed: number): Promise<{ dStep: TrainStep; gStep: TrainStep }> {
    return compileGanSteps(this.rt, this.net, seed);
  }

  /**
   * Alternate `dSteps` D steps and one G step with Adam. data: points [N, dataDim] or
   * images [N, 28, 28] (uint8, or float32 in [-1, 1]); `labels` (N) for a conditional GAN.
   */
  async fit(data: Tensor, opts: GanFitOptions = {}): Promise<GanFitResult> {
    const cfg = this.config;
    const x = toFlat(data, cfg.dataDim, 'fit');
    if (cfg.numClasses > 0) {
      if (!opts.labels) throw new GanError('fit: a conditional GAN needs `labels` for the data');
      checkLabels(opts.labels, x.shape[0], cfg.numClasses, 'fit');
    } else if (opts.labels) checkLabels(opts.labels, x.shape[0], 0, 'fit');
    const steps = await this.trainSteps(opts.seed ?? 0);
    let onGStep: (() => Promise<void>) | undefined;
    if (cfg.emaDecay > 0) {
      const ema = this.startEma(isGenerator);
      onGStep = async () => emaUpdate(ema, await steps.gStep.parameters(), cfg.emaDecay);
    }
    // The steps share their state: the D step's weights hold the G step's updates too.
    return this.train(steps.dStep, () => trainLoop(cfg, steps, x, opts, onGStep));
  }

  /** The generator (EMA weights when enabled, eval mode): z [n, zDim] (+ labels) -> [n, dataDim]. */
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
    return (await exe.runHost(feed)).output as Tensor<'float32'>;
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
    if (cfg.toy) {
      const { toyReference } = await import('./with-datasets.js');
      return { kind: 'points', points: x, reference: await toyReference(cfg.toy, n, seed) };
    }
    return { kind: 'points', points: x };
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
   * Sample quality (needs @genmodels/datasets). 2-D presets: `modes`, `hq_fraction`,
   * `reverse_kl`; MNIST: `fld`, `class_kl`, `mean_confidence`, `confident_fraction` and, for a
   * conditional GAN, `label_agreement`.
   */
  async evaluate(
    opts: { seed?: number; n?: number; dataDir?: string; limit?: number } = {},
  ): Promise<Record<string, number>> {
    const { evaluateGan } = await import('./with-datasets.js');
    return evaluateGan(this, opts);
  }

  /** 'generator' (EMA weights when enabled): z [batch, zDim] (+ y one-hot) -> x. */
  protected exportPart(part: string): Uint8Array {
    return generatorOnnx(this.samplingNetwork(), part);
  }

  /** samples.png (MNIST) or samples.png as a scatter of samples over data (2-D). */
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
