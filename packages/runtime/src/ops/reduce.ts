/** Reductions over axes, with keepdims, following ONNX Reduce* (opset 18+: axes as an input). */
import { ShapeError, where } from '../errors.js';
import { type Node, type Primitive, type Value, primitive } from '../graph/graph.js';
import { type Dim, formatShape, normAxis } from '../graph/shape.js';
import { emit1, ints } from './core.js';
import { div } from './elementwise.js';
import { expandAs, unsqueeze } from './shape.js';

/** Normalized, sorted reduction axes (`undefined` means all). */
export function reduceAxes(op: string, x: Value, axes?: number | readonly number[]): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normAxis(a, x.rank));
  if (out.some((a) => a < 0) || new Set(out).size !== out.length) {
    throw new ShapeError(`${where(x.graph.currentScope, op)}: bad axes [${list.join(',')}] for input ${formatShape(x.shape)}`);
  }
  return out.sort((a, b) => a - b);
}

export function reducedShape(x: Value, axes: readonly number[], keepdims: boolean): Dim[] {
  return x.shape.flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d]));
}

/** The axes a Reduce* node reduced over (read from its constant axes input). */
export function axesOf(n: Node): number[] {
  return n.inputs[1]!.constantData!.toArray();
}

/** Bring a reduced gradient back to the rank of the input (re-insert the reduced axes). */
export function unreduce(g: Value, n: Node): Value {
  const axes = axesOf(n);
  return (n.attrs.keepdims as { i: number }).i === 1 ? g : unsqueeze(g, axes);
}

/** Emit a Reduce* primitive over `axes` (attribute names as in the ONNX spec). */
export function emitReduce(prim: Primitive, op: string, x: Value, axes: number | readonly number[] | undefined, keepdims: boolean): Value {
  const ax = reduceAxes(op, x, axes);
  if (ax.length === 0) return x;
  return emit1(x.graph, prim, [x, ints(x.graph, ax)], { dtype: x.dtype, shape: reducedShape(x, ax, keepdims) }, {
    keepdims: { i: keepdims ? 1 : 0 },
  });
}

const sumP = primitive('ReduceSum', {
  vjp: (n, [g]) => [expandAs(unreduce(g!, n), n.inputs[0]!), null],
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
  if (dims.every((d) => typeof d === 'number')) return (dims as number[]).reduce((p, d) => p * d, 1);
  return runtimeCount(x, axes);
}

const shapeP = primitive('Shape', { stopsGradient: true });
const gatherIntP = primitive('Gather', { stopsGradient: true });
const prodP = primitive('ReduceProd', { stopsGradient: true });
const castP = primitive('Cast', { stopsGradient: true });

/** prod(shape(x)[axes]) as float32, computed at run time (for symbolic dims). */
function runtimeCount(x: Value, axes: readonly number[]): Value {
  const g = x.graph;
  const shape = emit1(g, shapeP, [x], { dtype: 'int64', shape: [x.rank] });
  const dims = emit1(g, gatherIntP, [shape, ints(g, axes)], { dtype: 'int64', shape: [axes.length] }, { axis: { i: 0 } });
  const n = emit1(g, prodP, [dims], { dtype: 'int64', shape: [] }, { keepdims: { i: 0 } });
  return emit1(g, castP, [n], { dtype: 'float32', shape: [] }, { to: { i: 1 } });
}
