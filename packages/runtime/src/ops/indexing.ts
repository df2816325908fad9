/**
 * Indexing and layout ops: concat/split, slice, pad, tile, flatten, gather and
 * scatter families, embedding, oneHot. ONNX opset 21 semantics. Adjoint pairs
 * (concat/split, slice/pad, gather/scatter-add) are each other's VJPs, so every
 * gradient is built from traced ops and can be differentiated again.
 */
import { zerosLike } from '../autodiff/grad.js';
import { ShapeError, where } from '../errors.js';
import { type Graph, type Node, primitive, type Value } from '../graph/graph.js';
import { type Dim, formatShape, normAxis, shapesEqual } from '../graph/shape.js';
import { type DType, Tensor } from '../tensor.js';
import { checkDType, checkSameDType, emit1, ints, scalar } from './core.js';
import { cast, equal } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape, reshapeLike, shapeOf, transpose, unsqueeze } from './shape.js';

const INDEX_DTYPES: readonly DType[] = ['int64', 'int32'];
const attrInt = (n: Node, name: string): number => (n.attrs[name] as { i: number }).i;
const constInts = (n: Node, i: number): number[] => n.inputs[i]!.constantData!.toArray();
const range = (lo: number, hi: number): number[] =>
  Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);

function axisOf(op: string, x: Value, axis: number): number {
  const a = normAxis(axis, x.rank);
  if (a < 0)
    throw new ShapeError(
      `${where(x.graph.currentScope, op)}: axis ${axis} is out of range for input ${formatShape(x.shape)}`,
    );
  return a;
}

/**
 * Reshape where a symbol may change position: a symbol at the same index is copied
 * (ONNX `0`), at most one moved symbol becomes `-1`. Used by VJPs that split or merge axes.
 */
function reshapeTo(x: Value, target: readonly Dim[]): Value {
  const spec = target.map((d, k) => (typeof d === 'number' || x.shape[k] === d ? d : -1));
  if (spec.filter((d) => d === -1).length > 1) {
    throw new ShapeError(
      `${where(x.graph.currentScope, 'reshape')}: cannot move two symbolic dims: ${formatShape(x.shape)} -> ${formatShape(target)}`,
    );
  }
  return reshape(x, spec);
}

// ---- concat / split -------------------------------------------------------

const concatP = primitive('Concat', {
  vjp: (n, [g]) => splitLike(g!, n.inputs as Value[], attrInt(n, 'axis')),
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
      `${where(x0.graph.currentScope, 'concat')}: shapes ${xs.map((x) => formatShape(x.shape)).join(', ')} differ outside axis ${a}; expected equal ranks and dims except axis ${a}`,
    );
  }
  if (xs.length === 1) return x0;
  const shape = x0.shape.map((d, i) => (i === a ? concatDim(xs.map((x) => x.shape[a])) : d));
  return emit1(x0.graph, concatP, xs, { dtype: x0.dtype, shape }, { axis: { i: a } });
}

const splitP = primitive('Split', {
  vjp: (n, cots) => {
    const x = n.inputs[0]!;
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
  const op = where(x.graph.currentScope, 'split');
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

// ---- slice / pad ------------------------------------------------------------

/** ONNX Slice normalization of one axis of size `d`: clamped start/end and the element count. */
function sliceRange(
  d: number,
  start: number,
  end: number,
  step: number,
): { start: number; end: number; n: number } {
  const norm = (v: number) => (v < 0 ? v + d : v);
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = step > 0 ? clamp(norm(start), 0, d) : clamp(norm(start), 0, d - 1);
  const e = step > 0 ? clamp(norm(end), 0, d) : clamp(norm(end), -1, d - 1);
  return { start: s, end: e, n: Math.max(0, Math.ceil((e - s) / step)) };
}

const sliceP = primitive('Slice', {
  vjp: (n, [g]) => [sliceGrad(n, g!), null, null, null, null],
});

/** Scatter `g` back into zeros shaped like the sliced input: dilate strided axes, then Pad. */
function sliceGrad(n: Node, g: Value): Value {
  const x = n.inputs[0]!;
  const [starts, ends, axes, steps] = [1, 2, 3, 4].map((i) => constInts(n, i));
  let gi = g;
  const pads = new Array<number>(2 * x.rank).fill(0);
  for (let i = 0; i < axes.length; i++) {
    const [a, d, st] = [axes[i], x.shape[axes[i]] as number, steps[i]];
    const { start, n: cnt } = sliceRange(d, starts[i], ends[i], st);
    if (cnt === 0) return zerosLike(x);
    if (st > 1 && cnt > 1) gi = dilate(gi, a, st, cnt);
    pads[a] = start;
    pads[a + x.rank] = d - start - ((cnt - 1) * st + 1);
  }
  return pad(gi, pads);
}

/** Insert `stride - 1` zeros between the `cnt` entries along `axis`. */
function dilate(g: Value, axis: number, stride: number, cnt: number): Value {
  const pads = range(0, 2 * g.rank + 2).map((i) => (i === g.rank + 2 + axis ? stride - 1 : 0));
  const padded = pad(unsqueeze(g, axis + 1), pads);
  const merged = reshapeTo(
    padded,
    g.shape.map((d, i) => (i === axis ? cnt * stride : d)),
  );
  return slice(merged, [0], [(cnt - 1) * stride + 1], [axis]);
}

/**
 * ONNX Slice with static starts/ends/steps: negative indices count from the end,
 * out-of-range values clamp, steps may be > 1 or negative. Symbolic dims may only be
 * sliced whole (`0` to `Infinity`, step 1). A negative step is emitted as a positive-step
 * Slice plus a constant-index Gather (ORT 1.30's WebGPU Slice misplaces negative-step starts).
 *
 * @example slice(x, [1], [-1], [1], [2])   // x: [N, 7] -> [N, 3] (columns 1, 3, 5)
 */
export function slice(
  x: Value,
  starts: readonly number[],
  ends: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
): Value {
  const op = where(x.graph.currentScope, 'slice');
  const ax = axes ?? starts.map((_, i) => i);
  const st = steps ?? starts.map(() => 1);
  if (ends.length !== starts.length || ax.length !== starts.length || st.length !== starts.length) {
    throw new ShapeError(
      `${op}: starts [${starts}], ends [${ends}], axes [${ax}] and steps [${st}] must have equal lengths`,
    );
  }
  const norm = ax.map((a) => normAxis(a, x.rank));
  if (norm.some((a) => a < 0) || new Set(norm).size !== norm.length) {
    throw new ShapeError(
      `${op}: bad axes [${ax.join(',')}] for input ${formatShape(x.shape)}; expected distinct axes in [${-x.rank}, ${x.rank - 1}]`,
    );
  }
  if (st.some((s) => !Number.isInteger(s) || s === 0))
    throw new ShapeError(`${op}: steps [${st.join(',')}] must be non-zero integers`);
  const shape = [...x.shape];
  const emit = {
    starts: [] as number[],
    ends: [] as number[],
    axes: [] as number[],
    steps: [] as number[],
  };
  const reversed: number[] = [];
  norm.forEach((a, i) => {
    const d = x.shape[a];
    if (typeof d !== 'number') {
      if (st[i] === 1 && (starts[i] === 0 || starts[i] <= -(2 ** 62)) && ends[i] >= 2 ** 62) return;
      throw new ShapeError(
        `${op}: axis ${a} of ${formatShape(x.shape)} is symbolic; only a whole slice (0 to Infinity, step 1) is supported`,
      );
    }
    const r = sliceRange(d, starts[i], ends[i], st[i]);
    if (r.n === d && st[i] === 1) return;
    shape[a] = r.n;
    // Take the same elements in ascending order; reverse them afterwards.
    const lo = st[i] > 0 ? r.start : r.start + (r.n - 1) * st[i];
    if (st[i] < 0 && r.n > 1) reversed.push(a);
    emit.starts.push(r.n > 0 ? lo : 0);
    emit.ends.push(r.n > 0 ? lo + (r.n - 1) * Math.abs(st[i]) + 1 : 0);
    emit.axes.push(a);
    emit.steps.push(Math.abs(st[i]));
  });
  const g = x.graph;
  let y = x;
  if (emit.axes.length > 0) {
    const inputs = [
      x,
      ints(g, emit.starts),
      ints(g, emit.ends),
      ints(g, emit.axes),
      ints(g, emit.steps),
    ];
    y = emit1(g, sliceP, inputs, { dtype: x.dtype, shape });
  }
  for (const a of reversed) y = gather(y, ints(g, range(0, shape[a] as number).reverse()), a);
  return y;
}

const padP = primitive('Pad', {
  vjp: (n, [g]) => {
    const x = n.inputs[0]!;
    const pads = constInts(n, 1);
    const axes = range(0, x.rank).filter((a) => pads[a] !== 0 || pads[a + x.rank] !== 0);
    const lo = axes.map((a) => pads[a]);
    return [
      slice(
        g!,
        lo,
        axes.map((a, i) => lo[i] + (x.shape[a] as number)),
        axes,
      ),
      null,
      null,
    ];
  },
});

/**
 * ONNX Pad. `pads` is `[b1..bn, e1..en]` (zeros added before/after each axis, >= 0).
 * `constant` mode fills with `value`; `reflect` mirrors without repeating the edge.
 * Symbolic dims cannot be padded.
 *
 * @example pad(x, [0, 0, 1, 1, 0, 0, 1, 1])   // x: [N, C, H, W] -> [N, C, H+2, W+2]
 */
export function pad(
  x: Value,
  pads: readonly number[],
  value = 0,
  mode: 'constant' | 'reflect' = 'constant',
): Value {
  const op = where(x.graph.currentScope, 'pad');
  const r = x.rank;
  if (pads.length !== 2 * r || pads.some((p) => !(Number.isInteger(p) && p >= 0))) {
    throw new ShapeError(
      `${op}: pads [${pads.join(',')}] for input ${formatShape(x.shape)}; expected ${2 * r} non-negative integers [b1..bn, e1..en]`,
    );
  }
  const shape: Dim[] = x.shape.map((d, a) => {
    if (pads[a] === 0 && pads[a + r] === 0) return d;
    if (typeof d !== 'number')
      throw new ShapeError(`${op}: cannot pad symbolic axis ${a} of ${formatShape(x.shape)}`);
    if (mode === 'reflect' && (pads[a] >= d || pads[a + r] >= d)) {
      throw new ShapeError(
        `${op}: reflect pads [${pads[a]}, ${pads[a + r]}] on axis ${a} of ${formatShape(x.shape)} must be < ${d}`,
      );
    }
    return d + pads[a] + pads[a + r];
  });
  if (shapesEqual(shape, x.shape)) return x;
  if (mode === 'reflect') return reflectPad(x, pads);
  return emit1(
    x.graph,
    padP,
    [x, ints(x.graph, pads), scalar(x.graph, value, x.dtype)],
    { dtype: x.dtype, shape },
    { mode: { s: 'constant' } },
  );
}

/** Reflect padding as one constant-index Gather per axis; its gradient (scatter-add) folds the edges back. */
function reflectPad(x: Value, pads: readonly number[]): Value {
  let y = x;
  for (let a = 0; a < x.rank; a++) {
    const [b, e, d] = [pads[a], pads[a + x.rank], x.shape[a] as number];
    if (b === 0 && e === 0) continue;
    const index = [
      ...range(1, b + 1).reverse(),
      ...range(0, d),
      ...range(d - 1 - e, d - 1).reverse(),
    ];
    y = gather(y, ints(x.graph, index), a);
  }
  return y;
}

// ---- tile / flatten ---------------------------------------------------------

const tileP = primitive('Tile', {
  vjp: (n, [g]) => {
    const x = n.inputs[0]!;
    const reps = constInts(n, 1);
    // [r0*d0, r1*d1, ...] -> [r0, d0, r1, d1, ...] (size-1 repeats omitted), then sum the r axes.
    const target: Dim[] = [];
    const axes: number[] = [];
    x.shape.forEach((d, i) => {
      if (reps[i] !== 1) axes.push(target.push(reps[i]) - 1);
      target.push(d);
    });
    return [sum(reshapeTo(g!, target), axes), null];
  },
});

/**
 * ONNX Tile: repeat `x` `repeats[i]` times along axis i. Symbolic dims need repeat 1.
 *
 * @example tile(x, [1, 3])   // x: [N, 4] -> [N, 12]
 */
export function tile(x: Value, repeats: readonly number[]): Value {
  const op = where(x.graph.currentScope, 'tile');
  if (repeats.length !== x.rank || repeats.some((r) => !(Number.isInteger(r) && r >= 0))) {
    throw new ShapeError(
      `${op}: repeats [${repeats.join(',')}] for input ${formatShape(x.shape)}; expected ${x.rank} non-negative integers`,
    );
  }
  const shape = x.shape.map((d, i) => {
    if (repeats[i] === 1) return d;
    if (typeof d !== 'number')
      throw new ShapeError(`${op}: cannot repeat symbolic axis ${i} of ${formatShape(x.shape)}`);
    return d * repeats[i];
  });
  if (repeats.every((r) => r === 1)) return x;
  return emit1(x.graph, tileP, [x, ints(x.graph, repeats)], { dtype: x.dtype, shape });
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
      `${where(x.graph.currentScope, 'flatten')}: axis ${axis} is out of range for input ${formatShape(x.shape)}`,
    );
  }
  const part = (dims: Dim[]): Dim =>
    dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((p, d) => p * d, 1) : -1;
  const lead = a === 1 ? x.shape[0] : part(x.shape.slice(0, a));
  const tail = part(x.shape.slice(a));
  if (lead === -1 && tail === -1) {
    throw new ShapeError(
      `${where(x.graph.currentScope, 'flatten')}: both halves of ${formatShape(x.shape)} at axis ${a} are symbolic`,
    );
  }
  return reshape(x, [lead, tail]);
}

// ---- gather / scatter -------------------------------------------------------

const gatherP = primitive('Gather', {
  vjp: (n, [g]) => [gatherGrad(n.inputs[0]!, n.inputs[1]!, g!, attrInt(n, 'axis')), null],
});

/** Scatter-add `g` back along `k`: move the gathered axis first so one ScatterND does it. */
function gatherGrad(x: Value, idx: Value, g: Value, k: number): Value {
  const ii = unsqueeze(cast(idx, 'int64'), -1);
  if (k === 0) return scatterNDAdd(zerosLike(x), ii, g);
  const m = idx.rank;
  const px = [k, ...range(0, k), ...range(k + 1, x.rank)];
  const pg = [...range(k, k + m), ...range(0, k), ...range(k + m, x.rank - 1 + m)];
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
  vjp: (n, [g]) => [
    scatterAdd(zerosLike(n.inputs[0]!), n.inputs[1]!, g!, attrInt(n, 'axis')),
    null,
  ],
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
      `${where(x.graph.currentScope, op)}: indices ${formatShape(indices.shape)} do not fit input ${formatShape(x.shape)}; expected the same rank and dims <= the input's off axis ${a}`,
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
  vjp: (n, [g], needs) => {
    return [g, null, needs[2] ? gatherElements(g!, n.inputs[1]!, attrInt(n, 'axis')) : null];
  },
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
      `${where(x.graph.currentScope, 'scatterAdd')}: updates ${formatShape(updates.shape)} must have the shape of indices ${formatShape(indices.shape)}`,
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
  vjp: (n, [g]) => [scatterNDAdd(zerosLike(n.inputs[0]!), n.inputs[1]!, g!), null],
});
const scatterNDP = primitive('ScatterND', {
  vjp: (n, [g], needs) => [g, null, needs[2] ? gatherND(g!, n.inputs[1]!) : null],
});

function ndDepth(op: string, x: Value, indices: Value): number {
  checkDType(op, indices, ['int64']);
  const q = indices.shape[indices.rank - 1];
  if (indices.rank < 1 || typeof q !== 'number' || q < 1 || q > x.rank) {
    throw new ShapeError(
      `${where(x.graph.currentScope, op)}: indices ${formatShape(indices.shape)} for input ${formatShape(x.shape)}; expected a static last dim in [1, ${x.rank}]`,
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
      `${where(x.graph.currentScope, 'scatterNDAdd')}: updates ${formatShape(updates.shape)} for input ${formatShape(x.shape)} and indices ${formatShape(indices.shape)}; expected ${formatShape(want)}`,
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

// ---- embedding / oneHot / arange -------------------------------------------

/**
 * Embedding lookup (a Gather on axis 0); the weight gradient scatter-adds, so repeated ids add.
 * weight: [V, D], ids: [...] (int64/int32) -> [..., D].
 *
 * @example embedding(table, tokens)   // table: [1000, 64], tokens: [batch, 16] -> [batch, 16, 64]
 */
export function embedding(weight: Value, ids: Value): Value {
  if (weight.rank !== 2) {
    throw new ShapeError(
      `${where(weight.graph.currentScope, 'embedding')}: weight ${formatShape(weight.shape)} with ids ${formatShape(ids.shape)}; expected weight [V, D]`,
    );
  }
  checkDType('embedding', ids, INDEX_DTYPES);
  return gather(weight, ids, 0);
}

/**
 * Integers `0..n-1` as a 1-D constant.
 *
 * @example arange(g, 4)   // int64 [4]: 0, 1, 2, 3
 */
export function arange(g: Graph, n: number, dtype: 'int64' | 'int32' | 'float32' = 'int64'): Value {
  const r = range(0, n);
  if (dtype === 'int64') return ints(g, r);
  return g.constant(
    dtype === 'int32'
      ? new Tensor('int32', [n], Int32Array.from(r))
      : new Tensor('float32', [n], Float32Array.from(r)),
  );
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
      `${where(ids.graph.currentScope, 'oneHot')}: depth ${depth} must be a positive integer`,
    );
  // WebGPU has no int64 Equal; class ids fit in int32.
  const hit = equal(unsqueeze(cast(ids, 'int32'), -1), arange(ids.graph, depth, 'int32'));
  return cast(hit, dtype);
}
