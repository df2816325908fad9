/**
 * Values made from constants: zeros/ones shaped like another value, the sequence
 * 0..n-1 as a constant (arange), ONNX Range for sequences whose length is only known
 * at run time, and one-hot rows of ids.
 */
import { ShapeError, scopedOp } from '../errors.js';
import { type Graph, primitive, type Value } from '../graph/graph.js';
import type { Dim } from '../graph/shape.js';
import { type DType, Tensor } from '../tensor.js';
import {
  checkDType,
  checkSameDType,
  emit1,
  fmt,
  INDEX_DTYPES,
  ints,
  iota,
  scalar,
} from './core.js';
import { cast, equal } from './elementwise.js';
import { expandAs, unsqueeze } from './shape.js';

/** Zeros with the (possibly symbolic) shape and the dtype of `x`. */
export function zerosLike(x: Value): Value {
  return expandAs(scalar(x.graph, 0, x.dtype), x);
}

/** Ones with the (possibly symbolic) shape and the dtype of `x`. */
export function onesLike(x: Value): Value {
  return expandAs(scalar(x.graph, 1, x.dtype), x);
}

/**
 * Integers `0..n-1` as a 1-D constant.
 *
 * @example arange(g, 4)   // int64 [4]: 0, 1, 2, 3
 */
export function arange(g: Graph, n: number, dtype: 'int64' | 'int32' | 'float32' = 'int64'): Value {
  const r = iota(0, n);
  if (dtype === 'int64') return ints(g, r);
  return g.constant(
    dtype === 'int32'
      ? new Tensor('int32', [n], Int32Array.from(r))
      : new Tensor('float32', [n], Float32Array.from(r)),
  );
}

/** Sequence values (positions, indices): no gradient flows through Range. */
const rangeP = primitive('Range', { stopsGradient: true });

/**
 * ONNX Range: `start, start + delta, ...` while below `limit` (above it for a negative
 * `delta`). start, limit and delta are scalars of one dtype (float32, int32 or int64);
 * `length` is the output's dim, a symbol when `limit` is only known at run time
 * (use {@link arange} when the length is static). No gradient flows through it.
 * start, limit, delta: [] -> [length].
 *
 * @example range(scalar(g, 0, 'int64'), seqLen, scalar(g, 1, 'int64'), 'T')   // int64 ['T']
 */
export function range(start: Value, limit: Value, delta: Value, length: Dim): Value {
  checkSameDType('range', start, limit, delta);
  checkDType('range', start, ['float32', 'int32', 'int64']);
  const bad = [start, limit, delta].find((v) => v.rank !== 0);
  if (bad) {
    throw new ShapeError(
      `${scopedOp(start.graph.currentScope, 'range')}: start${fmt(start)}, limit${fmt(limit)} and delta${fmt(delta)} must be scalars (rank 0)`,
    );
  }
  if (typeof length === 'number' ? !(Number.isInteger(length) && length >= 0) : !length) {
    throw new ShapeError(
      `${scopedOp(start.graph.currentScope, 'range')}: length ${JSON.stringify(length)} must be a non-negative integer or a dim symbol`,
    );
  }
  return emit1(start.graph, rangeP, [start, limit, delta], {
    dtype: start.dtype,
    shape: [length],
  });
}

/**
 * One-hot encoding as `Cast(Equal(Unsqueeze(ids, -1), 0..depth-1))` (ONNX OneHot falls
 * back to CPU on WebGPU). Out-of-range or negative ids give all-zero rows. No gradient.
 * ids: [...] (int64/int32) -> [..., depth].
 *
 * @example oneHot(labels, 10)   // labels: [batch] -> float32 [batch, 10]
 */
export function oneHot(ids: Value, depth: number, dtype: DType = 'float32'): Value {
  checkDType('oneHot', ids, INDEX_DTYPES);
  if (!(Number.isInteger(depth) && depth > 0))
    throw new ShapeError(
      `${scopedOp(ids.graph.currentScope, 'oneHot')}: depth ${depth} must be a positive integer`,
    );
  // WebGPU has no int64 Equal; class ids fit in int32.
  const hit = equal(unsqueeze(cast(ids, 'int32'), -1), arange(ids.graph, depth, 'int32'));
  return cast(hit, dtype);
}
