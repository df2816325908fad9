/** Reductions over axes, with keepdims, following ONNX Reduce* (opset 18+: axes as an input). */
import { ShapeError, scopedOp } from '../errors.js';
import { inputOf, type Node, type Primitive, primitive, type Value, vjp1 } from '../graph/graph.js';
import { type Dim, formatShape, normAxis } from '../graph/shape.js';
import { checkDType, checkFloat, constArray, emit1, ints } from './core.js';
import { add, cast, div, equal, exp, mul, stopGradient, sub } from './elementwise.js';
import { gather } from './gather.js';
import { expandAs, shapeOf, squeeze, unsqueeze } from './shape.js';

/** Normalized, sorted reduction axes (`undefined` means all). */
export function reduceAxes(op: string, x: Value, axes?: number | readonly number[]): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normAxis(a, x.rank));
  if (out.some((a) => a < 0) || new Set(out).size !== out.length) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: bad axes [${list.join(',')}] for input ${formatShape(x.shape)}`,
    );
  }
  return out.sort((a, b) => a - b);
}

export function reducedShape(x: Value, axes: readonly number[], keepdims: boolean): Dim[] {
  return x.shape.flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d]));
}

/** The axes a Reduce* node reduced over (read from its constant axes input). */
export function axesOf(n: Node): number[] {
  return constArray(n, 1);
}

/** Bring a reduced gradient back to the rank of the input (re-insert the reduced axes). */
export function unreduce(g: Value, n: Node): Value {
  const axes = axesOf(n);
  return (n.attrs.keepdims as { i: number }).i === 1 ? g : unsqueeze(g, axes);
}

/** Emit a Reduce* primitive over `axes` (attribute names as in the ONNX spec). */
export function emitReduce(
  prim: Primitive,
  op: string,
  x: Value,
  axes: number | readonly number[] | undefined,
  keepdims: boolean,
): Value {
  const ax = reduceAxes(op, x, axes);
  if (ax.length === 0) return x;
  return emit1(
    x.graph,
    prim,
    [x, ints(x.graph, ax)],
    { dtype: x.dtype, shape: reducedShape(x, ax, keepdims) },
    {
      keepdims: { i: keepdims ? 1 : 0 },
    },
  );
}

const sumP = primitive('ReduceSum', {
  vjp: vjp1((n, g) => [expandAs(unreduce(g, n), inputOf(n, 0)), null]),
});

/** Sum over `axes` (all when omitted). @example sum(x, [1], true)  // [B, 1] */
export function sum(x: Value, axes?: number | readonly number[], keepdims = false): Value {
  return emitReduce(sumP, 'sum', x, axes, keepdims);
}

/** Mean over `axes` (all when omitted). Symbolic dims divide by the runtime count. */
export function mean(x: Value, axes?: number | readonly number[], keepdims = false): Value {
  const ax = reduceAxes('mean', x, axes);
  const s = sum(x, ax, keepdims);
  return div(s, countOf(x, ax));
}

/** Number of elements over `axes` of `x` as a float scalar value (runtime when symbolic). */
export function countOf(x: Value, axes: readonly number[]): Value | number {
  const dims = axes.map((a) => x.shape[a]);
  if (dims.every((d) => typeof d === 'number'))
    return (dims as number[]).reduce((p, d) => p * d, 1);
  return runtimeCount(x, axes);
}

// Only ever reduces int64 dims, and integers carry no gradient.
const prodP = primitive('ReduceProd', { stopsGradient: true });

/** prod(shape(x)[axes]) as float32, computed at run time (for symbolic dims). */
function runtimeCount(x: Value, axes: readonly number[]): Value {
  const dims = gather(shapeOf(x), ints(x.graph, axes));
  const n = emit1(x.graph, prodP, [dims], { dtype: 'int64', shape: [] }, { keepdims: { i: 0 } });
  return cast(n, 'float32');
}

/**
 * VJP of ReduceMax/ReduceMin: the gradient goes to the positions equal to the result,
 * split evenly among ties so the rule stays a valid (sub)gradient there. The mask is
 * a comparison, so it is a constant for higher-order gradients.
 */
function extremumVjp(n: Node, g: Value): Value {
  const x = inputOf(n, 0);
  const mask = cast(equal(x, unreduce(n.outputs[0], n)), x.dtype);
  const ties = sum(mask, axesOf(n), true);
  return mul(div(mask, ties), unreduce(g, n));
}

const maxP = primitive('ReduceMax', { vjp: vjp1((n, g) => [extremumVjp(n, g), null]) });
const minP = primitive('ReduceMin', { vjp: vjp1((n, g) => [extremumVjp(n, g), null]) });
const NUMERIC = ['float32', 'int32', 'int64', 'uint8'] as const;

/**
 * Maximum over `axes` (all when omitted). Ties share the gradient equally.
 * x: [..., D, ...] -> the reduced shape.
 *
 * @example max(logits, -1, true)   // logits: [B, V] -> [B, 1]
 */
export function max(x: Value, axes?: number | readonly number[], keepdims = false): Value {
  checkDType('max', x, NUMERIC);
  return emitReduce(maxP, 'max', x, axes, keepdims);
}

/**
 * Minimum over `axes` (all when omitted). Ties share the gradient equally.
 *
 * @example min(x, [1, 2])   // x: [B, H, W] -> [B]
 */
export function min(x: Value, axes?: number | readonly number[], keepdims = false): Value {
  checkDType('min', x, NUMERIC);
  return emitReduce(minP, 'min', x, axes, keepdims);
}

// d logsumexp(z) / dz = exp(z - y), written with the output so it is differentiable again.
const logSumExpP = primitive('ReduceLogSumExp', {
  vjp: vjp1((n, g) => [
    mul(unreduce(g, n), exp(sub(inputOf(n, 0), unreduce(n.outputs[0], n)))),
    null,
  ]),
});

/**
 * log(sum(exp(x))) over `axes` (all when omitted), finite for large inputs.
 * ORT's WebGPU ReduceLogSumExp sums exp(x) directly (overflows for x > ~88), so the
 * max is subtracted first: m + ReduceLogSumExp(x - m). m carries no gradient; the
 * result is the same function of x for any constant m, so gradients stay exact.
 *
 * @example logSumExp(logits, -1)   // logits: [B, V] -> [B]
 */
export function logSumExp(x: Value, axes?: number | readonly number[], keepdims = false): Value {
  checkFloat('logSumExp', x);
  const ax = reduceAxes('logSumExp', x, axes);
  if (ax.length === 0) return x;
  const m = stopGradient(max(x, ax, true));
  const y = add(emitReduce(logSumExpP, 'logSumExp', sub(x, m), ax, true), m);
  return keepdims ? y : squeeze(y, ax);
}

/**
 * Variance over `axes` (all when omitted): sum((x - mean)^2) / (N - correction).
 * `correction = 1` gives the unbiased estimate (PyTorch `torch.var` default).
 * Symbolic dims divide by the runtime count.
 *
 * @example variance(x, [0], false, 1)   // x: [batch, C] -> [C]
 */
export function variance(
  x: Value,
  axes?: number | readonly number[],
  keepdims = false,
  correction = 0,
): Value {
  checkFloat('variance', x);
  const ax = reduceAxes('variance', x, axes);
  const d = sub(x, mean(x, ax, true));
  const ss = sum(mul(d, d), ax, keepdims);
  const n = countOf(x, ax);
  if (typeof n !== 'number') return div(ss, correction === 0 ? n : sub(n, correction));
  if (n - correction <= 0) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, 'variance')}: reducing ${n} element(s) of ${formatShape(x.shape)} over axes [${ax.join(',')}] ` +
        `with correction ${correction}; expected more than ${correction} element(s)`,
    );
  }
  return div(ss, n - correction);
}

const argmaxP = primitive('ArgMax', { stopsGradient: true });
const argminP = primitive('ArgMin', { stopsGradient: true });

function emitArg(prim: Primitive, op: string, x: Value, axis: number, keepdims: boolean): Value {
  checkDType(op, x, NUMERIC);
  const [a] = reduceAxes(op, x, axis);
  return emit1(
    x.graph,
    prim,
    [x],
    { dtype: 'int64', shape: reducedShape(x, [a], keepdims) },
    {
      axis: { i: a },
      keepdims: { i: keepdims ? 1 : 0 },
    },
  );
}

/**
 * Index (int64) of the largest element along `axis`; the first one on ties. No gradient.
 *
 * @example argmax(logits, -1)   // logits: [B, V] -> [B] int64
 */
export function argmax(x: Value, axis = -1, keepdims = false): Value {
  return emitArg(argmaxP, 'argmax', x, axis, keepdims);
}

/**
 * Index (int64) of the smallest element along `axis`; the first one on ties. No gradient.
 *
 * @example argmin(dist, 1)   // dist: [N, K] -> [N] int64
 */
export function argmin(x: Value, axis = -1, keepdims = false): Value {
  return emitArg(argminP, 'argmin', x, axis, keepdims);
}
