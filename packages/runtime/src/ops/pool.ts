/**
 * Pooling and nearest-neighbour upsampling (NCHW) over ONNX `AveragePool`, `MaxPool`
 * and `Resize`. VJPs are traced ops (ConvTranspose, comparisons, reshape + sum),
 * so they can be differentiated again.
 */
import { ShapeError, scopedOp } from '../errors.js';
import { inputOf, primitive, type Value, vjp1 } from '../graph/graph.js';
import { formatShape } from '../graph/shape.js';
import { Tensor } from '../tensor.js';
import { convTranspose2d, type Pair, pair } from './conv.js';
import { checkFloat, constArray, emit1 } from './core.js';
import { cast, div, equal, mul, where } from './elementwise.js';
import { gather } from './gather.js';
import { sum } from './reduce.js';
import { reshape, reshapeLike } from './shape.js';

/** Validated pooling window geometry and the static output size. */
interface PoolGeom {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  out: [number, number];
}

function poolGeom(
  name: string,
  x: Value,
  kernel: Pair,
  stride: Pair | undefined,
  padding: Pair,
): PoolGeom {
  const op = scopedOp(x.graph.currentScope, name);
  checkFloat(name, x);
  const k = pair(op, 'kernel', kernel, 1, 1);
  const s = pair(op, 'stride', stride ?? k, 1, 1);
  const p = pair(op, 'padding', padding, 0, 0);
  const [h, w] = x.shape.slice(2);
  if (x.rank !== 4 || typeof h !== 'number' || typeof w !== 'number') {
    throw new ShapeError(
      `${op}: input ${formatShape(x.shape)}: expected [N, C, H, W] with static H and W`,
    );
  }
  // PyTorch's rule; it also keeps every window at least partly inside the input.
  if (p.some((e, i) => 2 * e > k[i])) {
    throw new ShapeError(
      `${op}: input ${formatShape(x.shape)}: padding [${p}] must be at most half the kernel [${k}]`,
    );
  }
  const out = [h, w].map((d, i) => {
    const padded = d + 2 * p[i];
    if (padded < k[i])
      throw new ShapeError(
        `${op}: input ${formatShape(x.shape)}: kernel [${k}] is larger than the padded input [${h + 2 * p[0]},${w + 2 * p[1]}]`,
      );
    return Math.floor((padded - k[i]) / s[i]) + 1;
  }) as [number, number];
  return { kernel: k, stride: s, padding: p, out };
}

function poolAttrs(o: PoolGeom) {
  const [ph, pw] = o.padding;
  return {
    kernel_shape: { ints: o.kernel },
    pads: { ints: [ph, pw, ph, pw] },
    strides: { ints: o.stride },
  };
}

const avgPoolP = primitive('AveragePool', {
  vjp: vjp1((n, g) => {
    const x = inputOf(n, 0);
    const ints = (name: string) => (n.attrs[name] as { ints: readonly number[] }).ints;
    const [kh, kw] = ints('kernel_shape');
    const stride = ints('strides').slice(0, 2) as [number, number];
    const padding = ints('pads').slice(0, 2) as [number, number];
    // Spread each cotangent uniformly over its window: ConvTranspose with a 1/(kh*kw)
    // kernel. Channels are folded into the batch so one [1, 1, kh, kw] kernel serves all:
    // no grouped ConvTranspose (discouraged on WebGPU), and C may be symbolic.
    const spread = new Tensor(
      'float32',
      [1, 1, kh, kw],
      new Float32Array(kh * kw).fill(1 / (kh * kw)),
    );
    const [H, W] = x.shape.slice(2) as number[];
    const outputPadding = [H, W].map((d, i) => (d + 2 * padding[i] - [kh, kw][i]) % stride[i]) as [
      number,
      number,
    ];
    const folded = reshape(g, [-1, 1, g.shape[2], g.shape[3]]);
    const dx = convTranspose2d(folded, x.graph.constant(spread), undefined, {
      stride,
      padding,
      outputPadding,
    });
    return [reshapeLike(dx, x)];
  }),
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
  return emit1(
    x.graph,
    avgPoolP,
    [x],
    { dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...o.out] },
    attrs,
  );
}

const maxPoolP = primitive('MaxPool', {
  vjp: vjp1((n, g) => {
    const x = inputOf(n, 0);
    const y = n.outputs[0];
    const attr = (name: string) =>
      (n.attrs[name] as { ints: readonly number[] }).ints.slice(0, 2) as [number, number];
    const [kernel, stride, padding] = [attr('kernel_shape'), attr('strides'), attr('pads')];
    const [H, W] = x.shape.slice(2) as number[];
    const [Ho, Wo] = y.shape.slice(2) as number[];
    const K = kernel[0] * kernel[1];
    const t = windowTables(kernel, stride, padding, [H, W], [Ho, Wo]);
    // Which window elements equal their window's max. Gather copies values exactly, so
    // the comparison with MaxPool's own output is exact; padding slots can never win.
    const gr = x.graph;
    // [N*C, H*W] gathered at [K, Ho*Wo] -> [N*C, K, Ho*Wo]. Only the comparison below
    // reads it, so no gradient ever flows back through this Gather.
    const windows = reshape(gather(reshape(x, [-1, H * W]), gr.constant(t.index), 1), [
      -1,
      K,
      Ho,
      Wo,
    ]);
    const candidates = t.valid ? where(gr.constant(t.valid), windows, -Infinity) : windows;
    const hit = cast(equal(candidates, reshape(y, [-1, 1, Ho, Wo])), x.dtype);
    // Ties share the cotangent equally (a valid subgradient, as JAX does for max).
    const share = div(hit, sum(hit, [1], true));
    // Put each window element's share back at its input position: ConvTranspose with a
    // one-hot kernel per element (the adjoint of the gather above), then unfold N*C.
    const outputPadding = [H, W].map((d, i) => (d + 2 * padding[i] - kernel[i]) % stride[i]) as [
      number,
      number,
    ];
    const dx = convTranspose2d(
      mul(share, reshape(g, [-1, 1, Ho, Wo])),
      gr.constant(t.oneHot),
      undefined,
      { stride, padding, outputPadding },
    );
    return [reshapeLike(dx, x)];
  }),
});

/**
 * Max pooling (PyTorch `F.max_pool2d`, padding counts as -inf, `ceil_mode = false`).
 * x: [N, C, H, W] -> [N, C, H', W']. The gradient goes to each window's max; exact ties
 * split it equally (PyTorch gives it all to the first). MaxPool's Indices output is not
 * used: ORT's WebGPU kernel rejects it at run time, and this VJP runs there entirely.
 *
 * @example maxPool2d(x, 3, 2, 1)   // x: [batch, 64, 32, 32] -> [batch, 64, 16, 16]
 */
export function maxPool2d(x: Value, kernel: Pair, stride?: Pair, padding: Pair = 0): Value {
  const o = poolGeom('maxPool2d', x, kernel, stride, padding);
  const attrs = { ...poolAttrs(o), ceil_mode: { i: 0 }, storage_order: { i: 0 } };
  return emit1(
    x.graph,
    maxPoolP,
    [x],
    { dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...o.out] },
    attrs,
  );
}

/**
 * Static index tables of a pooling window layout (k = i*kw + j is the element of the
 * window): `index` [K, Ho*Wo] flat input positions (0 in padding), `valid` [1, K, Ho, Wo]
 * (null when nothing is padding), `oneHot` [K, 1, kh, kw] a unit kernel per element.
 */
function windowTables(
  kernel: number[],
  stride: number[],
  padding: number[],
  [H, W]: number[],
  [Ho, Wo]: number[],
) {
  const K = kernel[0] * kernel[1];
  const index = new BigInt64Array(K * Ho * Wo);
  const valid = new Uint8Array(K * Ho * Wo);
  const oneHot = new Float32Array(K * K);
  for (let i = 0; i < kernel[0]; i++) {
    for (let j = 0; j < kernel[1]; j++) {
      const k = i * kernel[1] + j;
      oneHot[k * K + k] = 1;
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const iy = oy * stride[0] - padding[0] + i;
          const ix = ox * stride[1] - padding[1] + j;
          const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
          const at = (k * Ho + oy) * Wo + ox;
          valid[at] = inside ? 1 : 0;
          index[at] = inside ? BigInt(iy * W + ix) : 0n;
        }
      }
    }
  }
  return {
    index: new Tensor('int64', [K, Ho * Wo], index),
    valid: valid.every((v) => v === 1) ? null : new Tensor('bool', [1, K, Ho, Wo], valid),
    oneHot: new Tensor('float32', [K, 1, kernel[0], kernel[1]], oneHot),
  };
}

const upsampleP = primitive('Resize', {
  vjp: vjp1((n, g) => {
    const x = inputOf(n, 0);
    const s = constArray(n, 2)[2];
    const [N, C, H, W] = x.shape;
    // Each input pixel was copied into an s x s block: sum the block back.
    return [sum(reshape(g, [N, C, H, s, W, s]), [3, 5]), null, null];
  }),
});

/**
 * Nearest-neighbour upsampling by an integer factor (PyTorch `F.interpolate(mode='nearest')`):
 * ONNX `Resize` with `asymmetric` coordinates and `floor` rounding, so out[i] = in[floor(i / s)].
 * x: [N, C, H, W] -> [N, C, H*s, W*s]; H and W must be static.
 *
 * @example upsampleNearest2d(x, 2)   // x: [batch, 16, 8, 8] -> [batch, 16, 16, 16]
 */
export function upsampleNearest2d(x: Value, scale = 2): Value {
  const op = scopedOp(x.graph.currentScope, 'upsampleNearest2d');
  checkFloat('upsampleNearest2d', x);
  const [N, C, H, W] = x.shape;
  if (x.rank !== 4 || typeof H !== 'number' || typeof W !== 'number') {
    throw new ShapeError(
      `${op}: input ${formatShape(x.shape)}: expected [N, C, H, W] with static H and W`,
    );
  }
  if (!Number.isInteger(scale) || scale < 1)
    throw new ShapeError(`${op}: scale must be a positive integer, got ${scale}`);
  if (scale === 1) return x;
  const scales = x.graph.constant(new Tensor('float32', [4], Float32Array.of(1, 1, scale, scale)));
  const attrs = {
    mode: { s: 'nearest' },
    coordinate_transformation_mode: { s: 'asymmetric' },
    nearest_mode: { s: 'floor' },
  };
  // roi is the empty (omitted) input; scales drives the size.
  return emit1(
    x.graph,
    upsampleP,
    [x, null, scales],
    { dtype: x.dtype, shape: [N, C, H * scale, W * scale] },
    attrs,
  );
}
