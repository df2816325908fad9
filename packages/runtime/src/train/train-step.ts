/**
 * A compiled training step: forward, backward and optimizer update in one ONNX
 * Runtime session. Parameters and optimizer state are graph inputs whose updated
 * values are graph outputs; they are fed back from one run to the next without
 * host copies (the same CPU buffers, or WebGPU buffers that stay on the device).
 */

import type { ort } from '#backend';
import { grad } from '../autodiff/grad.js';
import { DivergenceError, FeedError, GraphError, ShapeError } from '../errors.js';
import { type Executable, toOrt } from '../exec/executable.js';
import type { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import { formatShape, type Shape } from '../graph/shape.js';
import type { Module } from '../nn/module.js';
import { type NoiseInput, type TraceContext, withTrace } from '../nn/trace.js';
import { concat, split } from '../ops/concat.js';
import { reshape } from '../ops/shape.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer, ParamGroupOptions } from '../optim/optimizer.js';
import { Rng, type RngState } from '../rng.js';
import { type DType, Tensor } from '../tensor.js';

/** What the traced loss function returns: a scalar loss, optionally with scalar metrics. */
export type LossOutput = Value | { loss: Value; metrics?: Record<string, Value> };

export interface TrainStepSpec {
  /** Trainable parameters by PyTorch-style name (`fc1.weight`) with their initial values. Give this or `module`. */
  params?: Readonly<Record<string, Tensor>>;
  /**
   * A module whose trainable parameters are optimized and whose buffers (e.g. BatchNorm
   * running statistics) are updated by the step. The loss calls `module.call(...)`.
   */
  module?: Module;
  /** Seed of the host Rng that fills noise inputs declared while tracing (dropout, VAE epsilon). */
  seed?: number;
  /**
   * Which parameters this step updates (default: all). The others are read as inputs and
   * left unchanged, e.g. a GAN's generator step reads the discriminator's weights.
   */
  trainable?: (name: string) => boolean;
  /**
   * Where the parameters that `trainable` leaves out live. 'state' (default): in the step's
   * live state, like the updated ones: in getState() and checkpoints, and shared through
   * `shareStateWith` (a GAN's generator step reads the discriminator's latest weights).
   * 'fixed': read-only inputs fed from the module's values at compile time, outside the
   * state: getState(), setState(), parameters() and checkpoints hold only the updated
   * parameters and their optimizer moments (LoRA adapters, partial fine-tuning of a large
   * pretrained model). Either way they get no optimizer state and no gradient.
   */
  frozen?: 'state' | 'fixed';
  /**
   * Share the live parameters and buffers with another step compiled over the same module
   * (a GAN's D and G steps): each step reads the other's latest updates, with no copies.
   */
  shareStateWith?: TrainStep;
  /** Batch inputs by name, with dtype and (possibly symbolic) shape, e.g. `{ x: { dtype: 'float32', shape: ['batch', 784] } }`. */
  inputs: Readonly<Record<string, { dtype: DType; shape: Shape }>>;
  /** Traces the loss from parameters and batch inputs. */
  loss: (params: Record<string, Value>, inputs: Record<string, Value>) => LossOutput;
  optimizer: Optimizer;
  /** Per-parameter options (learning-rate multiplier, weight decay), e.g. `noDecayOnBiasAndNorm`. */
  groups?: (name: string, rank: number) => ParamGroupOptions;
  /** Clip the global gradient norm to this value before the update. */
  clipNorm?: number;
  /**
   * Gradient checkpointing: module paths (state-dict prefixes, e.g. `['h.0', 'h.1']`) whose
   * forward runs again in the backward pass instead of keeping its activations, for lower
   * peak memory at the cost of one more forward of those modules. Same results bit for bit.
   */
  recompute?: readonly string[];
  /** Name for messages and the compiled model. */
  name?: string;
}

export interface StepResult {
  /** 1-based number of the step just taken. */
  step: number;
  loss: number;
  metrics: Record<string, number>;
}

/** Everything needed to continue training bit for bit. */
export interface TrainState {
  step: number;
  params: Record<string, Tensor>;
  /** Optimizer state by `<param>:<state>` (e.g. `fc1.weight:exp_avg`). */
  optimizer: Record<string, Tensor>;
  /** Module buffers (running statistics). */
  buffers: Record<string, Tensor>;
  /** State of the noise Rng. */
  rng: RngState;
}

const P = 'param:';
const S = 'state:';
const BUF = 'buffer:';
const NEXT = 'next:';
/** Frozen parameters fed read-only, outside the state (`frozen: 'fixed'`). */
const FIX = 'fixed:';

/** Parameters up to this many elements are updated in flat groups (see Optimizer.elementwise). */
const FLAT_MAX = 1 << 18;

/** One parameter's place in a flat optimizer group. */
interface FlatMember {
  name: string;
  shape: readonly number[];
  offset: number;
  size: number;
}

/** Parameters updated as one flat tensor; their optimizer state lives flat as `<id>:<state>`. */
interface FlatGroup {
  id: string;
  members: FlatMember[];
  size: number;
}

/**
 * Group the small parameters that share their group options, in order, when the optimizer
 * is elementwise: the update then runs once per group (bit for bit the same per element).
 */
function planFlatGroups(
  names: readonly string[],
  shapes: Readonly<Record<string, readonly number[]>>,
  optionsOf: (name: string) => ParamGroupOptions,
  elementwise: boolean,
): FlatGroup[] {
  if (!elementwise) return [];
  const byOptions = new Map<string, string[]>();
  for (const k of names) {
    if (shapes[k].reduce((a, b) => a * b, 1) > FLAT_MAX) continue;
    const o = optionsOf(k);
    const key = JSON.stringify([o.lr ?? 1, o.weightDecay ?? null]);
    byOptions.set(key, [...(byOptions.get(key) ?? []), k]);
  }
  return [...byOptions.values()]
    .filter((ks) => ks.length > 1)
    .map((ks) => {
      let offset = 0;
      const members = ks.map((name) => {
        const size = shapes[name].reduce((a, b) => a * b, 1);
        const m = { name, shape: shapes[name], offset, size };
        offset += size;
        return m;
      });
      return { id: flatId(ks), members, size: offset };
    });
}

/**
 * A group's state key: unique across steps sharing one store (a GAN's D and G steps each
 * have their groups), stable across compiles of the same model, free of ':'.
 */
function flatId(names: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const c of names.join('\n')) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return `@flat-${h.toString(16).padStart(8, '0')}-${names.length}`;
}

/**
 * Trace, differentiate and compile a training step.
 *
 * @example
 * const step = await compileTrainStep(rt, {
 *   params: { w: Tensor.zeros([1, 3]), b: Tensor.zeros([1]) },
 *   inputs: { x: { dtype: 'float32', shape: ['batch', 3] }, y: { dtype: 'float32', shape: ['batch', 1] } },
 *   loss: (p, b) => ops.mean(ops.square(ops.sub(ops.linear(b.x, p.w, p.b), b.y))),
 *   optimizer: adam(),
 * });
 * const { loss } = await step.run({ x, y }, { lr: 1e-3 });
 */
export async function compileTrainStep(rt: Runtime, spec: TrainStepSpec): Promise<TrainStep> {
  const name = spec.name ?? 'train_step';
  const g = new Graph(name);
  const stateSpecs = spec.optimizer.stateSpecs();
  const { trainable, buffers } = collectTensors(name, spec);
  const ctx: TraceContext = {
    graph: g,
    training: spec.module?.training ?? true,
    bindings: new Map(),
    updates: new Map(),
    noise: new Map(),
  };
  const updated = Object.keys(trainable).filter((k) => spec.trainable?.(k) ?? true);
  const isUpdated = new Set(updated);
  const fixed = spec.frozen === 'fixed';
  const all: Record<string, Value> = {};
  for (const [k, t] of Object.entries(trainable))
    all[k] = g.input((fixed && !isUpdated.has(k) ? FIX : P) + k, 'float32', t.shape);
  if (updated.length === 0) throw new GraphError(`${name}: no parameter is trainable in this step`);
  const groupOf = (k: string) => spec.groups?.(k, all[k].rank) ?? {};
  const flat = planFlatGroups(
    updated,
    Object.fromEntries(updated.map((k) => [k, trainable[k].shape])),
    groupOf,
    spec.optimizer.elementwise === true,
  );
  const inFlat = new Set(flat.flatMap((f) => f.members.map((m) => m.name)));
  const stateInputs = (key: string, shape: Shape) =>
    Object.fromEntries(
      stateSpecs.map((s) => [s.name, g.input(`${S}${key}:${s.name}`, 'float32', shape)]),
    );
  const states: Record<string, Record<string, Value>> = {};
  for (const k of updated) if (!inFlat.has(k)) states[k] = stateInputs(k, trainable[k].shape);
  for (const f of flat) states[f.id] = stateInputs(f.id, [f.size]);
  const bufferValues: Record<string, Value> = {};
  for (const [k, t] of Object.entries(buffers))
    bufferValues[k] = g.input(BUF + k, t.dtype, t.shape);
  if (spec.module) {
    spec.module.setPaths();
    for (const [k, p] of spec.module.namedTensors())
      ctx.bindings.set(p, p.trainable ? all[k] : bufferValues[k]);
  }
  const inputs: Record<string, Value> = {};
  for (const [k, s] of Object.entries(spec.inputs)) {
    if (k.includes(':') || k === 'lr' || k === 'step') {
      throw new GraphError(
        `${name}: input name '${k}' is reserved (no ':' and not 'lr' or 'step')`,
      );
    }
    inputs[k] = g.input(k, s.dtype, s.shape);
  }
  const lr = g.input('lr', 'float32', []);
  const stepIn = g.input('step', 'float32', []);

  const traced = withTrace(ctx, () => spec.loss(all, inputs));
  const loss = traced instanceof Object && 'loss' in traced ? traced.loss : (traced as Value);
  const metrics = traced instanceof Object && 'loss' in traced ? (traced.metrics ?? {}) : {};
  if (!loss.shape.every((d) => d === 1)) {
    throw new ShapeError(
      `${name}: the loss must be a scalar, got ${formatShape(loss.shape)}; reduce it with mean() or sum()`,
    );
  }
  const names = updated;
  let grads = grad(
    loss,
    names.map((k) => all[k]),
    { recompute: spec.recompute },
  );
  const outputs: Record<string, Value> = { loss };
  if (spec.clipNorm !== undefined) {
    const c = clipGradNorm(grads, spec.clipNorm);
    grads = c.grads;
    outputs['metric:grad_norm'] = c.norm;
  }
  for (const [k, v] of Object.entries(metrics)) outputs[`metric:${k}`] = v;
  const ctxU = { lr, step: stepIn };
  names.forEach((k, i) => {
    if (inFlat.has(k)) return;
    const u = g.scope(k, () =>
      spec.optimizer.update(
        { name: k, value: all[k], grad: grads[i], group: groupOf(k) },
        states[k],
        ctxU,
      ),
    );
    outputs[NEXT + P + k] = u.param;
    for (const s of stateSpecs) outputs[`${NEXT}${S}${k}:${s.name}`] = u.state[s.name];
  });
  for (const f of flat) {
    const flatOf = (vs: Value[]) =>
      concat(
        vs.map((v) => reshape(v, [-1])),
        0,
      );
    const u = g.scope('optimizer', () =>
      spec.optimizer.update(
        {
          name: `${f.members.length} parameters (${f.members[0].name}, ...)`,
          value: flatOf(f.members.map((m) => all[m.name])),
          grad: flatOf(f.members.map((m) => grads[names.indexOf(m.name)])),
          group: groupOf(f.members[0].name),
        },
        states[f.id],
        ctxU,
      ),
    );
    const parts = split(
      u.param,
      f.members.map((m) => m.size),
      0,
    );
    f.members.forEach((m, i) => {
      outputs[NEXT + P + m.name] = reshape(parts[i], m.shape);
    });
    for (const s of stateSpecs) outputs[`${NEXT}${S}${f.id}:${s.name}`] = u.state[s.name];
  }
  if (spec.module) {
    const names = new Map(spec.module.namedBuffers().map(([k, p]) => [p, k]));
    for (const [p, v] of ctx.updates) outputs[NEXT + BUF + names.get(p)!] = v;
  }
  const deviceOutputs = Object.keys(outputs).filter((k) => k.startsWith(NEXT));
  const exe = await rt.compile(g, outputs, {
    name,
    deviceOutputs,
    threads: stepThreads(rt, g, trainable),
  });
  // The live state: shared with another step, or new. Entries this step needs and the
  // store lacks (its own optimizer state, or everything for a new store) start here.
  const store = spec.shareStateWith?.store ?? {};
  const keys = g.inputs
    .map((v) => v.name!)
    .filter((k) => [P, S, BUF, FIX].some((prefix) => k.startsWith(prefix)));
  for (const k of keys) {
    if (store[k]) continue;
    const key = k.slice(k.indexOf(':') + 1);
    if (k.startsWith(P) || k.startsWith(FIX)) store[k] = toOrt(trainable[key].clone());
    else if (k.startsWith(BUF)) store[k] = toOrt(buffers[key].clone());
    else {
      const owner = key.slice(0, key.lastIndexOf(':'));
      const f = flat.find((f) => f.id === owner);
      store[k] = toOrt(Tensor.zeros(f ? [f.size] : trainable[owner].shape));
    }
  }
  const noiseInputs = [...ctx.noise.values()];
  return new TrainStep(
    exe,
    store,
    keys,
    spec.inputs,
    noiseInputs,
    new Rng(spec.seed ?? 0),
    name,
    spec.optimizer,
    flat,
  );
}

/** Small models train on one CPU thread unless the runtime's thread count was given. */
const SMALL_MODEL = 1 << 18;

/**
 * Intra-op threads of a train step's session: one for a small model on the CPU (at most
 * SMALL_MODEL parameters, no convolution), whose nodes are too small for a second thread to
 * pay for waking it; else the runtime's.
 */
function stepThreads(rt: Runtime, g: Graph, params: Record<string, Tensor>): number {
  if (rt.device !== 'cpu' || rt.threadsGiven) return rt.threads;
  const size = Object.values(params).reduce((a, t) => a + t.size, 0);
  const conv = g.nodes.some((n) => n.prim.opType.startsWith('Conv'));
  return size <= SMALL_MODEL && !conv ? 1 : rt.threads;
}

function collectTensors(
  name: string,
  spec: TrainStepSpec,
): { trainable: Record<string, Tensor>; buffers: Record<string, Tensor> } {
  if ((spec.params === undefined) === (spec.module === undefined)) {
    throw new GraphError(`${name}: give exactly one of 'params' or 'module'`);
  }
  const trainable =
    spec.params ?? Object.fromEntries(spec.module!.namedParameters().map(([k, p]) => [k, p.data]));
  const buffers = spec.module
    ? Object.fromEntries(spec.module.namedBuffers().map(([k, p]) => [k, p.data]))
    : {};
  for (const [k, t] of Object.entries(trainable)) {
    if (t.dtype !== 'float32')
      throw new GraphError(
        `${name}: parameter '${k}' is ${t.dtype}; trainable parameters must be float32`,
      );
  }
  return { trainable, buffers };
}

/** A compiled training step holding the live parameters and optimizer state. */
export class TrainStep {
  private stepCount = 0;
  readonly inputNames: readonly string[];

  constructor(
    readonly executable: Executable,
    /**
     * Live parameters, optimizer state and buffers by input name: outputs of the previous
     * run (host or device). Possibly shared with other steps over the same module.
     */
    readonly store: Record<string, ort.Tensor>,
    /** The store entries this step reads. */
    private readonly keys: readonly string[],
    private readonly inputSpecs: TrainStepSpec['inputs'],
    private readonly noiseInputs: readonly NoiseInput[],
    private rng: Rng,
    readonly name: string,
    /** The optimizer this step was compiled with (its kind and config go into checkpoints). */
    readonly optimizer: Optimizer,
    /** Parameters whose optimizer state is stored flat (split per parameter in getState). */
    private readonly flat: readonly FlatGroup[] = [],
  ) {
    this.inputNames = Object.keys(inputSpecs);
  }

  /** Number of steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * Take one step on `batch` at learning rate `lr`. Parameters and optimizer state
   * stay where they live; only the loss and metrics come back to the host.
   * A NaN or Inf loss throws DivergenceError and keeps the previous state.
   */
  async run(batch: Readonly<Record<string, Tensor>>, opts: { lr: number }): Promise<StepResult> {
    for (const k of Object.keys(batch)) {
      if (!this.inputNames.includes(k)) {
        throw new FeedError(
          `${this.name}: unknown batch input '${k}'; expected ${this.inputNames.join(', ')}`,
        );
      }
    }
    for (const k of this.inputNames) {
      if (!batch[k])
        throw new FeedError(
          `${this.name}: missing batch input '${k}'; expected ${this.inputNames.join(', ')}`,
        );
    }
    if (!Number.isFinite(opts.lr)) {
      throw new FeedError(`${this.name}: learning rate must be a finite number, got ${opts.lr}`);
    }
    const next = this.stepCount + 1;
    const rngBefore = this.rng.state();
    // Only the batch is checked: the state tensors are this session's own outputs.
    const feeds = this.executable.checkFeeds(
      {
        ...batch,
        ...this.sampleNoise(batch),
        lr: Tensor.scalar(opts.lr),
        step: Tensor.scalar(next),
      },
      true,
    );
    const state = Object.fromEntries(this.keys.map((k) => [k, this.store[k]]));
    const out = await this.executable.runOrt({ ...feeds, ...state });
    const loss = Number(out.loss.data[0]);
    if (!Number.isFinite(loss)) {
      this.rng = Rng.fromState(rngBefore);
      throw new DivergenceError(
        `${this.name}: loss is ${loss} at step ${next}; parameters were kept from step ${this.stepCount}`,
      );
    }
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(out)) {
      if (k.startsWith(NEXT)) this.store[k.slice(NEXT.length)] = v;
      else if (k.startsWith('metric:')) metrics[k.slice(7)] = Number(v.data[0]);
    }
    this.stepCount = next;
    return { step: next, loss, metrics };
  }

  /** Host noise for this step, with symbolic dims resolved from the batch. */
  private sampleNoise(batch: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
    if (this.noiseInputs.length === 0) return {};
    const sizes = new Map<string, number>();
    for (const [k, spec] of Object.entries(this.inputSpecs)) {
      spec.shape.forEach((d, i) => {
        if (typeof d === 'string') sizes.set(d, batch[k].shape[i]);
      });
    }
    const out: Record<string, Tensor> = {};
    for (const n of this.noiseInputs) {
      const shape = n.value.shape.map((d) => {
        // Derived dims such as 'batch*4' (after a reshape) multiply their parts.
        const v =
          typeof d === 'number'
            ? d
            : d.split('*').reduce<number | undefined>((acc, part) => {
                const f = /^\d+$/.test(part) ? Number(part) : sizes.get(part);
                return acc === undefined || f === undefined ? undefined : acc * f;
              }, 1);
        if (v === undefined)
          throw new FeedError(
            `${this.name}: noise '${n.value.name}' has dim '${d}' that no batch input defines`,
          );
        return v;
      });
      const size = shape.reduce((a, b) => a * b, 1);
      const data =
        n.kind === 'normal'
          ? this.rng.normal(size)
          : n.kind === 'uniform'
            ? this.rng.uniform(size)
            : Float32Array.from(this.rng.bernoulli(size, n.p ?? 0.5));
      out[n.value.name!] = new Tensor('float32', shape, data);
    }
    return out;
  }

  /** Where each live state tensor is ('cpu' or 'gpu-buffer'), by input name. */
  locations(): Record<string, string> {
    return Object.fromEntries(this.keys.map((k) => [k, this.store[k].location]));
  }

  /** Current parameters, downloaded to the host. */
  async parameters(): Promise<Record<string, Tensor>> {
    return this.download(P);
  }

  /** Everything needed to resume bit for bit, on the host (for checkpoints). */
  async getState(): Promise<TrainState> {
    return {
      step: this.stepCount,
      params: await this.download(P),
      optimizer: this.unflatten(await this.download(S)),
      buffers: await this.download(BUF),
      rng: this.rng.state(),
    };
  }

  /** Per-parameter optimizer state (`fc1.weight:exp_avg`) from the flat groups' tensors. */
  private unflatten(state: Record<string, Tensor>): Record<string, Tensor> {
    for (const f of this.flat) {
      for (const key of Object.keys(state).filter((k) => k.startsWith(`${f.id}:`))) {
        const which = key.slice(f.id.length);
        const data = state[key].data as Float32Array;
        for (const m of f.members) {
          state[m.name + which] = new Tensor(
            'float32',
            m.shape,
            data.slice(m.offset, m.offset + m.size),
          );
        }
        delete state[key];
      }
    }
    return state;
  }

  /** A flat group's state tensor assembled from per-parameter entries (checked like any other). */
  private flatten(key: string, optimizer: Record<string, Tensor> | undefined): Tensor {
    const sep = key.indexOf(':');
    const f = this.flat.find((f) => f.id === key.slice(0, sep))!;
    const which = key.slice(sep);
    const data = new Float32Array(f.size);
    for (const m of f.members) {
      const t = optimizer?.[m.name + which];
      if (!t)
        throw new FeedError(`${this.name}: state is missing optimizer state '${m.name}${which}'`);
      if (t.shape.length !== m.shape.length || t.shape.some((d, i) => d !== m.shape[i])) {
        throw new ShapeError(
          `${this.name}: optimizer state '${m.name}${which}' has shape ${formatShape(t.shape)}, expected ${formatShape(m.shape)}`,
        );
      }
      data.set(t.data as Float32Array, m.offset);
    }
    return new Tensor('float32', [f.size], data);
  }

  /** Restore a state from getState() (e.g. read from a checkpoint). */
  setState(s: TrainState): void {
    const next: Record<string, ort.Tensor> = {};
    for (const k of this.keys) {
      if (k.startsWith(FIX)) continue;
      if (k.startsWith(`${S}@flat`)) {
        next[k] = toOrt(this.flatten(k.slice(S.length), s.optimizer));
        continue;
      }
      const [kind, source] = k.startsWith(P)
        ? ['parameter', s.params]
        : k.startsWith(S)
          ? ['optimizer state', s.optimizer]
          : ['buffer', s.buffers];
      const key = k.slice(k.indexOf(':') + 1);
      const t = source?.[key];
      if (!t) throw new FeedError(`${this.name}: state is missing ${kind} '${key}'`);
      const want = this.store[k].dims;
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
        throw new ShapeError(
          `${this.name}: ${kind} '${key}' has shape ${formatShape(t.shape)}, expected ${formatShape(want)}`,
        );
      }
      next[k] = toOrt(t.clone());
    }
    Object.assign(this.store, next);
    this.stepCount = s.step;
    this.rng = Rng.fromState(s.rng);
  }

  /**
   * Restart the step's noise stream (dropout masks, reparameterization noise, ...) at
   * `seed`, keeping the parameters, buffers, optimizer state and step count: how a model
   * continues training with fresh randomness without recompiling.
   */
  reseed(seed: number): void {
    this.rng = new Rng(seed);
  }

  /**
   * Run `train` (a loop over this step), then copy the live weights into `module` (syncTo),
   * also when the loop stops early on an abort or an error, so a stopped run keeps what it
   * trained; the loop's own error is the one rethrown.
   *
   * @example const result = await step.trainInto(net, () => fit(step, batches, { signal }));
   */
  async trainInto<T>(module: Module, train: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await train();
    } catch (e) {
      await this.syncTo(module).catch(() => {});
      throw e;
    }
    await this.syncTo(module);
    return result;
  }

  /** Copy the live parameters and buffers into `module` (after training). */
  async syncTo(module: Module): Promise<void> {
    module.loadStateDict({ ...(await this.download(P)), ...(await this.download(BUF)) }, false);
  }

  private async download(prefix: string): Promise<Record<string, Tensor>> {
    const out: Record<string, Tensor> = {};
    for (const k of this.keys) {
      const v = this.store[k];
      if (!k.startsWith(prefix)) continue;
      out[k.slice(prefix.length)] = (await this.executable.runtime.downloadOrt(v)).clone();
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.executable.dispose();
  }
}
