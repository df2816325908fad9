/**
 * The lifecycle every model family shares, written once: compile the training step once
 * and reseed it, train into the live weights (also on a stop), keep an EMA of the weights
 * for sampling, cache compiled inference sessions until the weights change, and save /
 * load / toFiles / onnx through the family's {@link FamilyStore}. A family's class extends
 * {@link GenerativeModel} and holds only its model: config, network, loss and sampler.
 */
import { ExecutableCache } from '../exec/cache.js';
import type { Executable } from '../exec/executable.js';
import type { Runtime } from '../exec/runtime.js';
import type { FamilySampleOptions, FamilySamples, TrainedModel } from '../family.js';
import type { Value } from '../graph/graph.js';
import type { FamilyStore, NoFields } from '../io/family-store.js';
import type { ModelDirFiles } from '../io/model-dir.js';
import { compileInference, type InputSpecs } from '../nn/inference.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import {
  type BatchSource,
  type FitOptions,
  type FitResult,
  fit as fitSteps,
  type ProgressEvent,
} from '../train/fit.js';
import { TrainStep } from '../train/train-step.js';

/** A family's network: a Module that carries its config. */
export type ModelNetwork<C> = Module & { readonly cfg: C };

/** The options every family's `fit` shares; families extend it with their own. */
export interface ModelFitOptions<P = ProgressEvent> {
  /** Passes over the data (default 1 unless `steps` is given). */
  epochs?: number;
  /** Optimizer steps; overrides `epochs`. */
  steps?: number;
  /** Default: the config's lr. */
  lr?: number;
  /**
   * Seeds the data order and every noise of training (default 0). Training again continues
   * the model and its optimizer state; the same seed repeats the same data order and noise,
   * so pass a new seed to each call for fresh randomness.
   */
  seed?: number;
  onProgress?: (e: P) => void;
  /** Steps between progress events (the family's default). */
  progressEvery?: number;
  /** Stops between steps; the weights trained so far stay in the model. */
  signal?: AbortSignal;
}

/** An inference function traced over the network it is given (the live or the EMA one). */
export type ModelInferenceFn<N> = (
  inputs: Record<string, Value>,
  net: N,
) => Value | Record<string, Value>;

/**
 * Base class of a model family bound to a Runtime. `S` is what the family compiles for
 * training: one TrainStep, or a record of them (a GAN's D and G steps sharing state). `F`
 * is what the model stores beyond its preset and config (see `storedFields`).
 *
 * @example
 * class MyModel extends GenerativeModel<MyConfig, MyNetwork> {
 *   readonly family = 'mine';
 *   readonly parts = ['model'];
 *   protected readonly store = myStore;
 *   protected compileSteps(seed: number) { return compileTrainStep(this.rt, { module: this.net, ... , seed }); }
 *   async fit(x: Tensor, opts: ModelFitOptions = {}) {
 *     const step = await this.trainSteps(opts.seed ?? 0);
 *     return this.train(step, () => fit(step, batches(x), { epochs: opts.epochs, lr: 1e-3 }));
 *   }
 *   ...
 * }
 */
export abstract class GenerativeModel<
  C,
  N extends ModelNetwork<C>,
  S extends TrainStep | Readonly<Record<string, TrainStep>> = TrainStep,
  F extends object = NoFields,
> implements TrainedModel
{
  /** The family name stored in checkpoints ('vae', 'gan', ...). */
  abstract readonly family: string;
  /** Exportable parts, the default first. */
  abstract readonly parts: readonly string[];
  /** Saves and loads this family's model directories (and names its errors). */
  protected abstract readonly store: FamilyStore<C, N, F>;
  /** EMA of (some of) the network's weights by state-dict key, used for sampling when present. */
  ema?: Record<string, Tensor>;
  #steps?: { compiled: S; seed: number };
  /** Compiled inference sessions by key; cleared whenever training changes the weights. */
  readonly #exec = new ExecutableCache<string>();

  /** @param preset the preset name recorded in config.json ('custom' for a hand-made config). */
  constructor(
    readonly rt: Runtime,
    readonly net: N,
    readonly preset = 'custom',
    ema?: Record<string, Tensor>,
  ) {
    this.ema = ema;
  }

  get config(): C {
    return this.net.cfg;
  }

  /** Compile what training runs (called once per model; noise streams start at `seed`). */
  protected abstract compileSteps(seed: number): Promise<S>;

  /**
   * Called with the seed when the steps are first compiled and whenever a later fit brings
   * another seed: families reset host-side streams here (training windows, task examples).
   */
  protected onSeed(_seed: number): void | Promise<void> {}

  /**
   * The compiled training step(s), compiled once; another seed restarts their noise streams
   * and keeps the weights, the optimizer state and the step count (no recompile).
   */
  async trainSteps(seed = 0): Promise<S> {
    if (!this.#steps) {
      const compiled = await this.compileSteps(seed);
      this.#steps = { compiled, seed };
      await this.onSeed(seed);
    } else if (this.#steps.seed !== seed) {
      const c = this.#steps.compiled;
      for (const step of c instanceof TrainStep ? [c] : Object.values(c)) step.reseed(seed);
      this.#steps.seed = seed;
      await this.onSeed(seed);
    }
    return this.#steps.compiled;
  }

  /**
   * Run a training loop over `step`, then copy its live weights into the network, also when
   * the loop stops early (abort or error): a stopped run keeps what it trained. Compiled
   * inference sessions are released, so the next call sees the new weights.
   */
  protected async train<T>(step: TrainStep, loop: () => Promise<T>): Promise<T> {
    try {
      return await step.trainInto(this.net, loop);
    } finally {
      this.#exec.clear();
    }
  }

  /**
   * `fit` of `step` over `source` with the options every family shares (`opts.lr`, else
   * the family's `lr`: a number or a schedule), trained into the live weights as `train`
   * does.
   */
  protected fitOn(
    step: TrainStep,
    source: BatchSource,
    opts: Omit<ModelFitOptions, 'lr'> & { lr?: FitOptions['lr'] },
    lr: FitOptions['lr'],
  ): Promise<FitResult> {
    const { epochs, steps, onProgress, progressEvery, signal } = opts;
    return this.train(step, () =>
      fitSteps(step, source, {
        epochs,
        steps,
        lr: opts.lr ?? lr,
        onProgress,
        progressEvery,
        signal,
      }),
    );
  }

  /** Copy the live weights of `step` into the network mid-training (e.g. for an evaluation). */
  protected async syncWeights(step: TrainStep): Promise<void> {
    await step.syncTo(this.net);
    this.#exec.clear();
  }

  /**
   * Start the EMA (once): copies of the network's parameters whose key passes `keep`
   * (default all). A loaded or already trained model keeps its EMA.
   */
  protected startEma(keep: (key: string) => boolean = () => true): Record<string, Tensor> {
    this.ema ??= Object.fromEntries(
      this.net
        .namedParameters()
        .filter(([k]) => keep(k))
        .map(([k, p]) => [k, p.data.clone()]),
    );
    return this.ema;
  }

  /** The network used for sampling: the live one, or a copy holding the EMA weights. */
  samplingNetwork(useEma = true): N {
    if (!(useEma && this.ema)) return this.net;
    const copy = this.store.opts.build(this.config);
    copy.loadStateDict({ ...this.net.stateDict(), ...this.ema });
    return copy;
  }

  /**
   * `fn` compiled as an inference session over the sampling network (EMA weights when
   * `ema` and present, else the live ones), once per key until training changes the weights.
   */
  protected compiled(
    key: string,
    inputs: InputSpecs,
    fn: ModelInferenceFn<N>,
    opts: { ema?: boolean; name?: string } = {},
  ): Promise<Executable> {
    const ema = (opts.ema ?? false) && this.ema !== undefined;
    return this.#exec.get(`${ema ? 'ema' : 'live'}:${key}`, () => {
      const net = this.samplingNetwork(ema);
      return compileInference(this.rt, net, inputs, (i) => fn(i, net), {
        name: opts.name ?? `${this.family}_${key}`,
      });
    });
  }

  /** The family's error for `message`. */
  protected fail(message: string): Error {
    return this.store.opts.fail(message);
  }

  /** `n` as a count of samples (a positive integer), or the family's error naming `where`. */
  protected checkCount(n: number, where = 'sample'): void {
    if (!Number.isInteger(n) || n <= 0)
      throw this.fail(`${where}: n (${n}) must be a positive integer`);
  }

  abstract sample(n: number, seed: number, opts?: FamilySampleOptions): Promise<FamilySamples>;

  abstract evaluate(opts?: { seed?: number }): Promise<Record<string, number>>;

  /** What the model stores beside its preset and config (the store's `fields`; none by default). */
  protected storedFields(): F | undefined {
    return undefined;
  }

  /** Writes model.safetensors (state dict, EMA weights under `ema.`, config in metadata) and config.json (Node.js). */
  async save(dir: string): Promise<void> {
    await this.store.write(dir, this.net, this.config, this.preset, this.ema, this.storedFields());
  }

  /**
   * The files `save` writes, as bytes and text (e.g. for a browser download); the family's
   * `load(rt, files)` reads them back.
   */
  toFiles(): ModelDirFiles {
    return this.store.files(this.net, this.config, this.preset, this.ema, this.storedFields());
  }

  /** `part` (one of `parts`, default the first) as a standalone ONNX model's bytes. */
  onnx(part: string = this.parts[0]): Uint8Array {
    if (!this.parts.includes(part))
      throw this.fail(
        `unknown ${this.store.opts.label} part '${part}'; expected one of ${this.parts.join(', ')}`,
      );
    return this.exportPart(part);
  }

  /** The ONNX bytes of `part`, one of `parts` (checked by `onnx`). */
  protected abstract exportPart(part: string): Uint8Array;

  /** Write `onnx(part)` to `path` atomically (Node.js). */
  async exportOnnx(path: string, part: string = this.parts[0]): Promise<void> {
    await this.store.writeFile(path, this.onnx(part));
  }
}
