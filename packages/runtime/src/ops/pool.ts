/**
 * Pooling and nearest-neighbour upsampling (NCHW) over ONNX `AveragePool`, `MaxPool`
 * and `Resize`. VJPs are traced ops (ConvTranspose, scatter/gather, reshape + sum),
 * so they can be differentiated again.
 */
import { ShapeError, where } from '../errors.js';
import { type Value, primitive } from '../graph/graph.js';
import { formatShape } from '../graph/shape.js';
import { Tensor } from '../tensor.js';
import { checkFloat, emit1, scalar } from './core.js';
import { type Pair, convTranspose2d, pair } from './conv.js';
import { sum } from './reduce.js';
import { expandAs, reshape, reshapeLike } from './shape.js';

/** Validated pooling window geometry and the static output size. */
interface PoolGeom {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  out: [number, number];
}

function poolGeom(name: string, x: Value, kernel: Pair, stride: Pair | undefined, padding: Pair): PoolGeom {
  const op = where(x.graph.currentScope, name);
  checkFloat(name, x);
  const k = pair(op, 'kernel', kernel, 1, 1);
  const s = pair(op, 'stride', stride ?? k, 1, 1);
  const p = pair(op, 'padding', padding, 0, 0);
  const [h, w] = x.shape.slice(2);
  if (x.rank !== 4 || typeof h !== 'number' || typeof w !== 'number') {
    throw new ShapeError(`${op}: input ${formatShape(x.shape)}: expected [N, C, H, W] with static H and W`);
  }
  // PyTorch's rule; it also keeps every window at least partly inside the input.
  if (p.some((e, i) => 2 * e > k[i])) {
    throw new ShapeError(`${op}: input ${formatShape(x.shape)}: padding [${p}] must be at most half the kernel [${k}]`);
  }
  const out = [h, w].map((d, i) => {
    const padded = d + 2 * p[i];
    if (padded < k[i]) throw new ShapeError(`${op}: input ${formatShape(x.shape)}: kernel [${k}] is larger than the padded input [${h + 2 * p[0]},${w + 2 * p[1]}]`);
    return Math.floor((padded - k[i]) / s[i]) + 1;
  }) as [number, number];
  return { kernel: k, stride: s, padding: p, out };
}

function poolAttrs(o: PoolGeom) {
  const [ph, pw] = o.padding;
  return { kernel_shape: { ints: o.kernel }, pads: { ints: [ph, pw, ph, pw] }, strides: { ints: o.stride } };
}

const avgPoolP = primitive('AveragePool', {
  vjp: (n, [g]) => {
    const x = n.inputs[0]!;
    const ints = (name: string) => (n.attrs[name] as { ints: readonly number[] }).ints;
    const [kh, kw] = ints('kernel_shape');
    const stride = ints('strides').slice(0, 2) as [number, number];
    const padding = ints('pads').slice(0, 2) as [number, number];
    // Spread each cotangent uniformly over its window: ConvTranspose with a 1/(kh*kw)
    // kernel. Channels are folded into the batch so one [1, 1, kh, kw] kernel serves all
    // (no grouped ConvTranspose, which WebGPU gets wrong, and C may be symbolic).
    const ones = new Tensor('float32', [1, 1, kh, kw], new Float32Array(kh * kw).fill(1 / (kh * kw)));
    const [H, W] = x.shape.slice(2) as number[];
    const outputPadding = [H, W].map((d, i) => (d + 2 * padding[i] - [kh, kw][i]) % stride[i]) as [number, number];
    const folded = reshape(g!, [-1, 1, g!.shape[2], g!.shape[3]]);
    const dx = convTranspose2d(folded, x.graph.constant(ones), undefined, { stride, padding, outputPadding });
    return [reshapeLike(dx, x)];
  },
});

/**
 * Average pooling (PyTorch `F.avg_pool2d` defaults: `count_include_pad = true`, so a
 * window overlapping the zero padding still divides by kh*kw; `ceil_mode = false`).
 * x: [N, C, H, W] -> [N, C, floor((H + 2p - kh) / s) + 1, ...].
 *
 * @example avgPool2d(x, 2)   // x: [batch, 8, 16, 16] -> [batch, 8, 8, 8]
 */
export function avgPool2d(x: Value, kernel: Pair, stride?: Pair, padding: Pair = 0): Value {
  const o = poolGeom('avgPool2d', x, kernel, stride, padding);
  const attrs = { ...poolAttrs(o), ceil_mode: { i: 0 }, count_include_pad: { i: 1 } };
  return emit1(x.graph, avgPoolP, [x], { dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...o.out] }, attrs);
}

const maxPoolP = primitive('MaxPool', {
  vjp: (n, [g]) => {
    const x = n.inputs[0]!;
    // Indices are flat positions in x (padding ignored, storage_order 0): route each
    // cotangent to its argmax, adding where windows overlap on the same element.
    const flatX = reshape(x, [-1]);
    const zeros = expandAs(scalar(x.graph, 0, x.dtype), flatX);
    const dx = scatterAdd(zeros, reshape(n.outputs[1], [-1]), reshape(g!, [-1]));
    return [reshapeLike(dx, x)];
  },
});

/**
 * Max pooling (PyTorch `F.max_pool2d`, padding counts as -inf, `ceil_mode = false`).
 * The gradient goes to each window's argmax. x: [N, C, H, W] -> [N, C, H', W'].
 *
 * @example maxPool2d(x, 3, 2, 1)   // x: [batch, 64, 32, 32] -> [batch, 64, 16, 16]
 */
export function maxPool2d(x: Value, kernel: Pair, stride?: Pair, padding: Pair = 0): Value {
  const o = poolGeom('maxPool2d', x, kernel, stride, padding);
  const shape = [x.shape[0], x.shape[1], ...o.out];
  const attrs = { ...poolAttrs(o), ceil_mode: { i: 0 }, storage_order: { i: 0 } };
  // Two outputs (values and int64 Indices), so emit directly; Indices stay internal.
  return x.graph.emit(maxPoolP, [x], attrs, [
    { dtype: x.dtype, shape },
    { dtype: 'int64', shape },
  ])[0];
}

const scatterAddP = primitive('ScatterElements', {
  vjp: (n, [g], needs) => [needs[0] ? g : null, null, needs[2] ? gatherFlat(g!, n.inputs[1]!) : null],
});
const gatherFlatP = primitive('GatherElements', {
  vjp: (n, [g]) => {
    const src = n.inputs[0]!;
    return [scatterAdd(expandAs(scalar(src.graph, 0, src.dtype), src), n.inputs[1]!, g!), null];
  },
});

/** data[idx[i]] += upd[i] on 1-D values (ScatterElements, reduction 'add'; duplicates add). */
function scatterAdd(data: Value, idx: Value, upd: Value): Value {
  return emit1(data.graph, scatterAddP, [data, idx, upd], { dtype: data.dtype, shape: data.shape }, { axis: { i: 0 }, reduction: { s: 'add' } });
}

/** src[idx[i]] on 1-D values: the adjoint of scatterAdd. */
function gatherFlat(src: Value, idx: Value): Value {
  return emit1(src.graph, gatherFlatP, [src, idx], { dtype: src.dtype, shape: idx.shape }, { axis: { i: 0 } });
}

const upsampleP = primitive('Resize', {
  vjp: (n, [g]) => {
    const x = n.inputs[0]!;
    const s = n.inputs[2]!.constantData!.toArray()[2];
    const [N, C, H, W] = x.shape;
    // Each input pixel was copied into an s x s block: sum the block back.
    return [sum(reshape(g!, [N, C, H, s, W, s]), [3, 5]), null, null];
  },
});

/**
 * Nearest-neighbour upsampling by an integer factor (PyTorch `F.interpolate(mode='nearest')`):
 * ONNX `Resize` with `asymmetric` coordinates and `floor` rounding, so out[i] = in[floor(i / s)].
 * x: [N, C, H, W] -> [N, C, H*s, W*s]; H and W must be static.
 *
 * @example upsampleNearest2d(x, 2)   // x: [batch, 16, 8, 8] -> [batch, 16, 16, 16]
 */
export function upsampleNearest2d(x: Value, scale = 2): Value {
  const op = where(x.graph.currentScope, 'upsampleNearest2d');
  checkFloat('upsampleNearest2d', x);
  const [N, C, H, W] = x.shape;
  if (x.rank !== 4 || typeof H !== 'number' || typeof W !== 'number') {
    throw new ShapeError(`${op}: input ${formatShape(x.shape)}: expected [N, C, H, W] with static H and W`);
  }
  if (!Number.isInteger(scale) || scale < 1) throw new ShapeError(`${op}: scale must be a positive integer, got ${scale}`);
  if (scale === 1) return x;
  const scales = x.graph.constant(new Tensor('float32', [4], Float32Array.of(1, 1, scale, scale)));
  const attrs = {
    mode: { s: 'nearest' },
    coordinate_transformation_mode: { s: 'asymmetric' },
    nearest_mode: { s: 'floor' },
  };
  // roi is the empty (omitted) input; scales drives the size.
  return emit1(x.graph, upsampleP, [x, null, scales], { dtype: x.dtype, shape: [N, C, H * scale, W * scale] }, attrs);
}
