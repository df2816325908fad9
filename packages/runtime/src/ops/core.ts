import { DTypeError, GraphError, ShapeError, scopedOp } from '../errors.js';
import {
  type Attrs,
  type Graph,
  inputOf,
  type Node,
  type OutputSpec,
  type Primitive,
  Value,
} from '../graph/graph.js';
import { formatShape, normAxis } from '../graph/shape.js';
import { type DType, isFloat, Tensor } from '../tensor.js';

/** A traced value or a plain number (lifted to a scalar constant of the other operand's dtype). */
export type ValueLike = Value | number;

/** The graph shared by the traced operands of `op`. */
export function graphOf(op: string, ...xs: ValueLike[]): Graph {
  let g: Graph | undefined;
  for (const x of xs) {
    if (x instanceof Value) {
      if (g && x.graph !== g) throw new GraphError(`${op}: operands belong to different graphs`);
      g = x.graph;
    }
  }
  if (!g)
    throw new GraphError(`${op}: at least one operand must be a traced Value, got only numbers`);
  return g;
}

/** A rank-0 constant. */
export function scalar(g: Graph, value: number, dtype: DType = 'float32'): Value {
  if (dtype === 'int64')
    return g.constant(new Tensor('int64', [], BigInt64Array.of(BigInt(value))));
  if (dtype === 'int32') return g.constant(new Tensor('int32', [], Int32Array.of(value)));
  if (dtype === 'bool' || dtype === 'uint8')
    return g.constant(new Tensor(dtype, [], Uint8Array.of(value)));
  return g.constant(new Tensor('float32', [], Float32Array.of(value)));
}

/** A 1-D int64 constant (axes, shapes, pads, ...). */
export function ints(g: Graph, values: readonly number[]): Value {
  return g.constant(
    new Tensor(
      'int64',
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    ),
  );
}

/** Lift numbers to constants of the dtype of the first Value among `xs`. */
export function lift(op: string, ...xs: ValueLike[]): Value[] {
  const g = graphOf(op, ...xs);
  // graphOf found a Value, so the fallback dtype is never used.
  const dtype = xs.find((x): x is Value => x instanceof Value)?.dtype ?? 'float32';
  return xs.map((x) => (x instanceof Value ? x : scalar(g, x, dtype)));
}

/** Throw unless `v` has one of the allowed dtypes. */
export function checkDType(op: string, v: Value, allowed: readonly DType[]): void {
  if (!allowed.includes(v.dtype)) {
    throw new DTypeError(
      `${scopedOp(v.graph.currentScope, op)}: got ${v.dtype}${fmt(v)}, expected ${allowed.join(' or ')}`,
    );
  }
}

/** Throw unless all operands share one dtype. */
export function checkSameDType(op: string, ...vs: Value[]): void {
  const d = vs[0].dtype;
  if (vs.some((v) => v.dtype !== d)) {
    throw new DTypeError(
      `${scopedOp(vs[0].graph.currentScope, op)}: operands have different dtypes (${vs.map((v) => `${v.dtype}${fmt(v)}`).join(', ')}); cast one of them`,
    );
  }
}

export function checkFloat(op: string, v: Value): void {
  if (!isFloat(v.dtype)) checkDType(op, v, ['float32']);
}

/** `[2,3]`-style shape text for messages. */
export function fmt(v: Value): string {
  return `[${v.shape.join(',')}]`;
}

/** Emit a single-output primitive. */
export function emit1(
  g: Graph,
  prim: Primitive,
  inputs: readonly (Value | null)[],
  out: OutputSpec,
  attrs: Attrs = {},
): Value {
  return g.emit(prim, inputs, attrs, [out])[0];
}

/** Index operands (gather ids, labels) may be int64 or int32. */
export const INDEX_DTYPES: readonly DType[] = ['int64', 'int32'];

/** `lo, lo + 1, ..., hi - 1` (empty when hi <= lo). */
export function iota(lo: number, hi: number): number[] {
  return Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);
}

/** `axis` normalized to [0, rank); throws a ShapeError naming `op` when out of range. */
export function axisOf(op: string, x: Value, axis: number): number {
  const a = normAxis(axis, x.rank);
  if (a < 0)
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: axis ${axis} is out of range for input ${formatShape(x.shape)}`,
    );
  return a;
}

/** An int attribute of a node, e.g. `attrInt(n, 'axis')`. */
export function attrInt(n: Node, name: string): number {
  return (n.attrs[name] as { i: number }).i;
}

/** The data of node input `i`, which ops emit as a constant (axes, pads, starts, scales). */
export function constArray(n: Node, i: number): number[] {
  const t = inputOf(n, i).constantData;
  if (!t) {
    throw new GraphError(
      `${scopedOp(n.scope, n.prim.opType)}: input ${i} of node ${n.id} is not a constant`,
    );
  }
  return t.toArray();
}
