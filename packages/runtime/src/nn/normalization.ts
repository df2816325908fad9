/**
 * Normalization layers with PyTorch's names, buffers and defaults: LayerNorm, GroupNorm,
 * BatchNorm1d and BatchNorm2d.
 *
 * Train or eval behaviour (BatchNorm here, Dropout in dropout.ts) follows the rule
 * `module.training && trace.training`: the module's own flag, as in PyTorch (so a
 * sub-module put in eval mode stays in eval mode inside a training step), and never
 * train behaviour inside a trace declared as inference (an export or a sampler), so
 * such graphs record no buffer updates. compileTrainStep sets the trace's flag from the
 * root module's `training`, and traceInference sets the tree's flags from the trace's,
 * so both agree with this rule.
 */
import { ShapeError, scopedOp } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { formatShape } from '../graph/shape.js';
import { add, cast, div, mul, sub } from '../ops/elementwise.js';
import { batchNorm, batchNormStats, groupNorm, layerNorm } from '../ops/norm.js';
import { Tensor } from '../tensor.js';
import { ones, zeros } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { currentTrace } from './trace.js';

export interface LayerNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learnable per-element weight (ones) and bias (zeros) of `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`: also learn the bias (default true, PyTorch >= 2.1). */
  bias?: boolean;
}

/**
 * torch.nn.LayerNorm: normalize over the trailing `normalizedShape` axes (biased
 * variance), then scale by `weight` and shift by `bias` (both of shape normalizedShape).
 *
 * x: [..., *normalizedShape] -> same shape.
 *
 * @example
 * const ln = new LayerNorm(512);
 * ln.call(h);   // h: [batch, T, 512]
 */
export class LayerNorm extends Module {
  readonly weight?: Parameter;
  readonly bias?: Parameter;
  readonly normalizedShape: readonly number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape =
      typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    if (opts.elementwiseAffine ?? true) {
      this.weight = new Parameter(ones(this.normalizedShape));
      if (opts.bias ?? true) this.bias = new Parameter(zeros(this.normalizedShape));
    }
  }

  forward(x: Value): Value {
    return layerNorm(x, this.normalizedShape, this.weight?.value, this.bias?.value, this.eps);
  }
}

export interface GroupNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learnable per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
}

/**
 * torch.nn.GroupNorm: normalize each (sample, group of channels) over its channels and
 * spatial positions, then apply a per-channel affine map. weight/bias: [numChannels].
 *
 * x: [N, numChannels, ...] -> same shape.
 *
 * @example
 * const gn = new GroupNorm(8, 64);
 * gn.call(h);   // h: [batch, 64, 16, 16]
 */
export class GroupNorm extends Module {
  readonly weight?: Parameter;
  readonly bias?: Parameter;
  readonly eps: number;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    opts: GroupNormOptions = {},
  ) {
    super();
    if (!Number.isInteger(numGroups) || numGroups < 1 || numChannels % numGroups !== 0) {
      throw new RangeError(
        `GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`,
      );
    }
    this.eps = opts.eps ?? 1e-5;
    if (opts.affine ?? true) {
      this.weight = new Parameter(ones([numChannels]));
      this.bias = new Parameter(zeros([numChannels]));
    }
  }

  forward(x: Value): Value {
    if (x.shape[1] !== this.numChannels) {
      throw new ShapeError(
        `${scopedOp(x.graph.currentScope, 'GroupNorm')}: input ${formatShape(x.shape)} has ${x.shape[1]} channels; expected [N, ${this.numChannels}, ...]`,
      );
    }
    return groupNorm(x, this.numGroups, this.weight?.value, this.bias?.value, this.eps);
  }
}

export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch statistic in the running average (default 0.1);
   * `null` gives the cumulative average 1 / num_batches_tracked, as in PyTorch.
   */
  momentum?: number | null;
  /** Learnable per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
  /**
   * Keep running_mean / running_var / num_batches_tracked buffers and use them in eval
   * mode (default true); without them every mode normalizes with batch statistics.
   */
  trackRunningStats?: boolean;
}

/**
 * Shared body of BatchNorm1d and BatchNorm2d (PyTorch's `_BatchNorm`): per-channel
 * statistics over every axis but axis 1.
 *
 * Train mode (see the module comment for the rule) normalizes with the batch mean and
 * biased variance and records the buffers' new values through `Parameter.update`:
 * running = (1 - momentum) * running + momentum * batch statistic, with the UNBIASED
 * batch variance for running_var, and num_batches_tracked + 1, exactly as PyTorch.
 * Eval mode normalizes with running_mean / running_var.
 */
export abstract class BatchNormBase extends Module {
  readonly weight?: Parameter;
  readonly bias?: Parameter;
  readonly running_mean?: Parameter;
  readonly running_var?: Parameter;
  /** int64 scalar, counts train-mode forward passes (PyTorch's name and dtype). */
  readonly num_batches_tracked?: Parameter;
  readonly eps: number;
  readonly momentum: number | null;
  /** Accepted input ranks, e.g. [4] for BatchNorm2d. */
  protected abstract readonly ranks: readonly number[];

  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (opts.affine ?? true) {
      this.weight = new Parameter(ones([numFeatures]));
      this.bias = new Parameter(zeros([numFeatures]));
    }
    if (opts.trackRunningStats ?? true) {
      this.running_mean = new Parameter(zeros([numFeatures]), false);
      this.running_var = new Parameter(ones([numFeatures]), false);
      this.num_batches_tracked = new Parameter(Tensor.zeros([], 'int64'), false);
    }
  }

  forward(x: Value): Value {
    const name = this.constructor.name;
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      const C = this.numFeatures;
      const layouts = this.ranks.map((r) =>
        formatShape(r === 2 ? ['N', C] : r === 3 ? ['N', C, 'L'] : ['N', C, 'H', 'W']),
      );
      throw new ShapeError(
        `${scopedOp(x.graph.currentScope, name)}: input ${formatShape(x.shape)}; expected ${layouts.join(' or ')}`,
      );
    }
    const w = this.weight?.value;
    const b = this.bias?.value;
    const rm = this.running_mean;
    const rv = this.running_var;
    const training = this.training && currentTrace(`${name}.forward`).training;
    if (!training && rm && rv) return batchNorm(x, rm.value, rv.value, w, b, this.eps);
    const stats = batchNormStats(x);
    if (training && rm && rv && this.num_batches_tracked) {
      const count = add(this.num_batches_tracked.value, 1);
      this.num_batches_tracked.update(count);
      const m = this.momentum ?? div(1, cast(count, 'float32'));
      const keep = typeof m === 'number' ? 1 - m : sub(1, m);
      const blend = (run: Value, batch: Value) => add(mul(run, keep), mul(batch, m));
      rm.update(blend(rm.value, stats.mean));
      rv.update(blend(rv.value, stats.varUnbiased));
    }
    return batchNorm(x, stats.mean, stats.var, w, b, this.eps);
  }
}

/**
 * torch.nn.BatchNorm1d over x: [N, C] or [N, C, L]. Parameters weight/bias [C],
 * buffers running_mean [C] (zeros), running_var [C] (ones), num_batches_tracked
 * (int64 scalar). See {@link BatchNormBase} for train/eval behaviour.
 *
 * @example
 * const bn = new BatchNorm1d(256);
 * bn.call(h);   // h: [batch, 256]
 */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3] as const;
}

/**
 * torch.nn.BatchNorm2d over x: [N, C, H, W]. Parameters weight/bias [C], buffers
 * running_mean [C] (zeros), running_var [C] (ones), num_batches_tracked (int64 scalar).
 * See {@link BatchNormBase} for train/eval behaviour.
 *
 * @example
 * const bn = new BatchNorm2d(64, { momentum: 0.1 });
 * bn.call(h);   // h: [batch, 64, 16, 16]
 */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4] as const;
}
