/**
 * Slice and Pad (ONNX opset 21), each the other's VJP: the gradient of a slice pads
 * the cotangent back with zeros (dilating strided axes first), and the gradient of a
 * pad slices the padding off again.
 */
import { ShapeError, scopedOp } from '../errors.js';
import { inputOf, type Node, primitive, type Value, vjp1 } from '../graph/graph.js';
import { type Dim, formatShape, normAxis, shapesEqual } from '../graph/shape.js';
import { constArray, emit1, ints, iota, scalar } from './core.js';
import { zerosLike } from './creation.js';
import { gather } from './gather.js';
import { reshapeTo, unsqueeze } from './shape.js';

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
  vjp: vjp1((n, g) => [sliceGrad(n, g), null, null, null, null]),
});

/**
 * Emit one ONNX Slice node with output `shape`. Without `steps` the optional steps
 * input is left out (ONNX default: all 1), and the node's gradient Pad then leaves out
 * its fill value the same way (conv's crop of the weight gradient uses this form).
 */
export function emitSlice(
  x: Value,
  shape: readonly Dim[],
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[],
  steps?: readonly number[],
): Value {
  const g = x.graph;
  const inputs = [x, ints(g, starts), ints(g, ends), ints(g, axes)];
  if (steps) inputs.push(ints(g, steps));
  return emit1(g, sliceP, inputs, { dtype: x.dtype, shape });
}

/** Scatter `g` back into zeros shaped like the sliced input: dilate strided axes, then Pad. */
function sliceGrad(n: Node, g: Value): Value {
  const x = inputOf(n, 0);
  const [starts, ends, axes] = [1, 2, 3].map((i) => constArray(n, i));
  const stepsGiven = n.inputs.length > 4;
  const steps = stepsGiven ? constArray(n, 4) : axes.map(() => 1);
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
  return stepsGiven ? pad(gi, pads) : emitPad(gi, padShape('pad', gi, pads, 'constant'), pads);
}

/** Insert `stride - 1` zeros between the `cnt` entries along `axis`. */
function dilate(g: Value, axis: number, stride: number, cnt: number): Value {
  const pads = iota(0, 2 * g.rank + 2).map((i) => (i === g.rank + 2 + axis ? stride - 1 : 0));
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
  const op = scopedOp(x.graph.currentScope, 'slice');
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
  let y = x;
  if (emit.axes.length > 0) y = emitSlice(x, shape, emit.starts, emit.ends, emit.axes, emit.steps);
  for (const a of reversed) y = gather(y, ints(x.graph, iota(0, shape[a] as number).reverse()), a);
  return y;
}

const padP = primitive('Pad', {
  vjp: vjp1((n, g) => {
    const x = inputOf(n, 0);
    const pads = constArray(n, 1);
    const axes = iota(0, x.rank).filter((a) => pads[a] !== 0 || pads[a + x.rank] !== 0);
    const lo = axes.map((a) => pads[a]);
    const hi = axes.map((a, i) => lo[i] + (x.shape[a] as number));
    // A Pad without its fill value (the gradient of a step-less Slice) gets a step-less Slice.
    const dx =
      n.inputs.length > 2
        ? slice(g, lo, hi, axes)
        : emitSlice(
            g,
            g.shape.map((d, a) => (axes.includes(a) ? x.shape[a] : d)),
            lo,
            hi,
            axes,
          );
    return [dx, null, null];
  }),
});

/** The shape of `x` padded by `pads`; throws unless the pads fit `x` and `mode`. */
function padShape(
  op: string,
  x: Value,
  pads: readonly number[],
  mode: 'constant' | 'reflect',
): Dim[] {
  const at = scopedOp(x.graph.currentScope, op);
  const r = x.rank;
  if (pads.length !== 2 * r || pads.some((p) => !(Number.isInteger(p) && p >= 0))) {
    throw new ShapeError(
      `${at}: pads [${pads.join(',')}] for input ${formatShape(x.shape)}; expected ${2 * r} non-negative integers [b1..bn, e1..en]`,
    );
  }
  return x.shape.map((d, a) => {
    if (pads[a] === 0 && pads[a + r] === 0) return d;
    if (typeof d !== 'number')
      throw new ShapeError(`${at}: cannot pad symbolic axis ${a} of ${formatShape(x.shape)}`);
    if (mode === 'reflect' && (pads[a] >= d || pads[a + r] >= d)) {
      throw new ShapeError(
        `${at}: reflect pads [${pads[a]}, ${pads[a + r]}] on axis ${a} of ${formatShape(x.shape)} must be < ${d}`,
      );
    }
    return d + pads[a] + pads[a + r];
  });
}

/**
 * Emit one constant-mode ONNX Pad node with output `shape`. Without `value` the optional
 * fill input is left out (ONNX default 0), and the node's gradient Slice then leaves out
 * its steps the same way.
 */
function emitPad(x: Value, shape: readonly Dim[], pads: readonly number[], value?: number): Value {
  const g = x.graph;
  const inputs = [x, ints(g, pads)];
  if (value !== undefined) inputs.push(scalar(g, value, x.dtype));
  return emit1(g, padP, inputs, { dtype: x.dtype, shape }, { mode: { s: 'constant' } });
}

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
  const shape = padShape('pad', x, pads, mode);
  if (shapesEqual(shape, x.shape)) return x;
  if (mode === 'reflect') return reflectPad(x, pads);
  return emitPad(x, shape, pads, value);
}

/** Reflect padding as one constant-index Gather per axis; its gradient (scatter-add) folds the edges back. */
function reflectPad(x: Value, pads: readonly number[]): Value {
  let y = x;
  for (let a = 0; a < x.rank; a++) {
    const [b, e, d] = [pads[a], pads[a + x.rank], x.shape[a] as number];
    if (b === 0 && e === 0) continue;
    const index = [...iota(1, b + 1).reverse(), ...iota(0, d), ...iota(d - 1 - e, d - 1).reverse()];
    y = gather(y, ints(x.graph, index), a);
  }
  return y;
}
