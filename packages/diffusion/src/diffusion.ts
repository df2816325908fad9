/**
 * The diffusion model: a seeded denoiser with its noise schedule, training (with a weight
 * EMA for sampling), DDPM / DDIM sampling with classifier-free guidance, evaluation,
 * save/load and ONNX export of the denoiser. Built on the runtime's `GenerativeModel`.
 */
import {
  type Executable,
  type FamilySamples,
  type ModelSource,
  Rng,
  type Runtime,
  Tensor,
  type TrainStep,
} from '@genmodels/runtime';
import { describeTensor, GenerativeModel } from '@genmodels/runtime/internal';
import { type DiffusionConfig, exampleShape, resolveConfig } from './config.js';
import { checkLabels, labelTensor, toData } from './data.js';
import { DiffusionError } from './errors.js';
import { DIFFUSION_PARTS, denoiserOnnx, diffusionStore } from './io.js';
import { DiffusionNetwork } from './network.js';
import { type DiffusionSampleOptions, runSampler } from './sampler.js';
import { NoiseSchedule } from './schedule.js';
import { compileDiffusionStep, denoiserInputs } from './steps.js';
import { type DiffusionFitOptions, type DiffusionFitResult, trainLoop } from './train.js';
import type { DiffusionEvalOptions } from './with-datasets.js';

/** Timing of the last sampling run, per step (ms): total, inside ORT's session.run, the rest on the host. */
export interface SampleTiming {
  steps: number;
  msPerStep: number;
  runMsPerStep: number;
  hostMsPerStep: number;
}

/** A denoising diffusion model bound to a Runtime. */
export class Diffusion extends GenerativeModel<DiffusionConfig, DiffusionNetwork> {
  readonly family = 'diffusion';
  readonly parts: readonly string[] = DIFFUSION_PARTS;
  protected readonly store = diffusionStore;
  /** The config's noise schedule (betas and the alpha-bar terms). */
  readonly schedule = new NoiseSchedule(this.config.schedule, this.config.timesteps, {
    start: this.config.betaStart,
    end: this.config.betaEnd,
  });
  /** Timing of the last `sampleFlat`. */
  lastTiming?: SampleTiming;

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
    const { net, preset, ema } = await diffusionStore.load(source);
    return new Diffusion(rt, net, preset, ema);
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
   * Train with the denoising objective. data: points [N, dataDim] or images [N, 28, 28] /
   * [N, 1, 28, 28] (uint8, or float32 in [-1, 1]); `labels` (N) for a conditional model.
   */
  async fit(data: Tensor, opts: DiffusionFitOptions = {}): Promise<DiffusionFitResult> {
    const cfg = this.config;
    const x = toData(data, cfg, 'fit');
    if (cfg.numClasses > 0) {
      if (!opts.labels)
        throw new DiffusionError('fit: a class-conditional model needs `labels` for the data');
      checkLabels(opts.labels, x.shape[0], cfg.numClasses, 'fit');
    } else if (opts.labels) checkLabels(opts.labels, x.shape[0], 0, 'fit');
    const step = await this.trainSteps(opts.seed ?? 0);
    const ema = cfg.emaDecay > 0 ? this.startEma() : undefined;
    return this.train(step, () => trainLoop(cfg, this.schedule, step, x, opts, ema));
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

  /** n samples [n, ...example shape] (points, or images in [-1, 1]). */
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
    const t0 = performance.now();
    const { x, stats } = await runSampler(this.schedule, n * f, denoise, {
      sampler: r.sampler,
      steps: r.steps,
      eta: r.eta,
      prediction: cfg.prediction,
      clipDenoised: cfg.clipDenoised,
      seed: opts.seed ?? 0,
      noise: opts.noise,
      onStep: opts.onStep,
    });
    const total = performance.now() - t0;
    this.lastTiming = {
      steps: stats.steps,
      msPerStep: total / stats.steps,
      runMsPerStep: runMs / stats.steps,
      hostMsPerStep: (total - runMs) / stats.steps,
    };
    return new Tensor('float32', [n, ...shape], x);
  }

  /**
   * Samples as the CLI shows them: points [n, 2] (with n held-out reference points for a toy
   * preset), or images [n, 1, 28, 28] in [-1, 1]. `label` / `labels` pick classes.
   */
  async sample(n: number, seed = 0, opts: DiffusionSampleOptions = {}): Promise<FamilySamples> {
    const x = await this.sampleFlat(n, { ...opts, seed: opts.seed ?? seed });
    if (this.config.arch === 'unet') return { kind: 'images', images: x, range: '-11' };
    if (this.config.toy) {
      const { toyReference } = await import('./with-datasets.js');
      return { kind: 'points', points: x, reference: await toyReference(this.config.toy, n, seed) };
    }
    return { kind: 'points', points: x };
  }

  /**
   * Sample quality (needs @genmodels/datasets). 2-D toy presets: `mmd` (RBF, bandwidths
   * 0.1..1) between n samples and n held-out points, and `mmd_data_baseline` between two
   * independent draws of n data points. MNIST: `fld`, `class_kl`, `mean_confidence`,
   * `confident_fraction`, `label_agreement` on n samples vs the test set.
   */
  async evaluate(opts: DiffusionEvalOptions = {}): Promise<Record<string, number>> {
    const { evaluateDiffusion } = await import('./with-datasets.js');
    return evaluateDiffusion(this, opts);
  }

  /**
   * 'denoiser' (EMA weights when present): x [batch, ...], t float32 [batch] (and y int64
   * [batch] when conditional) -> the model output, named `eps` (or `x0` / `v`).
   */
  protected exportPart(part: string): Uint8Array {
    return denoiserOnnx(this.samplingNetwork(), part);
  }

  /** 2-D: samples.png (scatter over data) and steps.json (trajectories); MNIST: samples.png. */
  async pictures(dir: string, seed = 0): Promise<string[]> {
    const { writePictures } = await import('./with-datasets.js');
    return writePictures(this, dir, seed);
  }
}
