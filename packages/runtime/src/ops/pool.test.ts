import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { DTypeError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import { Rng } from '../rng.js';
import { sizeOf, Tensor } from '../tensor.js';
import { type GradcheckInput, gradcheck } from '../testing/gradcheck.js';
import { expectCpuWebGpuMatch, webgpuAvailable } from '../testing/webgpu.js';
import type { Pair } from './conv.js';
import { add, mul } from './elementwise.js';
import { avgPool2d, maxPool2d, upsampleNearest2d } from './pool.js';
import { sum } from './reduce.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const two = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * Distinct values 0.1 apart in shuffled order: no max ties, and no argmax can flip
 * under gradcheck's eps-sized perturbations.
 */
const distinct = (rng: Rng, n: number): Float32Array => {
  const v = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
  const r = rng.uniform(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r[i] * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
};

/** Naive pooling loop; `avg` divides by kh*kw (count_include_pad), max ignores padding. */
function refPool(
  kind: 'avg' | 'max',
  x: Float32Array,
  xs: number[],
  kernel: Pair,
  stride: Pair | undefined,
  padding: Pair,
) {
  const [N, C, H, W] = xs;
  const k = two(kernel);
  const s = two(stride ?? kernel);
  const p = two(padding);
  const Ho = Math.floor((H + 2 * p[0] - k[0]) / s[0]) + 1;
  const Wo = Math.floor((W + 2 * p[1] - k[1]) / s[1]) + 1;
  const y = new Float64Array(N * C * Ho * Wo);
  for (let nc = 0; nc < N * C; nc++)
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++) {
        let acc = kind === 'avg' ? 0 : -Infinity;
        for (let i = 0; i < k[0]; i++)
          for (let j = 0; j < k[1]; j++) {
            const iy = oy * s[0] - p[0] + i;
            const ix = ox * s[1] - p[1] + j;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const v = x[(nc * H + iy) * W + ix];
            acc = kind === 'avg' ? acc + v : Math.max(acc, v);
          }
        y[(nc * Ho + oy) * Wo + ox] = kind === 'avg' ? acc / (k[0] * k[1]) : acc;
      }
  return { shape: [N, C, Ho, Wo], data: y };
}

function refUpsample(x: Float32Array, xs: number[], s: number) {
  const [N, C, H, W] = xs;
  const y = new Float64Array(N * C * H * s * W * s);
  for (let nc = 0; nc < N * C; nc++)
    for (let oy = 0; oy < H * s; oy++)
      for (let ox = 0; ox < W * s; ox++)
        y[(nc * H * s + oy) * W * s + ox] =
          x[(nc * H + Math.floor(oy / s)) * W + Math.floor(ox / s)];
  return { shape: [N, C, H * s, W * s], data: y };
}

async function runForward(
  xs: number[],
  f: (x: Value) => Value,
  batch = false,
): Promise<{ x: Tensor; y: Tensor }> {
  const x = new Tensor('float32', xs, distinct(new Rng(3), sizeOf(xs)));
  const g = new Graph();
  const xv = g.input('x', 'float32', batch ? ['batch', ...xs.slice(1)] : xs);
  const yv = f(xv);
  if (batch) expect(yv.shape[0]).toBe('batch');
  const exe = await rt.compile(g, { y: yv });
  const out = await exe.runHost({ x });
  await exe.dispose();
  return { x, y: out.y };
}

function expectClose(got: Tensor, want: { shape: number[]; data: Float64Array }) {
  expect(got.shape).toEqual(want.shape);
  const g = got.data as Float32Array;
  for (let i = 0; i < want.data.length; i++)
    expect(Math.abs(g[i] - want.data[i])).toBeLessThan(1e-5);
}

type PoolCase = [string, number[], Pair, Pair | undefined, Pair, boolean?];
const poolCases: PoolCase[] = [
  ['kernel 2 (stride = kernel)', [2, 3, 6, 6], 2, undefined, 0],
  ['kernel 3 stride 2 padding 1 (overlapping windows)', [2, 2, 7, 7], 3, 2, 1],
  ['kernel [3,2] stride [2,1] padding [1,0], odd sizes', [2, 2, 5, 6], [3, 2], [2, 1], [1, 0]],
  ['kernel 2 stride 1, size-1 channel', [2, 1, 4, 5], 2, 1, 0],
  ['kernel 3 stride 2 symbolic batch', [3, 2, 6, 5], 3, 2, 1, true],
];
const pools = { avgPool2d, maxPool2d } as const;

for (const [name, pool] of Object.entries(pools)) {
  const kind = name === 'avgPool2d' ? 'avg' : 'max';
  describe(`${name}`, () => {
    for (const [cname, xs, k, s, p, batch] of poolCases) {
      it(`${name} forward ${cname} vs a naive loop`, async () => {
        const { x, y } = await runForward(xs, (v) => pool(v, k, s, p), batch);
        expectClose(y, refPool(kind, x.data as Float32Array, xs, k, s, p));
      });
      it(`${name} gradient ${cname}`, async () => {
        const inputs: Record<string, GradcheckInput> = {
          x: { shape: xs, dims: batch ? ['batch', ...xs.slice(1)] : undefined, data: distinct },
        };
        const r = await gradcheck(rt, inputs, (v) => pool(v.x, k, s, p));
        expect(r.ok, r.message).toBe(true);
      });
    }
    it(`${name} second order: gradient of d/dx sum(y^2)`, async () => {
      const r = await gradcheck(
        rt,
        { x: { shape: [2, 2, 5, 5], dims: ['batch', 2, 5, 5], data: distinct } },
        (v) => {
          const y = pool(v.x, 3, 2, 1);
          return grad(sum(mul(y, y)), [v.x])[0];
        },
      );
      expect(r.ok, r.message).toBe(true);
    });
  });
}

describe('maxPool2d gradient routing', () => {
  it('sends each cotangent to its argmax and adds where overlapping windows share one', async () => {
    // x = 0..15 in a 4x4 grid: every 3x3/stride-1 window's max is its bottom-right corner.
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 1, 4, 4]);
    const y = maxPool2d(x, 3, 1, 1);
    const [dx] = grad(sum(y), [x]);
    const exe = await rt.compile(g, { dx });
    const out = await exe.runHost({
      x: new Tensor(
        'float32',
        [1, 1, 4, 4],
        Float32Array.from({ length: 16 }, (_, i) => i),
      ),
    });
    await exe.dispose();
    // Windows (padding 1) centred at (r, c) pick (min(r+1,3), min(c+1,3)).
    expect(out.dx.toArray()).toEqual([0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 1, 2, 0, 2, 2, 4]);
  });
  it('splits the cotangent equally between tied maxima', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1, 1, 2, 4]);
    const y = maxPool2d(x, 2);
    const [dx] = grad(sum(mul(y, g.constant(Tensor.from([[[[1, 10]]]])))), [x]);
    const exe = await rt.compile(g, { y, dx });
    // Left window: four equal values; right window: 5 appears twice.
    const out = await exe.runHost({
      x: Tensor.from([
        [
          [
            [2, 2, 5, 1],
            [2, 2, 3, 5],
          ],
        ],
      ]),
    });
    await exe.dispose();
    expect(out.y.toArray()).toEqual([2, 5]);
    expect(out.dx.toArray()).toEqual([0.25, 0.25, 5, 0, 0.25, 0.25, 0, 5]);
  });
});

describe('upsampleNearest2d', () => {
  const cases: [string, number[], number, boolean?][] = [
    ['scale 2', [2, 3, 3, 4], 2],
    ['scale 3 size-1 dims', [1, 2, 1, 3], 3],
    ['scale 2 symbolic batch', [3, 2, 2, 3], 2, true],
  ];
  for (const [name, xs, s, batch] of cases) {
    it(`upsampleNearest2d forward ${name} vs a naive loop`, async () => {
      const { x, y } = await runForward(xs, (v) => upsampleNearest2d(v, s), batch);
      expectClose(y, refUpsample(x.data as Float32Array, xs, s));
    });
    it(`upsampleNearest2d gradient ${name}`, async () => {
      const r = await gradcheck(
        rt,
        { x: { shape: xs, dims: batch ? ['batch', ...xs.slice(1)] : undefined } },
        (v) => upsampleNearest2d(v.x, s),
      );
      expect(r.ok, r.message).toBe(true);
    });
  }
  it('upsampleNearest2d second order', async () => {
    const r = await gradcheck(rt, { x: { shape: [2, 2, 3, 3] } }, (v) => {
      const y = upsampleNearest2d(v.x, 2);
      return grad(sum(mul(mul(y, y), y)), [v.x])[0];
    });
    expect(r.ok, r.message).toBe(true);
  });
});

describe('pool trace-time errors', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 3, 5, 5]);
  it('padding larger than half the kernel', () => {
    const f = () => g.scope('down', () => maxPool2d(x, 2, 2, 2));
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(
      'down: maxPool2d: input [batch,3,5,5]: padding [2,2] must be at most half the kernel [2,2]',
    );
  });
  it('kernel larger than the input', () => {
    expect(() => avgPool2d(x, 6)).toThrow(
      /avgPool2d: input \[batch,3,5,5\]: kernel \[6,6\] is larger than the padded input \[5,5\]/,
    );
  });
  it('wrong rank, bad options and dtype', () => {
    const x3 = g.input('x3', 'float32', [3, 5, 5]);
    expect(() => avgPool2d(x3, 2)).toThrow(/avgPool2d: input \[3,5,5\]: expected \[N, C, H, W\]/);
    expect(() => maxPool2d(x, 0)).toThrow(/maxPool2d: kernel must be an integer >= 1/);
    expect(() => upsampleNearest2d(x, 1.5)).toThrow(
      /upsampleNearest2d: scale must be a positive integer, got 1.5/,
    );
    const xi = g.input('xi', 'int64', [1, 1, 4, 4]);
    expect(() => maxPool2d(xi, 2)).toThrow(DTypeError);
  });
});

// maxPool2d avoids MaxPool's Indices output because the WebGPU kernel rejects it at run time.
describe.runIf(webgpuAvailable())('pooling on WebGPU (SwiftShader in CI)', () => {
  it('avgPool2d, maxPool2d, upsampleNearest2d and their gradients match CPU with no CPU fallback', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3, 7, 7]);
    const ys = {
      avg: avgPool2d(x, 3, 2, 1),
      max: maxPool2d(x, 3, 2, 1),
      up: upsampleNearest2d(x, 2),
    };
    const loss = Object.values(ys).reduce<Value>((acc, y) => add(acc, sum(mul(y, y))), sum(x));
    const outputs = { ...ys, dx: grad(loss, [x])[0] };
    const feed = { x: new Tensor('float32', [2, 3, 7, 7], distinct(new Rng(5), 2 * 3 * 7 * 7)) };
    await expectCpuWebGpuMatch(rt, g, outputs, feed, { tol: 1e-4 });
  });
});
