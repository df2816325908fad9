/**
 * 2-D convolution and transposed convolution (NCHW), PyTorch semantics over ONNX
 * `Conv` / `ConvTranspose`. Each one's VJP is written with traced ops (Conv, ConvTranspose,
 * Gemm, Slice, Pad, Transpose, Concat), so gradients of any order stay differentiable.
 *
 * The backward graphs are chosen for ONNX Runtime's CPU provider, whose Conv is im2col + one
 * GEMM per image (see docs/performance.md):
 * - the weight gradient is one GEMM per kernel tap over the whole batch (K = N*H'*W'), not a
 *   Conv whose "kernel" is the output image (a GEMM with 9 columns per image, 3-5x slower);
 * - the input gradient of a stride-1 Conv is a Conv with the flipped, transposed kernel,
 *   which runs about 2x faster than the equivalent ConvTranspose (GEMM + col2im).
 */
import { ShapeError, scopedOp } from '../errors.js';
import { type Node, primitive, type Value, vjp1 } from '../graph/graph.js';
import { type Dim, formatShape, symbolicSize } from '../graph/shape.js';
import { Tensor } from '../tensor.js';
import { concat } from './concat.js';
import { checkFloat, checkSameDType, emit1 } from './core.js';
import { linear, matmul } from './matmul.js';
import { sum } from './reduce.js';
import { reshape, transpose, unsqueeze } from './shape.js';
import { emitSlice, pad, slice } from './slice.js';

/** A per-axis hyper-parameter: one number for both spatial axes, or `[h, w]`. */
export type Pair = number | readonly [number, number];

/** Options of {@link conv2d}. Padding is symmetric (PyTorch-style). */
export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** Options of {@link convTranspose2d}; `outputPadding` adds rows/cols at the end (< stride). */
export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Pair;
}

/** Normalized geometry shared by the shape rules and the VJPs. */
interface Geom {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** Expand a {@link Pair} to `[h, w]`, checking each is an integer >= `min`. */
export function pair(
  op: string,
  name: string,
  v: Pair | undefined,
  dflt: number,
  min: number,
): [number, number] {
  const p: [number, number] =
    v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.length !== 2 || !p.every((e) => Number.isInteger(e) && e >= min)) {
    throw new ShapeError(
      `${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`,
    );
  }
  return p;
}

function geom(op: string, o: Conv2dOptions): Geom {
  const groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ShapeError(`${op}: groups must be a positive integer, got ${groups}`);
  return {
    stride: pair(op, 'stride', o.stride, 1, 1),
    padding: pair(op, 'padding', o.padding, 0, 0),
    dilation: pair(op, 'dilation', o.dilation, 1, 1),
    groups,
  };
}

/** ONNX attributes (names as in the spec) for a geometry and kernel size. */
function attrsOf(g: Geom, k: readonly number[]) {
  const [ph, pw] = g.padding;
  return {
    dilations: { ints: g.dilation },
    group: { i: g.groups },
    kernel_shape: { ints: k },
    pads: { ints: [ph, pw, ph, pw] },
    strides: { ints: g.stride },
  };
}

/** Read the geometry back from a Conv/ConvTranspose node (for its VJP). */
function geomOf(n: Node): Geom {
  const two = (name: string) =>
    (n.attrs[name] as { ints: readonly number[] }).ints.slice(0, 2) as [number, number];
  return {
    stride: two('strides'),
    padding: two('pads'),
    dilation: two('dilations'),
    groups: (n.attrs.group as { i: number }).i,
  };
}

/** Two dims that hold the same count (symbolic dims compared as factor x symbols, e.g. `batch*2`). */
function sameDim(a: Dim, b: Dim): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  const x = symbolicSize([a]);
  const y = symbolicSize([b]);
  return x.factor === y.factor && x.symbols.join('*') === y.symbols.join('*');
}

/** `d * k`, spelled for symbols as `inferDim` does (so reshape-produced dims compare equal). */
function scaleDim(d: Dim, k: number): Dim {
  if (k === 1 || typeof d === 'number') return typeof d === 'number' ? d * k : d;
  const { factor, symbols } = symbolicSize([d]);
  return [...symbols, String(factor * k)].join('*');
}

/** Static spatial dims of a rank-4 NCHW value, or a ShapeError naming both operands. */
function spatial(op: string, what: string, v: Value, shapes: string): [number, number] {
  const [h, w] = v.shape.slice(2);
  if (typeof h !== 'number' || typeof w !== 'number') {
    throw new ShapeError(
      `${op}: ${shapes}: the ${what}'s spatial dims must be static numbers (only N and C may be symbolic)`,
    );
  }
  return [h, w];
}

function checkOperands(
  name: string,
  x: Value,
  w: Value,
  b: Value | undefined,
  xLayout: string,
  wLayout: string,
): string {
  const op = scopedOp(x.graph.currentScope, name);
  checkFloat(name, x);
  checkSameDType(name, ...(b ? [x, w, b] : [x, w]));
  if (x.rank !== 4 || w.rank !== 4) {
    throw new ShapeError(
      `${op}: input ${formatShape(x.shape)} and weight ${formatShape(w.shape)}: expected input ${xLayout} and weight ${wLayout}`,
    );
  }
  return op;
}

const conv2dP = primitive('Conv', {
  vjp: vjp1((n, g, needs) => {
    const [x, w, b] = n.inputs as Value[];
    const o = geomOf(n);
    const k = w.shape.slice(2) as number[];
    // Rows/cols of the padded input that no window reached; ConvTranspose must re-create them.
    const outputPadding = [0, 1].map(
      (i) =>
        ((x.shape[2 + i] as number) + 2 * o.padding[i] - o.dilation[i] * (k[i] - 1) - 1) %
        o.stride[i],
    );
    return [
      needs[0] ? inputGrad(g, w, o, outputPadding as [number, number]) : null,
      needs[1] ? weightGrad(x, g, o, k) : null,
      b && needs[2] ? sum(g, [0, 2, 3]) : null,
    ];
  }),
});

/**
 * 2-D convolution (PyTorch `F.conv2d`, cross-correlation) via ONNX `Conv`.
 * x: [N, C, H, W], w: [O, C/groups, kh, kw], b: [O] -> [N, O, H', W'] with
 * H' = floor((H + 2p - d(kh-1) - 1) / s) + 1. N (and C when groups = 1) may be symbolic.
 *
 * @example conv2d(x, w, b, { stride: 2, padding: 1 })   // x: [batch, 3, 32, 32], w: [16, 3, 3, 3] -> [batch, 16, 16, 16]
 */
export function conv2d(x: Value, w: Value, b?: Value, opts: Conv2dOptions = {}): Value {
  const op = checkOperands('conv2d', x, w, b, '[N, C, H, W]', '[O, C/groups, kh, kw]');
  const shapes = `input ${formatShape(x.shape)} and weight ${formatShape(w.shape)}`;
  const o = geom(op, opts);
  const G = o.groups;
  const [O, Cg] = w.shape;
  if (G > 1 && (typeof O !== 'number' || O % G !== 0)) {
    throw new ShapeError(
      `${op}: ${shapes}: groups ${G} must divide the weight's output channels ${O}`,
    );
  }
  if (G > 1 && typeof x.shape[1] === 'number' && x.shape[1] % G !== 0) {
    throw new ShapeError(
      `${op}: ${shapes}: groups ${G} must divide the input channels ${x.shape[1]}`,
    );
  }
  if (!sameDim(x.shape[1], scaleDim(Cg, G))) {
    throw new ShapeError(
      `${op}: ${shapes}: channel mismatch: the input has ${x.shape[1]} channels but the weight expects ${Cg} x groups ${G} = ${scaleDim(Cg, G)}; ` +
        `expected weight [O, ${typeof x.shape[1] === 'number' ? x.shape[1] / G : `${x.shape[1]}/${G}`}, kh, kw]`,
    );
  }
  const size = spatial(op, 'input', x, shapes);
  const k = spatial(op, 'weight', w, shapes);
  const out = [0, 1].map((i) => {
    const span = o.dilation[i] * (k[i] - 1) + 1;
    const padded = size[i] + 2 * o.padding[i];
    if (span > padded) {
      throw new ShapeError(
        `${op}: ${shapes}: kernel spans ${span} (dilation ${o.dilation[i]}) but the padded input has only ${padded} along axis ${2 + i}`,
      );
    }
    return Math.floor((padded - span) / o.stride[i]) + 1;
  });
  checkBias(op, b, O, shapes);
  return emit1(
    x.graph,
    conv2dP,
    b ? [x, w, b] : [x, w],
    { dtype: x.dtype, shape: [x.shape[0], O, ...out] },
    attrsOf(o, k),
  );
}

function checkBias(op: string, b: Value | undefined, channels: Dim, shapes: string): void {
  if (b && (b.rank !== 1 || !sameDim(b.shape[0], channels))) {
    throw new ShapeError(
      `${op}: ${shapes}: bias ${formatShape(b.shape)} does not match; expected [${channels}]`,
    );
  }
}

const convTranspose2dP = primitive('ConvTranspose', {
  vjp: vjp1((n, g, needs) => {
    const [x, w, b] = n.inputs as Value[];
    const o = geomOf(n);
    return [
      needs[0] ? conv2d(g, w, undefined, o) : null,
      needs[1] ? weightGrad(g, x, o, w.shape.slice(2) as number[]) : null,
      b && needs[2] ? sum(g, [0, 2, 3]) : null,
    ];
  }),
});

/**
 * Transposed convolution (PyTorch `F.conv_transpose2d`) via ONNX `ConvTranspose`: the
 * adjoint of {@link conv2d} with the same options. x: [N, Cin, H, W],
 * w: [Cin, Cout/groups, kh, kw], b: [Cout] -> [N, Cout, H', W'] with
 * H' = (H - 1)s - 2p + d(kh - 1) + outputPadding + 1. `outputPadding` must be < stride.
 *
 * @example convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 })   // x: [batch, 16, 8, 8], w: [16, 3, 3, 3] -> [batch, 3, 16, 16]
 */
export function convTranspose2d(
  x: Value,
  w: Value,
  b?: Value,
  opts: ConvTranspose2dOptions = {},
): Value {
  const op = checkOperands(
    'convTranspose2d',
    x,
    w,
    b,
    '[N, Cin, H, W]',
    '[Cin, Cout/groups, kh, kw]',
  );
  const shapes = `input ${formatShape(x.shape)} and weight ${formatShape(w.shape)}`;
  const o = geom(op, opts);
  const G = o.groups;
  const outPad = pair(op, 'outputPadding', opts.outputPadding, 0, 0);
  if (outPad.some((e, i) => e >= o.stride[i])) {
    // Larger output padding would add rows the adjoint Conv cannot give back.
    throw new ShapeError(
      `${op}: outputPadding [${outPad}] must be smaller than stride [${o.stride}]`,
    );
  }
  if (!sameDim(x.shape[1], w.shape[0])) {
    throw new ShapeError(
      `${op}: ${shapes}: channel mismatch: the input has ${x.shape[1]} channels but the weight has ${w.shape[0]}; expected weight [${x.shape[1]}, Cout/groups, kh, kw]`,
    );
  }
  if (G > 1 && (typeof w.shape[0] !== 'number' || w.shape[0] % G !== 0)) {
    throw new ShapeError(
      `${op}: ${shapes}: groups ${G} must divide the input channels ${w.shape[0]}`,
    );
  }
  const size = spatial(op, 'input', x, shapes);
  const k = spatial(op, 'weight', w, shapes);
  const out = [0, 1].map((i) => {
    const h =
      (size[i] - 1) * o.stride[i] - 2 * o.padding[i] + o.dilation[i] * (k[i] - 1) + outPad[i] + 1;
    if (h < 1)
      throw new ShapeError(
        `${op}: ${shapes}: padding ${o.padding[i]} leaves an empty output along axis ${2 + i} (size ${h})`,
      );
    return h;
  });
  const Cout = scaleDim(w.shape[1], G);
  checkBias(op, b, Cout, shapes);
  const attrs = { ...attrsOf(o, k), output_padding: { ints: outPad } };
  return emit1(
    x.graph,
    convTranspose2dP,
    b ? [x, w, b] : [x, w],
    { dtype: x.dtype, shape: [x.shape[0], Cout, ...out] },
    attrs,
  );
}

/**
 * The input gradient of a Conv: its ConvTranspose with the same geometry. A stride-1,
 * ungrouped Conv whose padding is at most its dilated kernel span takes instead the
 * equivalent Conv of g with the kernel flipped and its channel axes swapped:
 * dx[n,c,y,x] = sum g[n,o,y+p-i*d,x+p-j*d] w[o,c,i,j].
 */
function inputGrad(g: Value, w: Value, o: Geom, outputPadding: [number, number]): Value {
  const k = w.shape.slice(2) as number[];
  const full = [0, 1].map((i) => o.dilation[i] * (k[i] - 1) - o.padding[i]);
  if (o.groups === 1 && o.stride.every((s) => s === 1) && full.every((p) => p >= 0)) {
    const flipped = slice(w, [-1, -1], [-Infinity, -Infinity], [2, 3], [-1, -1]);
    return conv2d(g, transpose(flipped, [1, 0, 2, 3]), undefined, {
      padding: full as [number, number],
      dilation: o.dilation,
    });
  }
  return convTranspose2d(g, w, undefined, { ...o, outputPadding });
}

/**
 * The weight gradient of a Conv (a = input, b = output cotangent) or of a
 * ConvTranspose (a = output cotangent, b = input): both are a correlation over the
 * batch. a: [N, Ca, H, W], b: [N, Cb, H', W'] -> [Cb, Ca/groups, kh, kw].
 *
 * Ungrouped: one GEMM per kernel tap (i, j) over the whole batch, b as [Cb, N*H'*W'] times
 * the tap's window of the padded a as [Ca, N*H'*W'] transposed, stacked into the kernel's
 * last axes (stride 1: windows are contiguous shifts on the flattened padded grid).
 * Grouped: one Conv with batch and channel roles swapped, stride and dilation exchanged.
 */
function weightGrad(a: Value, b: Value, o: Geom, k: readonly number[]): Value {
  const G = o.groups;
  if (G === 1) return weightGradByTaps(a, b, o, k);
  let img: Value;
  if (G === 1) img = transpose(a, [1, 0, 2, 3]);
  else {
    // [N, G*Ca/G, H, W] -> [Ca/G, G*N, H, W]: channel j*N + n holds group j of sample n,
    // so a grouped Conv pairs each group of a with the same group of b.
    const [N, , H, W] = a.shape;
    const t = transpose(reshape(a, [N, G, -1, H, W]), [2, 1, 0, 3, 4]);
    img = reshape(t, [t.shape[0], -1, H, W]);
  }
  const full = conv2d(img, transpose(b, [1, 0, 2, 3]), undefined, {
    stride: o.dilation,
    dilation: o.stride,
    padding: o.padding,
    groups: G,
  });
  // Trailing rows/cols that no forward window reached make the result larger than the kernel.
  return transpose(cropHW(full, k[0], k[1]), [1, 0, 2, 3]);
}

function weightGradByTaps(a: Value, b: Value, o: Geom, k: readonly number[]): Value {
  const [Ca, Cb] = [a.shape[1], b.shape[1]];
  const [Ho, Wo] = b.shape.slice(2) as number[];
  const [ph, pw] = o.padding;
  if (o.stride.every((s) => s === 1)) {
    // Stride 1: on the padded grid [H + 2ph, W + 2pw] flattened per (channel, image), tap
    // (i, j) pairs output position r = y*Wp + x with input position r + i*d*Wp + j*d. With b
    // zero-padded onto the same grid, each tap is one contiguous shift of one operand (the
    // one with fewer channels), padded once with R extra rows so every shift exists.
    const [H, W] = a.shape.slice(2) as number[];
    const [Hp, Wp] = [H + 2 * ph, W + 2 * pw];
    const L = Hp * Wp;
    const offsets: number[] = [];
    for (let i = 0; i < k[0]; i++)
      for (let j = 0; j < k[1]; j++) offsets.push(i * o.dilation[0] * Wp + j * o.dilation[1]);
    const far = offsets[offsets.length - 1];
    const R = Math.ceil(far / Wp);
    const at = transpose(a, [1, 0, 2, 3]);
    const bt = transpose(b, [1, 0, 2, 3]);
    const shiftB = typeof Ca === 'number' && typeof Cb === 'number' && Cb < Ca;
    // [C, N, rows, Wp] flattened to [C, N*rows*Wp] (fixed) or [C, N, rows*Wp] (shifted).
    const onGrid = (v: Value, top: number, bottom: number, left: number, right: number) =>
      pad(v, [0, 0, top, left, 0, 0, bottom, right]);
    const fixed = shiftB
      ? reshape(onGrid(at, ph, ph, pw, pw), [Ca, -1])
      : reshape(onGrid(bt, 0, Hp - Ho, 0, Wp - Wo), [Cb, -1]);
    const wide = shiftB
      ? reshape(onGrid(bt, R, Hp - Ho, 0, Wp - Wo), [Cb, -1, (R + Hp) * Wp])
      : reshape(onGrid(at, ph, ph + R, pw, pw), [Ca, -1, (Hp + R) * Wp]);
    const taps: Value[] = [];
    for (const off of offsets) {
      const start = shiftB ? R * Wp - off : off;
      const win = reshape(slice(wide, [start], [start + L], [2]), [shiftB ? Cb : Ca, -1]);
      taps.push(unsqueeze(shiftB ? linear(win, fixed) : linear(fixed, win), [2]));
    }
    const stacked = taps.length === 1 ? taps[0] : concat(taps, 2);
    return reshape(stacked, [Cb, Ca, k[0], k[1]]);
  }
  // Strided: the columns of a (im2col) by a Conv with one one-hot kernel per tap, then one
  // GEMM per image [Cb, H'W'] x [H'W', Ca*kh*kw], summed over the batch. (Strided Slices
  // of the padded a, one per tap, cost more than these GEMMs in ORT.)
  const [H, W] = a.shape.slice(2) as number[];
  const kk = k[0] * k[1];
  const oneHot = new Float32Array(kk * kk);
  for (let t = 0; t < kk; t++) oneHot[t * kk + t] = 1;
  const cols = conv2d(
    reshape(a, [-1, 1, H, W]),
    a.graph.constant(new Tensor('float32', [kk, 1, k[0], k[1]], oneHot)),
    undefined,
    { stride: o.stride, padding: o.padding, dilation: o.dilation },
  );
  const patches = reshape(
    cols,
    typeof Ca === 'number' ? [-1, Ca * kk, Ho * Wo] : [a.shape[0], -1, Ho * Wo],
  );
  const perImage = matmul(reshape(b, [-1, Cb, Ho * Wo]), transpose(patches, [0, 2, 1]));
  return reshape(sum(perImage, [0]), [Cb, Ca, k[0], k[1]]);
}

/**
 * Keep the first h rows and w cols of a rank-4 value: a Slice without steps, whose
 * gradient is a Pad without a fill value (see emitSlice).
 */
function cropHW(x: Value, h: number, w: number): Value {
  if (x.shape[2] === h && x.shape[3] === w) return x;
  return emitSlice(x, [x.shape[0], x.shape[1], h, w], [0, 0], [h, w], [2, 3]);
}
