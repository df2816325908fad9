/**
 * Normalization layers as functions: layerNorm, groupNorm, batchNorm (plus the batch
 * statistics it needs in train mode). Each is composed from traced primitives (mean,
 * sub, mul, sqrt, ...), so gradients, including second-order ones, come from the
 * primitives' VJP rules and every node runs on ORT's WebGPU provider.
 */
import { ShapeError, scopedOp } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { type Dim, formatShape, shapesEqual } from '../graph/shape.js';
import { checkFloat, checkSameDType } from './core.js';
import { add, div, mul, sqrt, square, sub } from './elementwise.js';
import { countOf, mean } from './reduce.js';
import { reshape, reshapeLike } from './shape.js';

/** Throw unless an optional per-feature parameter has exactly `expected` as shape. */
function checkParam(
  op: string,
  x: Value,
  name: string,
  p: Value | undefined,
  expected: readonly Dim[],
): void {
  if (!p) return;
  checkSameDType(op, x, p);
  if (!shapesEqual(p.shape, expected)) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: ${name} ${formatShape(p.shape)} does not fit input ${formatShape(x.shape)}; expected ${formatShape(expected)}`,
    );
  }
}

/** y * weight + bias, each optional. */
function affine(y: Value, weight?: Value, bias?: Value): Value {
  const scaled = weight ? mul(y, weight) : y;
  return bias ? add(scaled, bias) : scaled;
}

/** (x - mean) / sqrt(var + eps) over `axes`, with the biased variance (divide by n). */
function standardize(x: Value, axes: readonly number[], eps: number): Value {
  const centered = sub(x, mean(x, axes, true));
  const variance = mean(square(centered), axes, true);
  return div(centered, sqrt(add(variance, eps)));
}

/**
 * PyTorch `F.layer_norm`: normalize over the last `normalizedShape.length` axes with
 * the biased variance, then scale and shift elementwise.
 *
 * x: [..., *normalizedShape], weight/bias: normalizedShape -> same shape as x.
 *
 * @example layerNorm(h, 512, gamma, beta)   // h: [B, T, 512], gamma/beta: [512]
 */
export function layerNorm(
  x: Value,
  normalizedShape: readonly number[] | number,
  weight?: Value,
  bias?: Value,
  eps = 1e-5,
): Value {
  const op = 'layerNorm';
  checkFloat(op, x);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  if (k === 0 || k > x.rank || !shapesEqual(x.shape.slice(x.rank - k), ns)) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: input ${formatShape(x.shape)} does not end with normalizedShape ${formatShape(ns)}`,
    );
  }
  checkParam(op, x, 'weight', weight, ns);
  checkParam(op, x, 'bias', bias, ns);
  const axes = ns.map((_, i) => x.rank - k + i);
  return affine(standardize(x, axes, eps), weight, bias);
}

/** View a per-channel [C] parameter as [C, 1, ..., 1] so it broadcasts over x: [N, C, ...]. */
function perChannel(p: Value, x: Value): Value {
  return reshape(p, [p.shape[0], ...Array<number>(x.rank - 2).fill(1)]);
}

/** Throw unless x is [N, C, ...] (rank >= 2). */
function checkChannels(op: string, x: Value): Dim {
  checkFloat(op, x);
  if (x.rank < 2) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: input ${formatShape(x.shape)} has rank ${x.rank}; expected [N, C, ...]`,
    );
  }
  return x.shape[1];
}

/**
 * PyTorch `F.group_norm`: split the C channels into `numGroups` groups and normalize
 * each (sample, group) over its channels and spatial positions (biased variance),
 * then apply a per-channel scale and shift. N may be symbolic.
 *
 * x: [N, C, ...], weight/bias: [C] -> [N, C, ...].
 *
 * @example groupNorm(h, 32, gamma, beta)   // h: ['batch', 64, 16, 16], gamma/beta: [64]
 */
export function groupNorm(
  x: Value,
  numGroups: number,
  weight?: Value,
  bias?: Value,
  eps = 1e-5,
): Value {
  const op = 'groupNorm';
  const c = checkChannels(op, x);
  if (
    !Number.isInteger(numGroups) ||
    numGroups < 1 ||
    typeof c !== 'number' ||
    c % numGroups !== 0
  ) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: input ${formatShape(x.shape)} has ${c} channels; expected a static count divisible by numGroups = ${numGroups}`,
    );
  }
  checkParam(op, x, 'weight', weight, [c]);
  checkParam(op, x, 'bias', bias, [c]);
  // [N, G, C/G * spatial]: N stays symbolic (Reshape copies it), the rest is inferred.
  const grouped = reshape(x, [x.shape[0], numGroups, -1]);
  const y = reshapeLike(standardize(grouped, [2], eps), x);
  return affine(y, weight && perChannel(weight, x), bias && perChannel(bias, x));
}

/** Per-channel statistics of a batch, as returned by {@link batchNormStats}. */
export interface BatchStats {
  /** [C] mean over all axes but 1. */
  mean: Value;
  /** [C] biased variance (divide by n): what train-mode batch norm normalizes with. */
  var: Value;
  /** [C] unbiased variance (divide by n - 1): what PyTorch folds into running_var. */
  varUnbiased: Value;
}

/**
 * Per-channel mean and variances of x over every axis but the channel axis 1 (the
 * batch statistics of PyTorch's train-mode BatchNorm). With a symbolic N the element
 * count n is computed at run time. n = 1 makes `varUnbiased` non-finite (as in PyTorch).
 *
 * x: [N, C, ...] -> { mean, var, varUnbiased }: each [C].
 *
 * @example const { mean: m, var: v } = batchNormStats(x); const y = batchNorm(x, m, v, gamma, beta);
 */
export function batchNormStats(x: Value): BatchStats {
  const c = checkChannels('batchNormStats', x);
  const axes = x.shape.flatMap((_, i) => (i === 1 ? [] : [i]));
  const mk = mean(x, axes, true);
  const vk = mean(square(sub(x, mk)), axes, true);
  const n = countOf(x, axes);
  // Bessel's correction n / (n - 1), a constant when n is static.
  const bessel = typeof n === 'number' ? n / (n - 1) : div(n, sub(n, 1));
  const m = reshape(mk, [c]);
  const v = reshape(vk, [c]);
  return { mean: m, var: v, varUnbiased: mul(v, bessel) };
}

/**
 * Batch normalization with given statistics: (x - mean) / sqrt(var + eps) * weight + bias,
 * per channel (axis 1). Train mode passes {@link batchNormStats} of the batch (gradients
 * then flow through the statistics, as in PyTorch); eval mode passes the running stats.
 *
 * x: [N, C, ...], mu/variance/weight/bias: [C] -> [N, C, ...].
 *
 * @example batchNorm(x, runningMean, runningVar, gamma, beta)   // x: ['batch', 16, 8, 8]
 */
export function batchNorm(
  x: Value,
  mu: Value,
  variance: Value,
  weight?: Value,
  bias?: Value,
  eps = 1e-5,
): Value {
  const op = 'batchNorm';
  const c = checkChannels(op, x);
  checkParam(op, x, 'mean', mu, [c]);
  checkParam(op, x, 'var', variance, [c]);
  checkParam(op, x, 'weight', weight, [c]);
  checkParam(op, x, 'bias', bias, [c]);
  const inv = div(1, sqrt(add(perChannel(variance, x), eps)));
  const y = mul(sub(x, perChannel(mu, x)), inv);
  return affine(y, weight && perChannel(weight, x), bias && perChannel(bias, x));
}
