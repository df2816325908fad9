/**
 * Loss functions with PyTorch semantics and argument order (input, target). Each is
 * composed from traced primitives, so gradients (and second-order gradients) come
 * from the primitives' VJP rules, and each stays on ORT's WebGPU provider: no
 * LogSoftmax or OneHot nodes.
 */
import { DTypeError, ShapeError, scopedOp } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { formatShape, normAxis, shapesEqual } from '../graph/shape.js';
import { softplus } from './activation.js';
import { checkFloat, checkSameDType } from './core.js';
import { oneHot } from './creation.js';
import {
  add,
  cast,
  div,
  equal,
  exp,
  greater,
  log,
  logicalNot,
  maximum,
  mul,
  neg,
  square,
  sub,
  where,
} from './elementwise.js';
import { logSumExp, mean, sum } from './reduce.js';
import { transpose } from './shape.js';

/** How per-element losses are combined: averaged, summed, or returned as they are. */
export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
}

function reduce(op: string, loss: Value, reduction: Reduction = 'mean'): Value {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  if (reduction === 'mean') return mean(loss);
  throw new RangeError(
    `${scopedOp(loss.graph.currentScope, op)}: reduction '${String(reduction)}'; expected 'mean', 'sum' or 'none'`,
  );
}

/** Throw unless both operands are float tensors of one shape. */
function checkPair(op: string, input: Value, target: Value, names = ['input', 'target']): void {
  checkFloat(op, input);
  checkSameDType(op, input, target);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new ShapeError(
      `${scopedOp(input.graph.currentScope, op)}: ${names[0]} ${formatShape(input.shape)} and ${names[1]} ${formatShape(target.shape)} differ; expected equal shapes`,
    );
  }
}

/**
 * Mean squared error, PyTorch `F.mse_loss`: (input - target)^2, averaged over all
 * elements by default. Shapes must be equal (no silent broadcasting).
 *
 * input, target: [...] -> [] ('mean' | 'sum') or [...] ('none').
 *
 * @example mseLoss(pred, y)   // pred, y: ['batch', 10]
 */
export function mseLoss(input: Value, target: Value, opts: LossOptions = {}): Value {
  checkPair('mseLoss', input, target);
  return reduce('mseLoss', square(sub(input, target)), opts.reduction);
}

/**
 * log(p) clamped to >= -100 as PyTorch's BCELoss does. The inner Where feeds Log a 1
 * where p <= 0, so p = 0 gives a finite loss and a zero (not NaN) gradient.
 */
function clampedLog(p: Value): Value {
  const positive = greater(p, 0);
  return where(positive, maximum(log(where(positive, p, 1)), -100), -100);
}

/**
 * Binary cross-entropy on probabilities, PyTorch `F.binary_cross_entropy`:
 * -(t log p + (1 - t) log(1 - p)), each log clamped to >= -100 (so p = 0 or 1 gives a
 * finite loss; the gradient through a clamped log is 0). Prefer
 * {@link bceWithLogitsLoss} on logits, which is exact and stable.
 *
 * prob, target: [...] (prob in [0, 1]) -> [] or [...] with reduction 'none'.
 *
 * @example bceLoss(sigmoid(logits), labels)   // both ['batch', 1]
 */
export function bceLoss(prob: Value, target: Value, opts: LossOptions = {}): Value {
  checkPair('bceLoss', prob, target);
  const l = neg(add(mul(target, clampedLog(prob)), mul(sub(1, target), clampedLog(sub(1, prob)))));
  return reduce('bceLoss', l, opts.reduction);
}

export interface BceWithLogitsOptions extends LossOptions {
  /** Weight of the positive term, broadcast over the last axis (PyTorch `pos_weight`, e.g. [C]). */
  posWeight?: Value;
}

/**
 * Binary cross-entropy on logits, PyTorch `F.binary_cross_entropy_with_logits`, in the
 * stable form max(x, 0) - x t + log(1 + exp(-|x|)); its gradient is sigmoid(x) - t. With
 * `posWeight` w: (1 - t) x + (1 + (w - 1) t) softplus(-x).
 *
 * logits, target: [...] -> [] or [...] with reduction 'none'.
 *
 * @example bceWithLogitsLoss(logits, labels)   // both ['batch', 3]
 */
export function bceWithLogitsLoss(
  logits: Value,
  target: Value,
  opts: BceWithLogitsOptions = {},
): Value {
  const op = 'bceWithLogitsLoss';
  checkPair(op, logits, target);
  let sp = softplus(neg(logits));
  if (opts.posWeight) {
    checkSameDType(op, logits, opts.posWeight);
    sp = mul(add(mul(sub(opts.posWeight, 1), target), 1), sp);
  }
  const l = add(mul(sub(1, target), logits), sp);
  if (!shapesEqual(l.shape, logits.shape)) {
    throw new ShapeError(
      `${scopedOp(logits.graph.currentScope, op)}: posWeight ${formatShape(opts.posWeight?.shape ?? [])} does not broadcast to logits ${formatShape(logits.shape)}`,
    );
  }
  return reduce(op, l, opts.reduction);
}

export interface CrossEntropyOptions extends LossOptions {
  /** Targets equal to this contribute 0 and are not counted by 'mean'. Default -100. */
  ignoreIndex?: number;
  /** PyTorch `label_smoothing` in [0, 1]: mix the one-hot target with a uniform one. Default 0. */
  labelSmoothing?: number;
  /** Axis of `logits` holding the classes: -1 (default, [..., C]) or 1 (PyTorch's [N, C, d1, ...]). */
  classAxis?: number;
}

/**
 * Cross-entropy from unnormalized logits and integer class targets, PyTorch
 * `F.cross_entropy`: logsumexp(x) - x[t] per position, built as logsumexp minus
 * sum(x * onehot(t)) with onehot = Cast(Equal(Unsqueeze(t, -1), [0..C))) (no OneHot or
 * LogSoftmax nodes). Positions whose target is `ignoreIndex` give 0 and 'mean' divides
 * by the number of the others (a batch with none of them gives 0, where PyTorch gives
 * NaN). A target outside [0, C) that is not `ignoreIndex` contributes logsumexp(x)
 * (PyTorch raises there; it cannot be checked at trace time).
 *
 * logits: [..., C] (or [N, C, d1, ...] with `classAxis: 1`), target: int64/int32 of the
 * logits' shape without the class axis -> [] or that shape with reduction 'none'. On
 * WebGPU, int32 targets keep every node on the device; int64 ones add one CPU Cast.
 *
 * @example crossEntropy(logits, tokens, { ignoreIndex: 0 })   // logits: ['batch', 16, 100], tokens: ['batch', 16]
 */
export function crossEntropy(logits: Value, target: Value, opts: CrossEntropyOptions = {}): Value {
  const op = 'crossEntropy';
  const { ignoreIndex = -100, labelSmoothing = 0, classAxis = -1 } = opts;
  const scope = logits.graph.currentScope;
  checkFloat(op, logits);
  if (target.dtype !== 'int64' && target.dtype !== 'int32') {
    throw new DTypeError(
      `${scopedOp(scope, op)}: target ${target.dtype}${formatShape(target.shape)} must hold class indices; expected int64 or int32`,
    );
  }
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
    throw new RangeError(
      `${scopedOp(scope, op)}: labelSmoothing ${labelSmoothing}; expected a number in [0, 1]`,
    );
  const axis = normAxis(classAxis, logits.rank);
  if (axis < 0)
    throw new ShapeError(
      `${scopedOp(scope, op)}: classAxis ${classAxis} is out of range for logits ${formatShape(logits.shape)}`,
    );
  // Move the classes last so one code path serves [..., C] and PyTorch's [N, C, d1, ...].
  const perm = logits.shape.map((_, i) => i).filter((i) => i !== axis);
  const x = transpose(logits, [...perm, axis]);
  const c = x.shape[x.rank - 1];
  if (typeof c !== 'number' || !shapesEqual(target.shape, x.shape.slice(0, -1))) {
    throw new ShapeError(
      `${scopedOp(scope, op)}: logits ${formatShape(logits.shape)} and target ${formatShape(target.shape)} do not match; ` +
        `expected target ${formatShape(x.shape.slice(0, -1))} and a static class count (class axis ${axis})`,
    );
  }
  // ORT's WebGPU provider has no int64 Equal/Unsqueeze: one Cast to int32 keeps the rest on
  // the device (int32 targets need no Cast at all). Class indices fit in int32.
  const t = cast(target, 'int32');
  const onehot = oneHot(t, c, x.dtype);
  // Label smoothing: the target distribution becomes (1 - eps) onehot + eps / C.
  const q = labelSmoothing > 0 ? add(mul(onehot, 1 - labelSmoothing), labelSmoothing / c) : onehot;
  const perPosition = sub(logSumExp(x, [-1]), sum(mul(x, q), [-1]));
  const valid = logicalNot(equal(t, ignoreIndex));
  const l = where(valid, perPosition, 0);
  if (opts.reduction === 'mean' || opts.reduction === undefined) {
    return div(sum(l), maximum(sum(cast(valid, x.dtype)), 1));
  }
  return reduce(op, l, opts.reduction);
}

/**
 * KL(N(mu, exp(logvar)) || N(0, I)) of a diagonal Gaussian, the VAE regularizer:
 * -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) over the last axis, then averaged over
 * the remaining (batch) axes by default.
 *
 * mu, logvar: [..., D] -> [] or [...] with reduction 'none'.
 *
 * @example gaussianKl(mu, logvar)   // both ['batch', 16]
 */
export function gaussianKl(mu: Value, logvar: Value, opts: LossOptions = {}): Value {
  const op = 'gaussianKl';
  checkPair(op, mu, logvar, ['mu', 'logvar']);
  if (mu.rank < 1)
    throw new ShapeError(
      `${scopedOp(mu.graph.currentScope, op)}: mu ${formatShape(mu.shape)} is a scalar; expected [..., D]`,
    );
  const terms = sub(sub(add(logvar, 1), square(mu)), exp(logvar));
  return reduce(op, mul(sum(terms, [-1]), -0.5), opts.reduction);
}
