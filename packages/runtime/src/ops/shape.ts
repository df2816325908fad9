/**
 * Shape ops: shapeOf, reshape, flatten, expand, squeeze/unsqueeze, transpose, and
 * sumToShape (the reduction every broadcasting VJP needs).
 */
import { ShapeError, scopedOp } from '../errors.js';
import { inputOf, primitive, type Value, vjp1 } from '../graph/graph.js';
import {
  broadcastAxes,
  broadcastShapes,
  type Dim,
  formatShape,
  inferDim,
  isStatic,
  normAxis,
  type Shape,
  shapesEqual,
} from '../graph/shape.js';
import { emit1, ints } from './core.js';
import { sum } from './reduce.js';

const shapeP = primitive('Shape', { stopsGradient: true });

/** The runtime shape of `x` as a 1-D int64 value. Not differentiable (no gradient flows). */
export function shapeOf(x: Value): Value {
  return emit1(x.graph, shapeP, [x], { dtype: 'int64', shape: [x.rank] });
}

/** Shape as a value: a constant when static, else `Shape(like)`. */
function shapeValue(like: Value): Value {
  return isStatic(like.shape) ? ints(like.graph, like.shape) : shapeOf(like);
}

const reshapeP = primitive('Reshape', {
  vjp: vjp1((n, g) => [reshapeLike(g, inputOf(n, 0)), null]),
});

/**
 * Reshape `x`. Entries may be numbers, one `-1`, or a dim symbol of `x` (e.g. `'batch'`).
 *
 * @example reshape(x, ['batch', 784])   // x: [batch, 1, 28, 28]
 */
export function reshape(x: Value, shape: readonly Dim[]): Value {
  const g = x.graph;
  const op = scopedOp(g.currentScope, 'reshape');
  const minus = shape.filter((d) => d === -1).length;
  if (minus > 1) throw new ShapeError(`${op}: at most one -1 in target ${formatShape(shape)}`);
  const known = shape.filter((d) => d !== -1);
  let out: Dim[];
  if (minus === 1) {
    const d = inferDim(x.shape, known);
    if (d === null)
      throw new ShapeError(
        `${op}: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`,
      );
    out = shape.map((e) => (e === -1 ? d : e));
  } else {
    out = [...shape];
    const d = inferDim(x.shape, known);
    if (d !== 1)
      throw new ShapeError(
        `${op}: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)} (element counts differ)`,
      );
  }
  if (shapesEqual(out, x.shape)) return x;
  let target: Value;
  if (shape.every((d) => typeof d === 'number')) target = ints(g, shape as number[]);
  else {
    // Symbolic entries come from the input's runtime shape; the rest are literal.
    const dims: number[] = shape.map((d) => {
      if (typeof d === 'number') return d;
      const i = x.shape.indexOf(d);
      if (i < 0)
        throw new ShapeError(
          `${op}: target dim '${d}' is not a dim of the input ${formatShape(x.shape)}`,
        );
      return 0; // ONNX Reshape: 0 copies the input dim at the same index
    });
    shape.forEach((d, k) => {
      if (typeof d === 'string' && x.shape[k] !== d) {
        throw new ShapeError(
          `${op}: symbolic dim '${d}' must stay at axis ${k} (input ${formatShape(x.shape)})`,
        );
      }
    });
    target = ints(g, dims);
  }
  return emit1(g, reshapeP, [x, target], { dtype: x.dtype, shape: out });
}

/**
 * Reshape where a symbol may change position: a symbol at the same index is copied
 * (ONNX `0`), at most one moved symbol becomes `-1`. Used by VJPs that split or merge axes.
 */
export function reshapeTo(x: Value, target: readonly Dim[]): Value {
  const spec = target.map((d, k) => (typeof d === 'number' || x.shape[k] === d ? d : -1));
  if (spec.filter((d) => d === -1).length > 1) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, 'reshape')}: cannot move two symbolic dims: ${formatShape(x.shape)} -> ${formatShape(target)}`,
    );
  }
  return reshape(x, spec);
}

/**
 * ONNX Flatten as a reshape: `[prod(dims[:axis]), prod(dims[axis:])]`. A symbolic
 * leading dim is kept when `axis` is 1.
 *
 * @example flatten(x)   // x: [batch, 16, 7, 7] -> [batch, 784]
 */
export function flatten(x: Value, axis = 1): Value {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!(Number.isInteger(a) && a >= 0 && a <= x.rank)) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, 'flatten')}: axis ${axis} is out of range for input ${formatShape(x.shape)}`,
    );
  }
  const part = (dims: Dim[]): Dim =>
    dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((p, d) => p * d, 1) : -1;
  const lead = a === 1 ? x.shape[0] : part(x.shape.slice(0, a));
  const tail = part(x.shape.slice(a));
  if (lead === -1 && tail === -1) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, 'flatten')}: both halves of ${formatShape(x.shape)} at axis ${a} are symbolic`,
    );
  }
  return reshape(x, [lead, tail]);
}

/** Reshape `x` to the (possibly symbolic) shape of `like`. */
export function reshapeLike(x: Value, like: Value): Value {
  if (shapesEqual(x.shape, like.shape)) return x;
  return emit1(x.graph, reshapeP, [x, shapeValue(like)], { dtype: x.dtype, shape: like.shape });
}

const expandP = primitive('Expand', {
  vjp: vjp1((n, g) => [sumToShape(g, inputOf(n, 0)), null]),
});

/** Broadcast `x` to the shape of `like` (NumPy rules). */
export function expandAs(x: Value, like: Value): Value {
  const out = broadcastShapes(x.shape, like.shape);
  if (!out || !shapesEqual(out, like.shape)) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, 'expand')}: cannot broadcast ${formatShape(x.shape)} to ${formatShape(like.shape)}`,
    );
  }
  if (shapesEqual(x.shape, like.shape)) return x;
  return emit1(x.graph, expandP, [x, shapeValue(like)], { dtype: x.dtype, shape: out });
}

/** Broadcast `x` to a static shape. */
export function expand(x: Value, shape: readonly number[]): Value {
  const out = broadcastShapes(x.shape, shape);
  if (!out)
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, 'expand')}: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`,
    );
  if (shapesEqual(x.shape, out)) return x;
  return emit1(x.graph, expandP, [x, ints(x.graph, shape)], { dtype: x.dtype, shape: out });
}

/**
 * Sum `g` over the axes that broadcasting added relative to `target`, and reshape
 * to `target`'s shape: the gradient of a broadcast operand.
 */
export function sumToShape(g: Value, target: Value): Value {
  if (shapesEqual(g.shape, target.shape)) return g;
  const axes = broadcastAxes(target.shape, g.shape);
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  return reshapeLike(s, target);
}

const unsqueezeP = primitive('Unsqueeze', {
  vjp: vjp1((n, g) => [reshapeLike(g, inputOf(n, 0)), null]),
});
const squeezeP = primitive('Squeeze', {
  vjp: vjp1((n, g) => [reshapeLike(g, inputOf(n, 0)), null]),
});

function normAxes(op: string, x: Value, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normAxis(a, rank));
  if (out.some((a) => a < 0) || new Set(out).size !== out.length) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: bad axes [${axes.join(',')}] for rank ${rank} (input ${formatShape(x.shape)})`,
    );
  }
  return out.sort((a, b) => a - b);
}

/** Insert size-1 axes (positions in the output). */
export function unsqueeze(x: Value, axes: number | readonly number[]): Value {
  const list = typeof axes === 'number' ? [axes] : axes;
  const rank = x.rank + list.length;
  const ax = normAxes('unsqueeze', x, list, rank);
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : x.shape[k++]);
  return emit1(x.graph, unsqueezeP, [x, ints(x.graph, ax)], { dtype: x.dtype, shape: out });
}

/** Remove size-1 axes (all of them when `axes` is omitted). */
export function squeeze(x: Value, axes?: number | readonly number[]): Value {
  const list =
    axes === undefined
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : typeof axes === 'number'
        ? [axes]
        : axes;
  const ax = normAxes('squeeze', x, list, x.rank);
  for (const a of ax) {
    if (x.shape[a] !== 1)
      throw new ShapeError(
        `${scopedOp(x.graph.currentScope, 'squeeze')}: axis ${a} of ${formatShape(x.shape)} is not 1`,
      );
  }
  if (ax.length === 0) return x;
  const out = x.shape.filter((_, i) => !ax.includes(i));
  return emit1(x.graph, squeezeP, [x, ints(x.graph, ax)], { dtype: x.dtype, shape: out });
}

const transposeP = primitive('Transpose', {
  vjp: vjp1((n, g) => {
    const perm = (n.attrs.perm as { ints: readonly number[] }).ints;
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g, inv)];
  }),
});

/** Permute axes (reverses them when `perm` is omitted). */
export function transpose(x: Value, perm?: readonly number[]): Value {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  const sorted = [...p].map((a) => normAxis(a, x.rank)).sort((a, b) => a - b);
  if (p.length !== x.rank || sorted.some((a, i) => a !== i)) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, 'transpose')}: perm [${p.join(',')}] is not a permutation of the axes of ${formatShape(x.shape)}`,
    );
  }
  const q = p.map((a) => normAxis(a, x.rank));
  if (q.every((a, i) => a === i)) return x;
  return emit1(
    x.graph,
    transposeP,
    [x],
    { dtype: x.dtype, shape: q.map((a) => x.shape[a]) },
    { perm: { ints: q } },
  );
}

/** Swap the last two axes. */
export function transposeLast2(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

export type { Shape };
