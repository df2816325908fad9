/**
 * Gather and scatter-add families (ONNX Gather, GatherElements, GatherND, ScatterElements
 * and ScatterND with `reduction='add'`), and embedding lookup. Each gather's VJP is the
 * matching scatter-add and back, so every gradient can be differentiated again.
 */
import { ShapeError, scopedOp } from '../errors.js';
import { inputOf, primitive, type Value, vjp1 } from '../graph/graph.js';
import { type Dim, formatShape, shapesEqual } from '../graph/shape.js';
import { attrInt, axisOf, checkDType, checkSameDType, emit1, INDEX_DTYPES, iota } from './core.js';
import { zerosLike } from './creation.js';
import { cast } from './elementwise.js';
import { transpose, unsqueeze } from './shape.js';

const gatherP = primitive('Gather', {
  vjp: vjp1((n, g) => [gatherGrad(inputOf(n, 0), inputOf(n, 1), g, attrInt(n, 'axis')), null]),
});

/** Scatter-add `g` back along `k`: move the gathered axis first so one ScatterND does it. */
function gatherGrad(x: Value, idx: Value, g: Value, k: number): Value {
  const ii = unsqueeze(cast(idx, 'int64'), -1);
  if (k === 0) return scatterNDAdd(zerosLike(x), ii, g);
  const m = idx.rank;
  const px = [k, ...iota(0, k), ...iota(k + 1, x.rank)];
  const pg = [...iota(k, k + m), ...iota(0, k), ...iota(k + m, x.rank - 1 + m)];
  const back = px.map((_, i) => px.indexOf(i));
  return transpose(scatterNDAdd(transpose(zerosLike(x), px), ii, transpose(g, pg)), back);
}

/**
 * ONNX Gather: pick entries of `x` along `axis` (negative indices count from the end).
 * x: [..., D, ...], indices: I (int64/int32) -> [..., ...I, ...].
 *
 * @example gather(x, ids, 1)   // x: [N, 10, C], ids: [3] -> [N, 3, C]
 */
export function gather(x: Value, indices: Value, axis = 0): Value {
  checkDType('gather', indices, INDEX_DTYPES);
  const a = axisOf('gather', x, axis);
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return emit1(x.graph, gatherP, [x, indices], { dtype: x.dtype, shape }, { axis: { i: a } });
}

const gatherElementsP = primitive('GatherElements', {
  vjp: vjp1((n, g) => [
    scatterAdd(zerosLike(inputOf(n, 0)), inputOf(n, 1), g, attrInt(n, 'axis')),
    null,
  ]),
});

function checkElements(op: string, x: Value, indices: Value, axis: number): number {
  checkDType(op, indices, INDEX_DTYPES);
  const a = axisOf(op, x, axis);
  const fits = (d: Dim, i: number) =>
    i === a ||
    d === x.shape[i] ||
    (typeof d === 'number' && typeof x.shape[i] === 'number' && d <= (x.shape[i] as number));
  if (indices.rank !== x.rank || !indices.shape.every(fits)) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: indices ${formatShape(indices.shape)} do not fit input ${formatShape(x.shape)}; expected the same rank and dims <= the input's off axis ${a}`,
    );
  }
  return a;
}

/**
 * ONNX GatherElements: `out[i][j] = x[idx[i][j]][j]` (for axis 0). Output has the shape of `indices`.
 *
 * @example gatherElements(logits, unsqueeze(labels, 1), 1)   // [N, C], [N, 1] -> [N, 1]
 */
export function gatherElements(x: Value, indices: Value, axis: number): Value {
  const a = checkElements('gatherElements', x, indices, axis);
  return emit1(
    x.graph,
    gatherElementsP,
    [x, indices],
    { dtype: x.dtype, shape: indices.shape },
    { axis: { i: a } },
  );
}

const scatterElementsP = primitive('ScatterElements', {
  vjp: vjp1((n, g, needs) => [
    g,
    null,
    needs[2] ? gatherElements(g, inputOf(n, 1), attrInt(n, 'axis')) : null,
  ]),
});

/**
 * ONNX ScatterElements with `reduction='add'`: `x` plus `updates` added at `indices`
 * along `axis` (duplicates add). indices and updates share one shape.
 *
 * @example scatterAdd(zeros, idx, g, 1)   // zeros: [N, C], idx/g: [N, K] -> [N, C]
 */
export function scatterAdd(x: Value, indices: Value, updates: Value, axis: number): Value {
  const a = checkElements('scatterAdd', x, indices, axis);
  checkSameDType('scatterAdd', x, updates);
  if (!shapesEqual(indices.shape, updates.shape)) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, 'scatterAdd')}: updates ${formatShape(updates.shape)} must have the shape of indices ${formatShape(indices.shape)}`,
    );
  }
  return emit1(
    x.graph,
    scatterElementsP,
    [x, indices, updates],
    { dtype: x.dtype, shape: x.shape },
    { axis: { i: a }, reduction: { s: 'add' } },
  );
}

const gatherNDP = primitive('GatherND', {
  vjp: vjp1((n, g) => [scatterNDAdd(zerosLike(inputOf(n, 0)), inputOf(n, 1), g), null]),
});
const scatterNDP = primitive('ScatterND', {
  vjp: vjp1((n, g, needs) => [g, null, needs[2] ? gatherND(g, inputOf(n, 1)) : null]),
});

function ndDepth(op: string, x: Value, indices: Value): number {
  checkDType(op, indices, ['int64']);
  const q = indices.shape[indices.rank - 1];
  if (indices.rank < 1 || typeof q !== 'number' || q < 1 || q > x.rank) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: indices ${formatShape(indices.shape)} for input ${formatShape(x.shape)}; expected a static last dim in [1, ${x.rank}]`,
    );
  }
  return q;
}

/**
 * ONNX GatherND (batch_dims 0): indices `[..., q]` address the first q axes of `x`.
 * x: [D1..Dr], indices: [...I, q] (int64) -> [...I, D(q+1)..Dr].
 *
 * @example gatherND(w, unsqueeze(ids, -1))   // w: [V, D], ids: [N] -> [N, D]
 */
export function gatherND(x: Value, indices: Value): Value {
  const q = ndDepth('gatherND', x, indices);
  const shape = [...indices.shape.slice(0, -1), ...x.shape.slice(q)];
  return emit1(x.graph, gatherNDP, [x, indices], { dtype: x.dtype, shape });
}

/**
 * ONNX ScatterND with `reduction='add'`: `x` plus `updates` added at the addressed
 * slices (duplicates add). updates: [...I, D(q+1)..Dr] for indices [...I, q].
 *
 * @example scatterNDAdd(zerosLike(w), unsqueeze(ids, -1), g)   // the embedding gradient
 */
export function scatterNDAdd(x: Value, indices: Value, updates: Value): Value {
  const q = ndDepth('scatterNDAdd', x, indices);
  checkSameDType('scatterNDAdd', x, updates);
  const want = [...indices.shape.slice(0, -1), ...x.shape.slice(q)];
  if (!shapesEqual(want, updates.shape)) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, 'scatterNDAdd')}: updates ${formatShape(updates.shape)} for input ${formatShape(x.shape)} and indices ${formatShape(indices.shape)}; expected ${formatShape(want)}`,
    );
  }
  return emit1(
    x.graph,
    scatterNDP,
    [x, indices, updates],
    { dtype: x.dtype, shape: x.shape },
    { reduction: { s: 'add' } },
  );
}

/**
 * Embedding lookup (a Gather on axis 0); the weight gradient scatter-adds, so repeated ids add.
 * weight: [V, D], ids: [...] (int64/int32) -> [..., D].
 *
 * @example embedding(table, tokens)   // table: [1000, 64], tokens: [batch, 16] -> [batch, 16, 64]
 */
export function embedding(weight: Value, ids: Value): Value {
  if (weight.rank !== 2) {
    throw new ShapeError(
      `${scopedOp(weight.graph.currentScope, 'embedding')}: weight ${formatShape(weight.shape)} with ids ${formatShape(ids.shape)}; expected weight [V, D]`,
    );
  }
  checkDType('embedding', ids, INDEX_DTYPES);
  return gather(weight, ids, 0);
}
