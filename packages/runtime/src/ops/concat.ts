/**
 * Concat and Split (ONNX opset 21), each the other's VJP: the gradient of a concat
 * splits the cotangent back into pieces shaped like the inputs, and the gradient of a
 * split concatenates the pieces' cotangents (zeros for pieces that have none).
 */
import { ShapeError, scopedOp } from '../errors.js';
import { inputOf, primitive, type Value, vjp1 } from '../graph/graph.js';
import { type Dim, formatShape, shapesEqual } from '../graph/shape.js';
import { attrInt, axisOf, checkSameDType, emit1, ints } from './core.js';
import { zerosLike } from './creation.js';
import { gather } from './gather.js';
import { reshapeLike, shapeOf } from './shape.js';

const concatP = primitive('Concat', {
  vjp: vjp1((n, g) => splitLike(g, n.inputs as Value[], attrInt(n, 'axis'))),
});

/** The concatenated size of an axis: a number, `s*k` for k copies of one symbol, else `a+b`. */
function concatDim(dims: Dim[]): Dim {
  if (dims.every((d) => typeof d === 'number'))
    return (dims as number[]).reduce((s, d) => s + d, 0);
  if (dims.every((d) => d === dims[0])) return `${dims[0]}*${dims.length}`;
  return dims.join('+');
}

/**
 * Join tensors along `axis`; all other dims must match.
 *
 * @example concat([a, b], 1)   // a: [N, 3], b: [N, 5] -> [N, 8]
 */
export function concat(xs: readonly Value[], axis: number): Value {
  if (xs.length === 0) throw new ShapeError('concat: needs at least one input');
  const x0 = xs[0];
  checkSameDType('concat', ...xs);
  const a = axisOf('concat', x0, axis);
  const ok = xs.every(
    (x) => x.rank === x0.rank && x.shape.every((d, i) => i === a || d === x0.shape[i]),
  );
  if (!ok) {
    throw new ShapeError(
      `${scopedOp(x0.graph.currentScope, 'concat')}: shapes ${xs.map((x) => formatShape(x.shape)).join(', ')} differ outside axis ${a}; expected equal ranks and dims except axis ${a}`,
    );
  }
  if (xs.length === 1) return x0;
  const shape = x0.shape.map((d, i) => (i === a ? concatDim(xs.map((x) => x.shape[a])) : d));
  return emit1(x0.graph, concatP, xs, { dtype: x0.dtype, shape }, { axis: { i: a } });
}

const splitP = primitive('Split', {
  // Several outputs: a piece without a cotangent contributes zeros.
  vjp: (n, cots) => {
    const x = inputOf(n, 0);
    const parts = cots.map((c, i) => c ?? zerosLike(n.outputs[i]));
    const joined = concat(parts, attrInt(n, 'axis'));
    // Symbolic sizes may name the joined dim differently from the input's own name.
    return [shapesEqual(joined.shape, x.shape) ? joined : reshapeLike(joined, x), null];
  },
});

function emitSplit(x: Value, sizes: Value, axis: number, shapes: Dim[][]): Value[] {
  const outs = shapes.map((shape) => ({ dtype: x.dtype, shape }));
  return x.graph.emit(splitP, [x, sizes], { axis: { i: axis } }, outs);
}

/** Split `g` along `axis` into pieces shaped like `likes` (sizes read at run time when symbolic). */
function splitLike(g: Value, likes: readonly Value[], axis: number): Value[] {
  const dims = likes.map((v) => v.shape[axis]);
  const gr = g.graph;
  const sizes = dims.every((d) => typeof d === 'number')
    ? ints(gr, dims as number[])
    : concat(
        likes.map((v) =>
          typeof v.shape[axis] === 'number'
            ? ints(gr, [v.shape[axis] as number])
            : gather(shapeOf(v), ints(gr, [axis])),
        ),
        0,
      );
  return emitSplit(
    g,
    sizes,
    axis,
    likes.map((v) => [...v.shape]),
  );
}

/**
 * Split along `axis` into pieces of the given sizes, or into `sizes` equal parts.
 * The split axis must be static.
 *
 * @example const [a, b] = split(x, [3, 5], 1)   // x: [N, 8] -> [N, 3], [N, 5]
 */
export function split(x: Value, sizes: readonly number[] | number, axis: number): Value[] {
  const op = scopedOp(x.graph.currentScope, 'split');
  const a = axisOf('split', x, axis);
  const d = x.shape[a];
  if (typeof d !== 'number')
    throw new ShapeError(
      `${op}: axis ${a} of ${formatShape(x.shape)} is symbolic; expected a static dim`,
    );
  let list: number[];
  if (typeof sizes === 'number') {
    if (!(Number.isInteger(sizes) && sizes > 0 && d % sizes === 0)) {
      throw new ShapeError(
        `${op}: cannot split axis ${a} of ${formatShape(x.shape)} into ${sizes} equal parts`,
      );
    }
    list = new Array<number>(sizes).fill(d / sizes);
  } else list = [...sizes];
  if (list.some((s) => !(Number.isInteger(s) && s >= 0)) || list.reduce((s, v) => s + v, 0) !== d) {
    throw new ShapeError(
      `${op}: sizes [${list.join(',')}] do not add up to ${d} (axis ${a} of ${formatShape(x.shape)})`,
    );
  }
  return emitSplit(
    x,
    ints(x.graph, list),
    a,
    list.map((s) => x.shape.map((e, i) => (i === a ? s : e))),
  );
}
