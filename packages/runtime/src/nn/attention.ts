/** torch.nn.MultiheadAttention with PyTorch's parameter names, plus a KV cache for decoding. */
import { ShapeError, scopedOp } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { formatShape } from '../graph/shape.js';
import { scaledDotProductAttention } from '../ops/attention.js';
import { concat, split } from '../ops/concat.js';
import { linear } from '../ops/matmul.js';
import { reshape, transpose } from '../ops/shape.js';
import type { Rng } from '../rng.js';
import { xavierUniform, zeros } from './init.js';
import { applyLinear, Linear } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface MultiheadAttentionOptions {
  /** Learnable in_proj_bias and out_proj.bias (default true). */
  bias?: boolean;
  /** Initializer randomness (explicit, so a seed reproduces the model). */
  rng: Rng;
  /** Feature size of `key` (default embedDim). */
  kdim?: number;
  /** Feature size of `value` (default embedDim). */
  vdim?: number;
  /** Inputs and output are [B, T, E] (default true, unlike PyTorch) or [T, B, E]. */
  batchFirst?: boolean;
}

/** Keys and values of past positions, per head: each [B, H, T, Dh]. */
export interface KeyValueCache {
  key: Value;
  value: Value;
}

export interface MultiheadAttentionCall {
  /** Query i sees keys j <= Tpast + i only. */
  causal?: boolean;
  /** bool [B, Tpast + Tk]: true marks a padded key (PyTorch's key_padding_mask). */
  keyPaddingMask?: Value;
  /** Cached keys/values (a previous call's `present`), prepended along time. */
  past?: KeyValueCache;
}

export interface MultiheadAttentionResult {
  /** [B, Tq, E] ([Tq, B, E] without batchFirst). */
  output: Value;
  /** The cache to feed as `past` next time: past plus this call's keys/values, [B, H, Tpast + Tk, Dh]. */
  present: KeyValueCache;
}

/**
 * torch.nn.MultiheadAttention (no dropout on the attention weights, no add_bias_kv).
 * Parameters as in PyTorch's state_dict: `in_proj_weight` [3E, E] (xavier_uniform_) when
 * kdim = vdim = E, else `q_proj_weight` [E, E], `k_proj_weight` [E, kdim],
 * `v_proj_weight` [E, vdim]; `in_proj_bias` [3E] (zeros); `out_proj` a Linear(E, E)
 * with PyTorch's Linear init and a zero bias.
 *
 * query: [B, Tq, E], key: [B, Tk, kdim], value: [B, Tk, vdim] (key and value default to
 * query: self-attention) -> { output: [B, Tq, E], present: { key, value }: [B, H, Tpast + Tk, E/H] }.
 *
 * @example
 * const attn = new MultiheadAttention(64, 4, { rng });
 * const { output, present } = attn.call(x, undefined, undefined, { causal: true });   // x: [batch, 16, 64]
 * const next = attn.call(xNew, undefined, undefined, { causal: true, past: present }); // xNew: [batch, 1, 64]
 */
export class MultiheadAttention extends Module {
  readonly in_proj_weight?: Parameter;
  readonly q_proj_weight?: Parameter;
  readonly k_proj_weight?: Parameter;
  readonly v_proj_weight?: Parameter;
  readonly in_proj_bias?: Parameter;
  readonly out_proj: Linear;
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly batchFirst: boolean;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    opts: MultiheadAttentionOptions,
  ) {
    super();
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new RangeError(
        `MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`,
      );
    }
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.headDim = embedDim / numHeads;
    this.batchFirst = opts.batchFirst ?? true;
    const E = embedDim;
    if (this.kdim === E && this.vdim === E) {
      this.in_proj_weight = new Parameter(xavierUniform([3 * E, E], opts.rng));
    } else {
      this.q_proj_weight = new Parameter(xavierUniform([E, E], opts.rng));
      this.k_proj_weight = new Parameter(xavierUniform([E, this.kdim], opts.rng));
      this.v_proj_weight = new Parameter(xavierUniform([E, this.vdim], opts.rng));
    }
    const bias = opts.bias ?? true;
    if (bias) this.in_proj_bias = new Parameter(zeros([3 * E]));
    this.out_proj = new Linear(E, E, { bias, rng: opts.rng });
    if (this.out_proj.bias) this.out_proj.bias.data = zeros([E]);
  }

  forward(
    query: Value,
    key?: Value,
    value?: Value,
    opts: MultiheadAttentionCall = {},
  ): MultiheadAttentionResult {
    const bf = (x: Value) => (this.batchFirst ? x : transpose(x, [1, 0, 2]));
    const [q, k, v] = this.project(bf(query), key && bf(key), value && bf(value));
    let kh = this.heads(k);
    let vh = this.heads(v);
    if (opts.past) {
      kh = concat([opts.past.key, kh], 2);
      vh = concat([opts.past.value, vh], 2);
    }
    const attended = scaledDotProductAttention(this.heads(q), kh, vh, {
      causal: opts.causal,
      keyPaddingMask: opts.keyPaddingMask,
    });
    // [B, H, Tq, Dh] -> [B, Tq, H, Dh] -> [B, Tq, E]
    const t = transpose(attended, [0, 2, 1, 3]);
    const merged = reshape(t, [t.shape[0], t.shape[1], this.embedDim]);
    return { output: bf(this.out_proj.call(merged)), present: { key: kh, value: vh } };
  }

  /** Input projections q, k, v: each [B, T, E]; one fused matmul for self-attention. */
  private project(query: Value, key?: Value, value?: Value): [Value, Value, Value] {
    const E = this.embedDim;
    key ??= query;
    value ??= key;
    this.check(query, key, value);
    const w = this.in_proj_weight;
    const bias = this.in_proj_bias?.value;
    if (w && key === query && value === query) {
      const [q, k, v] = split(applyLinear(query, w, bias), [E, E, E], -1);
      return [q, k, v];
    }
    const [wq, wk, wv] = w
      ? split(w.value, 3, 0)
      : [this.q_proj_weight!.value, this.k_proj_weight!.value, this.v_proj_weight!.value];
    const [bq, bk, bv] = bias ? split(bias, 3, 0) : [];
    return [linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)];
  }

  /** [B, T, E] -> [B, H, T, Dh]. */
  private heads(x: Value): Value {
    const [B, T] = x.shape;
    return transpose(reshape(x, [B, T, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  private check(query: Value, key: Value, value: Value): void {
    const ok =
      query.rank === 3 &&
      key.rank === 3 &&
      value.rank === 3 &&
      query.shape[2] === this.embedDim &&
      key.shape[2] === this.kdim &&
      value.shape[2] === this.vdim &&
      key.shape[1] === value.shape[1];
    if (!ok) {
      throw new ShapeError(
        `${scopedOp(query.graph.currentScope, 'MultiheadAttention')}: query ${formatShape(query.shape)}, key ${formatShape(key.shape)}, value ${formatShape(value.shape)}; expected query [B, Tq, ${this.embedDim}], key [B, Tk, ${this.kdim}], value [B, Tk, ${this.vdim}]${this.batchFirst ? '' : ' (after moving the batch axis first)'}`,
      );
    }
  }
}
