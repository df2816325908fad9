/**
 * LoRA (Hu et al. 2021) with PEFT's definitions: a frozen weight W [out, in] gains a trainable
 * low-rank term, y = base(x) + (alpha / r) · B(A(dropout(x))), A [r, in] kaiming-uniform
 * (a = sqrt(5), as PEFT and nn.Linear), B [out, r] zeros, so training starts at the base model.
 * For a Conv2d weight [O, C, kh, kw], A is a conv [r, C, kh, kw] with the layer's stride and
 * padding and B a 1x1 conv [O, r, 1, 1], PEFT's layout.
 *
 * The adapters are Parameters of the module tree (named `<weight key>.lora_A` / `.lora_B`,
 * fields added to the module that owns the weight, as PEFT injects its layers), so the train
 * step, optimizer, inference and export see them with no extra wiring. The weight's uses see
 * them through its {@link ParameterAdapter}: layers that apply the weight to an input
 * (Linear, Conv2d, MultiheadAttention's fused self-attention `in_proj_weight`, which GPT-2
 * calls `c_attn`) add the activation path above, in PEFT's order of operations; any other
 * use of the weight (e.g. cross-attention slicing `in_proj_weight`) reads W + s·B·A, the
 * same function up to rounding, but it cannot apply dropout to the input, so tracing such a
 * use in train mode with dropout > 0 throws.
 */
import { LoraError, ShapeError, StateDictKeyError } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { formatShape } from '../graph/shape.js';
import { conv2d } from '../ops/conv.js';
import { add, mul } from '../ops/elementwise.js';
import { linear, matmul } from '../ops/matmul.js';
import { reshape } from '../ops/shape.js';
import type { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { Conv2d } from './conv.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { kaimingUniform } from './init.js';
import type { Module } from './module.js';
import { Parameter, type ParameterAdapter } from './parameter.js';
import { currentTrace } from './trace.js';

/**
 * A name pattern over state-dict keys: a RegExp is tested against the key; a string matches
 * the whole key or a key ending in '.' + string (`'c_fc.weight'` matches `h.0.mlp.c_fc.weight`).
 */
export type NamePattern = string | RegExp;

export interface LoraOptions {
  /** Rank r >= 1 of the update B·A. */
  rank: number;
  /** Scale numerator (default: rank): the update is (alpha / rank) · B·A. */
  alpha?: number;
  /**
   * Dropout probability on the adapter's input only (PEFT's `lora_dropout`, default 0); the
   * mask is host-fed noise like nn.Dropout's, named `<weight key>.lora_dropout`.
   */
  dropout?: number;
  /**
   * Which weights to adapt, matched against state-dict keys: 2-D weights used as linear maps
   * ([out, in]) or Conv2d weights. @example [/attn\.in_proj_weight$/, 'c_fc.weight']
   */
  targets: readonly NamePattern[];
  /** Randomness of A's initialization. */
  rng: Rng;
}

/** True when `key` matches `pattern` (see {@link NamePattern}). */
export function matchesName(key: string, pattern: NamePattern): boolean {
  if (typeof pattern === 'string') return key === pattern || key.endsWith(`.${pattern}`);
  pattern.lastIndex = 0;
  return pattern.test(key);
}

/**
 * A `trainable` predicate for compileTrainStep that updates only the parameters matching
 * `patterns` (partial fine-tuning); a string also matches every key under that module path
 * (`'h.11'` matches `h.11.attn.in_proj_weight`).
 *
 * @example compileTrainStep(rt, { module: gpt, trainable: freezeExcept('h.11', 'ln_f'), frozen: 'fixed', ... })
 */
export function freezeExcept(...patterns: NamePattern[]): (name: string) => boolean {
  return (name) => patterns.some((p) => matchesUnder(name, p));
}

/**
 * The complement of {@link freezeExcept}: updates every parameter except those matching
 * `patterns`. @example trainable: freeze('wte', 'wpe')
 */
export function freeze(...patterns: NamePattern[]): (name: string) => boolean {
  return (name) => !patterns.some((p) => matchesUnder(name, p));
}

function matchesUnder(name: string, p: NamePattern): boolean {
  return matchesName(name, p) || (typeof p === 'string' && name.startsWith(`${p}.`));
}

/** A parameter with the module that holds it as a field. */
export interface Owned {
  key: string;
  owner: Module;
  field: string;
  param: Parameter;
}

/** Every parameter once (its first name, as Module.namedTensors) with its owner. */
function ownedParameters(m: Module, prefix = '', seen = new Set<Parameter>()): Owned[] {
  const out: Owned[] = [];
  for (const [field, v] of Object.entries(m)) {
    if (v instanceof Parameter && !seen.has(v)) {
      seen.add(v);
      out.push({ key: prefix + field, owner: m, field, param: v });
    }
  }
  for (const [name, child] of m.namedChildren())
    out.push(...ownedParameters(child, `${prefix}${name}.`, seen));
  return out;
}

/** One adapted weight. */
export interface LoraSite extends Owned {
  A: Parameter;
  B: Parameter;
  drop?: Dropout;
  /** The Conv2d owning a 4-D weight. */
  conv?: Conv2d;
}

const SUFFIXES = ['lora_A', 'lora_B', 'lora_dropout'] as const;

/**
 * Add LoRA adapters to the weights of `module` matching `opts.targets`; the module computes
 * the adapted function from then on (train, inference, export), until {@link LoraAdapters.merge}.
 *
 * @throws LoraError naming the patterns when nothing matches, a matched tensor that is not a
 *   2-D linear weight or a Conv2d weight (groups 1, dilation 1), a tied or already adapted
 *   weight, or a bad rank, alpha or dropout.
 *
 * @example
 * const lora = addLora(gpt, { rank: 8, alpha: 16, targets: [/attn\.in_proj_weight$/], rng: new Rng(0) });
 * const step = await compileTrainStep(rt, { module: gpt, trainable: lora.trainable, frozen: 'fixed', ... });
 */
export function addLora(module: Module, opts: LoraOptions): LoraAdapters {
  const { rank, alpha = rank, dropout = 0, targets } = opts;
  if (!Number.isInteger(rank) || rank < 1)
    throw new LoraError(`addLora: rank must be an integer >= 1, got ${rank}`);
  if (!Number.isFinite(alpha)) throw new LoraError(`addLora: alpha must be finite, got ${alpha}`);
  if (!(dropout >= 0 && dropout < 1))
    throw new LoraError(`addLora: dropout must be in [0, 1), got ${dropout}`);
  const patterns = targets.map(String).join(', ');
  if (targets.length === 0) throw new LoraError('addLora: no target patterns given');
  const tied = new Set(Object.values(module.tiedKeys()));
  const matched = ownedParameters(module).filter((o) => targets.some((t) => matchesName(o.key, t)));
  if (matched.length === 0)
    throw new LoraError(
      `addLora: no parameter of ${module.constructor.name} matches the targets ${patterns}`,
    );
  for (const o of matched) checkTarget(o, tied, patterns);
  const sites = matched.map((o) => attach(o, rank, dropout, opts.rng));
  const adapters = new LoraAdapters(sites, rank, alpha, dropout);
  for (const s of sites) s.param.adapter = adapterOf(s, adapters.scaling);
  return adapters;
}

function checkTarget(o: Owned, tied: Set<string>, patterns: string): void {
  const where = `addLora: '${o.key}' ${formatShape(o.param.shape)} (matched by ${patterns})`;
  const rank = o.param.shape.length;
  if (!o.param.trainable) throw new LoraError(`${where} is a buffer, not a weight`);
  if (o.param.adapter) throw new LoraError(`${where} already has a LoRA adapter`);
  if (tied.has(o.key))
    throw new LoraError(`${where} is a tied (shared) parameter, which LoRA cannot adapt`);
  if (rank === 4) {
    const g = o.owner instanceof Conv2d ? o.owner.geometry : undefined;
    if (!g || o.field !== 'weight')
      throw new LoraError(`${where}: a 4-D target must be a Conv2d weight`);
    if (g.groups !== 1 || g.dilation.some((d) => d !== 1))
      throw new LoraError(
        `${where}: LoRA on Conv2d needs groups 1 and dilation 1, as PEFT's; got groups ${g.groups}, dilation [${g.dilation}]`,
      );
  } else if (rank !== 2) {
    throw new LoraError(
      `${where}: a target must be a 2-D linear weight [out, in] or a 4-D Conv2d weight; narrow the patterns`,
    );
  } else if (o.owner instanceof Embedding) {
    throw new LoraError(`${where}: LoRA on Embedding (PEFT's lora_embedding_A/B) is not supported`);
  }
}

/** Create A, B (and the dropout) and add them as fields of the owner. */
function attach(o: Owned, rank: number, dropout: number, rng: Rng): LoraSite {
  const [out, inC, ...k] = o.param.shape;
  const A = new Parameter(kaimingUniform([rank, inC, ...k], rng));
  const B = new Parameter(Tensor.zeros(k.length ? [out, rank, 1, 1] : [out, rank]));
  const site: LoraSite = { ...o, A, B };
  if (o.owner instanceof Conv2d) site.conv = o.owner;
  if (dropout > 0) {
    site.drop = new Dropout(dropout);
    site.drop.training = o.owner.training;
  }
  const fields: [string, unknown][] = [
    [`${o.field}.lora_A`, A],
    [`${o.field}.lora_B`, B],
    [`${o.field}.lora_dropout`, site.drop],
  ];
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    Object.defineProperty(o.owner, name, { value, enumerable: true, configurable: true });
  }
  return site;
}

/**
 * The weight's adapter: the activation path s·B(A(dropout(x))) for layers that apply the
 * weight to an input (Linear, Conv2d, MultiheadAttention's fused self-attention projection),
 * W + s·B·A for any other use (which cannot apply dropout on the input: an error then).
 */
function adapterOf(s: LoraSite, scaling: number): ParameterAdapter {
  const [out, ...rest] = s.param.shape;
  const r = s.A.shape[0];
  const inner = rest.reduce((a, b) => a * b, 1);
  return {
    effective(base: Value): Value {
      if (s.drop?.training && currentTrace('LoRA').training)
        throw new LoraError(
          `LoRA '${s.key}': this use of the weight reads it merged (W + s·B·A), which cannot apply the adapter's dropout to the input; use dropout 0 or eval mode`,
        );
      const delta = s.conv
        ? reshape(matmul(reshape(s.B.value, [out, r]), reshape(s.A.value, [r, inner])), [
            out,
            ...rest,
          ])
        : matmul(s.B.value, s.A.value);
      return add(base, mul(delta, scaling));
    },
    output(x: Value): Value {
      const h = s.drop ? s.drop.call(x) : x;
      if (!s.conv) return mul(linear(linear(h, s.A.value), s.B.value), scaling);
      const { stride, padding } = s.conv.geometry;
      return mul(conv2d(conv2d(h, s.A.value, undefined, { stride, padding }), s.B.value), scaling);
    },
  };
}

/**
 * The LoRA adapters added by {@link addLora}: their state dict (our keys,
 * `<weight key>.lora_A` [r, in] or [r, C, kh, kw], `<weight key>.lora_B` [out, r] or
 * [O, r, 1, 1]), the `trainable` predicate for the train step, and {@link merge}.
 */
export class LoraAdapters {
  /** Adapted weights' state-dict keys, in module order. */
  readonly targets: readonly string[];
  /** alpha / rank. */
  readonly scaling: number;
  readonly #sites: readonly LoraSite[];
  readonly #names: ReadonlySet<string>;
  #merged = false;

  /** @internal Use {@link addLora}. */
  constructor(
    sites: readonly LoraSite[],
    readonly rank: number,
    readonly alpha: number,
    readonly dropout: number,
  ) {
    this.#sites = sites;
    this.targets = sites.map((s) => s.key);
    this.scaling = alpha / rank;
    this.#names = new Set(sites.flatMap((s) => [`${s.key}.lora_A`, `${s.key}.lora_B`]));
  }

  /**
   * True only for adapter parameters: pass as compileTrainStep's `trainable` (with
   * `frozen: 'fixed'` so the frozen weights stay out of the step's state).
   */
  readonly trainable = (name: string): boolean => this.#names.has(name);

  /** Adapter tensors by our key (the module's state-dict keys of A and B). */
  stateDict(): Record<string, Tensor> {
    this.#live('stateDict');
    return Object.fromEntries(
      this.#sites.flatMap((s) => [
        [`${s.key}.lora_A`, s.A.data],
        [`${s.key}.lora_B`, s.B.data],
      ]),
    );
  }

  /**
   * Replace the adapters' tensors, strictly: every missing and unexpected key in one
   * StateDictKeyError; a wrong shape or dtype is a ShapeError.
   */
  loadStateDict(sd: Readonly<Record<string, Tensor>>): void {
    this.#live('loadStateDict');
    const where = 'LoraAdapters.loadStateDict';
    const missing = [...this.#names].filter((k) => !Object.hasOwn(sd, k));
    const unexpected = Object.keys(sd).filter((k) => !this.#names.has(k));
    if (missing.length || unexpected.length)
      throw new StateDictKeyError(where, missing, unexpected);
    const params = this.#sites.flatMap((s): [string, Parameter][] => [
      [`${s.key}.lora_A`, s.A],
      [`${s.key}.lora_B`, s.B],
    ]);
    for (const [k, p] of params) {
      const t = sd[k];
      if (t.dtype !== 'float32' || t.shape.join() !== p.shape.join())
        throw new ShapeError(
          `${where}: '${k}' is ${t.dtype}${formatShape(t.shape)}; expected float32${formatShape(p.shape)} (rank ${this.rank})`,
        );
    }
    for (const [k, p] of params) p.data = sd[k].clone();
  }

  /**
   * Fold the adapters into the weights, W += (alpha / r) · B·A (A flattened to [r, C·kh·kw]
   * for a conv), and remove them: the module is a plain module again, computing the same
   * function (exactly so with dropout 0 or in eval mode). The adapters are unusable after.
   */
  merge(): void {
    this.#live('merge');
    for (const s of this.#sites) {
      const w = s.param.data;
      s.param.data = new Tensor('float32', w.shape, mergedWeight(s, this.scaling));
      this.#detach(s);
    }
    this.#merged = true;
  }

  #detach(s: LoraSite): void {
    s.param.adapter = undefined;
    for (const suffix of SUFFIXES)
      delete (s.owner as unknown as Record<string, unknown>)[`${s.field}.${suffix}`];
  }

  #live(what: string): void {
    if (this.#merged)
      throw new LoraError(`LoraAdapters.${what}: the adapters were merged into the weights`);
  }
}

/** W + scaling · B·A on the host (float64 sums, one rounding to float32). */
function mergedWeight(s: LoraSite, scaling: number): Float32Array {
  const w = s.param.data.data as Float32Array;
  const a = s.A.data.data as Float32Array;
  const b = s.B.data.data as Float32Array;
  const r = s.A.shape[0];
  const out = s.param.shape[0];
  const inner = w.length / out;
  const merged = new Float32Array(w.length);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inner; i++) {
      let d = 0;
      for (let j = 0; j < r; j++) d += b[o * r + j] * a[j * inner + i];
      merged[o * inner + i] = w[o * inner + i] + scaling * d;
    }
  }
  return merged;
}
