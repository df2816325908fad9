import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { DTypeError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import { Rng } from '../rng.js';
import { sizeOf, Tensor } from '../tensor.js';
import { type GradcheckCase, gradcheckCases } from '../testing/cases.js';
import { type GradcheckInput, gradcheck } from '../testing/gradcheck.js';
import { expectCpuWebGpuMatch, webgpuAvailable } from '../testing/webgpu.js';
import { type ConvTranspose2dOptions, conv2d, convTranspose2d, type Pair } from './conv.js';
import { add, mul } from './elementwise.js';
import { sum } from './reduce.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const two = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const full = (o: ConvTranspose2dOptions) => ({
  s: two(o.stride ?? 1),
  p: two(o.padding ?? 0),
  d: two(o.dilation ?? 1),
  op: two(o.outputPadding ?? 0),
  G: o.groups ?? 1,
});

/** The naive references' arguments: input and its shape, weight and its shape, bias, options. */
type RefArgs = [
  x: Float32Array,
  xs: number[],
  w: Float32Array,
  ws: number[],
  b: Float32Array | null,
  o: ConvTranspose2dOptions,
];

/** Naive direct convolution (gather form): y[n,o,y,x] = b[o] + sum x[n,c,ys+kd-p,...] w[o,c',k]. */
function refConv(...[x, xs, w, ws, b, o]: RefArgs) {
  const { s, p, d, G } = full(o);
  const [N, C, H, W] = xs;
  const [O, Cg, kh, kw] = ws;
  const Ho = Math.floor((H + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const Wo = Math.floor((W + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const y = new Float64Array(N * O * Ho * Wo);
  const Og = O / G;
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < O; oc++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let acc = b ? b[oc] : 0;
          const grp = Math.floor(oc / Og);
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = oy * s[0] + i * d[0] - p[0];
                const ix = ox * s[1] + j * d[1] - p[1];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc +=
                  x[((n * C + grp * Cg + c) * H + iy) * W + ix] *
                  w[((oc * Cg + c) * kh + i) * kw + j];
              }
          y[((n * O + oc) * Ho + oy) * Wo + ox] = acc;
        }
  return { shape: [N, O, Ho, Wo], data: y };
}

/** Naive transposed convolution (scatter form): each input pixel adds x * w into its output window. */
function refConvT(...[x, xs, w, ws, b, o]: RefArgs) {
  const { s, p, d, op, G } = full(o);
  const [N, Cin, H, W] = xs;
  const [, Cog, kh, kw] = ws;
  const Cout = Cog * G;
  const Ho = (H - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1;
  const Wo = (W - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1;
  const y = new Float64Array(N * Cout * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < Cout; oc++)
      for (let k = 0; k < Ho * Wo; k++) y[(n * Cout + oc) * Ho * Wo + k] = b ? b[oc] : 0;
  const Cig = Cin / G;
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < Cin; ci++)
      for (let iy = 0; iy < H; iy++)
        for (let ix = 0; ix < W; ix++)
          for (let c = 0; c < Cog; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const oy = iy * s[0] - p[0] + i * d[0];
                const ox = ix * s[1] - p[1] + j * d[1];
                if (oy < 0 || oy >= Ho || ox < 0 || ox >= Wo) continue;
                const oc = Math.floor(ci / Cig) * Cog + c;
                y[((n * Cout + oc) * Ho + oy) * Wo + ox] +=
                  x[((n * Cin + ci) * H + iy) * W + ix] * w[((ci * Cog + c) * kh + i) * kw + j];
              }
  return { shape: [N, Cout, Ho, Wo], data: y };
}

function expectClose(got: Tensor, want: { shape: number[]; data: Float64Array }) {
  expect(got.shape).toEqual(want.shape);
  const g = got.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < want.data.length; i++)
    worst = Math.max(worst, Math.abs(g[i] - want.data[i]) / Math.max(1, Math.abs(want.data[i])));
  expect(worst).toBeLessThan(1e-5);
}

type FwdCase = [string, number[], number[], boolean, ConvTranspose2dOptions];

async function checkForward(
  kind: 'conv2d' | 'convTranspose2d',
  [, xs, ws, bias, opts]: FwdCase,
  batch = false,
) {
  const rng = new Rng(7);
  const x = new Tensor('float32', xs, rng.normal(sizeOf(xs)));
  const w = new Tensor('float32', ws, rng.normal(sizeOf(ws)));
  const outC = kind === 'conv2d' ? ws[0] : ws[1] * (opts.groups ?? 1);
  const b = new Tensor('float32', [outC], rng.normal(outC));
  const g = new Graph();
  const xv = g.input('x', 'float32', batch ? ['batch', ...xs.slice(1)] : xs);
  const wv = g.input('w', 'float32', ws);
  const bv = g.input('b', 'float32', [outC]);
  const f = kind === 'conv2d' ? conv2d : convTranspose2d;
  const y = f(xv, wv, bias ? bv : undefined, opts);
  const exe = await rt.compile(g, { y });
  const out = await exe.runHost({ x, w, b });
  await exe.dispose();
  const ref = (kind === 'conv2d' ? refConv : refConvT)(
    x.data,
    xs,
    w.data,
    ws,
    bias ? b.data : null,
    opts,
  );
  if (batch) expect(y.shape[0]).toBe('batch');
  expectClose(out.y, ref);
}

const convForward: FwdCase[] = [
  ['3x3 stride 1', [2, 3, 5, 6], [4, 3, 3, 3], true, {}],
  ['stride 2 padding 1', [2, 3, 7, 6], [4, 3, 3, 3], true, { stride: 2, padding: 1 }],
  [
    'dilation 2, padding [1,2], stride [1,2]',
    [1, 2, 7, 7],
    [3, 2, 3, 3],
    true,
    { dilation: 2, padding: [1, 2], stride: [1, 2] },
  ],
  ['groups 2', [2, 4, 5, 5], [6, 2, 3, 3], true, { groups: 2 }],
  [
    'groups 3 stride 2 dilation 2 kernel 2x3 no bias',
    [1, 6, 7, 8],
    [3, 2, 2, 3],
    false,
    { groups: 3, stride: 2, dilation: 2, padding: 1 },
  ],
  ['depthwise 1x1', [2, 3, 4, 4], [3, 1, 1, 1], true, { groups: 3 }],
];
const convTForward: FwdCase[] = [
  ['stride 1', [2, 3, 4, 5], [3, 2, 3, 3], true, {}],
  [
    'stride 2 padding 1 outputPadding 1',
    [2, 3, 4, 4],
    [3, 2, 3, 3],
    true,
    { stride: 2, padding: 1, outputPadding: 1 },
  ],
  [
    'groups 2 stride 2 dilation 2 outputPadding 1',
    [1, 4, 3, 4],
    [4, 3, 3, 3],
    true,
    { groups: 2, stride: 2, dilation: 2, outputPadding: 1 },
  ],
  [
    'kernel 2x3 stride [2,3] outputPadding [1,2] padding [0,1] no bias',
    [2, 2, 3, 3],
    [2, 3, 2, 3],
    false,
    {
      stride: [2, 3],
      outputPadding: [1, 2],
      padding: [0, 1],
    },
  ],
];

describe('conv2d forward vs a naive loop', () => {
  for (const c of convForward) it(`conv2d ${c[0]}`, () => checkForward('conv2d', c));
  it('conv2d symbolic batch', () => checkForward('conv2d', convForward[1], true));
});

describe('convTranspose2d forward vs a naive loop', () => {
  for (const c of convTForward)
    it(`convTranspose2d ${c[0]}`, () => checkForward('convTranspose2d', c));
  it('convTranspose2d symbolic batch', () =>
    checkForward('convTranspose2d', convTForward[1], true));
});

type GradCase = [string, Record<string, GradcheckInput>, ConvTranspose2dOptions];
const inp = (
  x: number[],
  w: number[],
  b?: number,
  batch = false,
): Record<string, GradcheckInput> => ({
  x: { shape: x, dims: batch ? ['batch', ...x.slice(1)] : undefined },
  w: { shape: w },
  ...(b ? { b: { shape: [b] } } : {}),
});

const convGrad: GradCase[] = [
  ['stride 1', inp([2, 3, 5, 5], [4, 3, 3, 3], 4), {}],
  [
    'stride 2 padding 1 ((H+2p-k) mod s = 1)',
    inp([2, 3, 6, 6], [4, 3, 3, 3], 4),
    { stride: 2, padding: 1 },
  ],
  [
    'stride 3 odd size (weight grad larger than kernel)',
    inp([2, 2, 7, 8], [3, 2, 3, 3], 3),
    { stride: 3 },
  ],
  ['dilation 2 padding 2', inp([2, 2, 6, 5], [3, 2, 3, 3], 3), { dilation: 2, padding: 2 }],
  ['groups 2', inp([2, 4, 5, 5], [4, 2, 3, 3], 4), { groups: 2 }],
  [
    'groups 2 stride 2 dilation 2 padding 1 kernel 3x2',
    inp([2, 4, 7, 6], [6, 2, 3, 2], 6),
    { groups: 2, stride: 2, dilation: 2, padding: 1 },
  ],
  ['1x1 kernel with size-1 dims, no bias', inp([1, 3, 1, 5], [2, 3, 1, 1]), {}],
  [
    'padding wider than the kernel span (input gradient by ConvTranspose)',
    inp([2, 2, 4, 4], [3, 2, 2, 2], 3),
    { padding: 2 },
  ],
  [
    'dilation 2 symbolic batch, kernel 2x3 padding [1,2]',
    inp([2, 3, 6, 7], [2, 3, 2, 3], 2, true),
    { dilation: 2, padding: [1, 2] },
  ],
  [
    'stride [2,1] padding [1,0]',
    inp([2, 2, 5, 5], [2, 2, 2, 3], 2),
    { stride: [2, 1], padding: [1, 0] },
  ],
  ['symbolic batch stride 2', inp([2, 3, 6, 6], [2, 3, 3, 3], 2, true), { stride: 2, padding: 1 }],
  [
    'symbolic batch groups 2 stride 2',
    inp([3, 4, 5, 5], [2, 2, 3, 3], 2, true),
    { groups: 2, stride: 2 },
  ],
];

const convTGrad: GradCase[] = [
  ['stride 1', inp([2, 3, 4, 4], [3, 2, 3, 3], 2), {}],
  [
    'stride 2 outputPadding 1 padding 1',
    inp([2, 2, 4, 3], [2, 3, 3, 3], 3),
    { stride: 2, outputPadding: 1, padding: 1 },
  ],
  [
    'stride 2 dilation 2 outputPadding 1',
    inp([2, 2, 3, 3], [2, 2, 3, 3], 2),
    { stride: 2, dilation: 2, outputPadding: 1 },
  ],
  [
    'groups 2 stride 2 outputPadding 1',
    inp([2, 4, 3, 3], [4, 1, 3, 3], 2),
    { groups: 2, stride: 2, outputPadding: 1 },
  ],
  [
    'stride 3 kernel 2x3 outputPadding [2,1], no bias',
    inp([1, 2, 3, 3], [2, 2, 2, 3]),
    { stride: 3, outputPadding: [2, 1] },
  ],
  [
    'symbolic batch stride 2 outputPadding 1',
    inp([2, 3, 3, 3], [3, 2, 3, 3], 2, true),
    { stride: 2, outputPadding: 1, padding: 1 },
  ],
  ['symbolic batch groups 2', inp([3, 4, 3, 3], [4, 2, 2, 2], 4, true), { groups: 2, stride: 2 }],
];

for (const [opName, op, cases] of [
  ['conv2d', conv2d, convGrad],
  ['convTranspose2d', convTranspose2d, convTGrad],
] as const)
  gradcheckCases(
    () => rt,
    `${opName} gradients`,
    cases.map(
      ([name, inputs, opts]): GradcheckCase => [
        `${opName} ${name}`,
        inputs,
        (v) => op(v.x, v.w, v.b, opts),
      ],
    ),
  );

/** d/d(wrt) of sum(y * y) for y = f(x, w): a function whose own VJP needs the VJPs of the VJP rules. */
const firstGrad =
  (f: (x: Value, w: Value) => Value, wrt: 'x' | 'w') => (v: Record<string, Value>) => {
    const y = f(v.x, v.w);
    const [d] = grad(sum(mul(y, y)), [v[wrt]]);
    return d;
  };

describe('second-order gradients', () => {
  const cases: [string, (x: Value, w: Value) => Value, Record<string, GradcheckInput>][] = [
    [
      'conv2d stride 1 padding 1 (flipped-kernel input gradient)',
      (x, w) => conv2d(x, w, undefined, { padding: 1 }),
      inp([2, 2, 5, 4], [3, 2, 3, 3]),
    ],
    [
      'conv2d stride 2 padding 1',
      (x, w) => conv2d(x, w, undefined, { stride: 2, padding: 1 }),
      inp([2, 2, 6, 6], [3, 2, 3, 3]),
    ],
    [
      'conv2d groups 2 dilation 2 symbolic batch',
      (x, w) => conv2d(x, w, undefined, { groups: 2, dilation: 2, stride: 2 }),
      inp([2, 4, 6, 6], [2, 2, 2, 2], undefined, true),
    ],
    [
      'convTranspose2d stride 2 outputPadding 1',
      (x, w) => convTranspose2d(x, w, undefined, { stride: 2, outputPadding: 1 }),
      inp([2, 2, 3, 3], [2, 3, 3, 3]),
    ],
  ];
  for (const [name, f, inputs] of cases) {
    for (const wrt of ['x', 'w'] as const) {
      it(`grad of d/d${wrt} for ${name}`, async () => {
        const r = await gradcheck(rt, inputs, firstGrad(f, wrt));
        expect(r.ok, r.message).toBe(true);
      });
    }
  }
});

describe('conv trace-time errors', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 3, 5, 5]);
  it('conv2d channel mismatch names op, module path and both shapes', () => {
    const w = g.input('w1', 'float32', [4, 2, 3, 3]);
    const f = () => g.scope('encoder', () => g.scope('conv1', () => conv2d(x, w)));
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(
      /encoder\.conv1: conv2d: input \[batch,3,5,5\] and weight \[4,2,3,3\]: channel mismatch.*expected weight \[O, 3, kh, kw\]/,
    );
  });
  it('conv2d groups must divide the channels', () => {
    const x4 = g.input('x4', 'float32', [2, 4, 5, 5]);
    const w = g.input('w2', 'float32', [3, 2, 3, 3]);
    expect(() => conv2d(x4, w, undefined, { groups: 2 })).toThrow(
      /conv2d: input \[2,4,5,5\] and weight \[3,2,3,3\]: groups 2 must divide/,
    );
    const x3 = g.input('x3', 'float32', [2, 3, 5, 5]);
    const w4 = g.input('w4', 'float32', [4, 1, 3, 3]);
    expect(() => conv2d(x3, w4, undefined, { groups: 2 })).toThrow(
      /groups 2 must divide the input channels 3/,
    );
  });
  it('conv2d kernel larger than the padded input', () => {
    const w = g.input('w3', 'float32', [2, 3, 4, 4]);
    expect(() => conv2d(x, w, undefined, { dilation: 2 })).toThrow(
      /conv2d: .*kernel spans 7 \(dilation 2\) but the padded input has only 5/,
    );
    expect(() => conv2d(x, w, undefined, { dilation: 2, padding: 1 })).not.toThrow();
  });
  it('conv2d bias, rank, options and dtype', () => {
    const w = g.input('w5', 'float32', [4, 3, 3, 3]);
    const b = g.input('b5', 'float32', [3]);
    expect(() => conv2d(x, w, b)).toThrow(/conv2d: .*bias \[3\] does not match; expected \[4\]/);
    const x3 = g.input('x5', 'float32', [3, 5, 5]);
    expect(() => conv2d(x3, w)).toThrow(
      /conv2d: input \[3,5,5\] and weight \[4,3,3,3\]: expected input \[N, C, H, W\]/,
    );
    expect(() => conv2d(x, w, undefined, { stride: 0 })).toThrow(
      /conv2d: stride must be an integer >= 1/,
    );
    const xi = g.input('xi', 'int64', [1, 3, 5, 5]);
    expect(() => conv2d(xi, w)).toThrow(DTypeError);
  });
  it('convTranspose2d channel mismatch and outputPadding >= stride', () => {
    const w = g.input('w6', 'float32', [2, 4, 3, 3]);
    expect(() => convTranspose2d(x, w)).toThrow(
      /convTranspose2d: input \[batch,3,5,5\] and weight \[2,4,3,3\]: channel mismatch/,
    );
    const w3 = g.input('w7', 'float32', [3, 4, 3, 3]);
    expect(() => convTranspose2d(x, w3, undefined, { stride: 2, outputPadding: 2 })).toThrow(
      /outputPadding \[2,2\] must be smaller than stride \[2,2\]/,
    );
    expect(convTranspose2d(x, w3, undefined, { stride: 2, outputPadding: 1 }).shape).toEqual([
      'batch',
      4,
      12,
      12,
    ]);
  });
});

describe.runIf(webgpuAvailable())('convolution on WebGPU (SwiftShader in CI)', () => {
  it('conv2d (groups 2) and convTranspose2d with all their gradients match CPU with no CPU fallback', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 4, 7, 7]);
    const w = g.input('w', 'float32', [4, 2, 3, 3]);
    const b = g.input('b', 'float32', [4]);
    const wt = g.input('wt', 'float32', [4, 3, 3, 3]);
    const y = conv2d(x, w, b, { stride: 2, padding: 1, dilation: 2, groups: 2 });
    const z = convTranspose2d(y, wt, undefined, { stride: 2, padding: 1, outputPadding: 1 });
    const [dx, dw, db, dwt] = grad(add(sum(mul(z, z)), sum(mul(y, y))), [x, w, b, wt]);
    const outputs = { y, z, dx, dw, db, dwt };
    const rng = new Rng(11);
    const feed = Object.fromEntries(
      g.inputs.map((v) => [
        v.name!,
        new Tensor('float32', v.shape as number[], rng.normal(sizeOf(v.shape as number[]))),
      ]),
    );
    await expectCpuWebGpuMatch(rt, g, outputs, feed, { tol: 1e-4, relative: true });
  });

  it('ungrouped stride-1 conv2d (flipped-kernel input gradient, per-tap weight gradient) matches CPU', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3, 6, 5]);
    const w = g.input('w', 'float32', [4, 3, 3, 3]);
    const w1 = g.input('w1', 'float32', [2, 4, 1, 1]);
    const h = conv2d(x, w, undefined, { padding: 1 });
    const y = conv2d(h, w1);
    const [dx, dw, dw1] = grad(sum(mul(y, y)), [x, w, w1]);
    const rng = new Rng(12);
    const feed = Object.fromEntries(
      g.inputs.map((v) => [
        v.name!,
        new Tensor('float32', v.shape as number[], rng.normal(sizeOf(v.shape as number[]))),
      ]),
    );
    await expectCpuWebGpuMatch(rt, g, { y, dx, dw, dw1 }, feed, { tol: 1e-4, relative: true });
  });
});
