import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { DTypeError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { expectNear, type GradcheckCase, gradcheckCases, runFeeds } from '../testing/cases.js';
import { expectCpuWebGpuMatch, webgpuAvailable } from '../testing/webgpu.js';
import { add, mul } from './elementwise.js';
import {
  bceLoss,
  bceWithLogitsLoss,
  crossEntropy,
  gaussianKl,
  mseLoss,
  type Reduction,
} from './loss.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const rand = (seed: number, shape: number[], lo = -2, hi = 2) =>
  new Tensor('float32', shape, new Rng(seed).uniform(shape, lo, hi));
const int64 = (shape: number[], values: number[]) =>
  new Tensor('int64', shape, BigInt64Array.from(values, BigInt));
const f32 = (t: Tensor) => Array.from(t.data as Float32Array);

const reduceRef = (l: number[], r: Reduction) =>
  r === 'none'
    ? l
    : r === 'sum'
      ? [l.reduce((a, b) => a + b, 0)]
      : [l.reduce((a, b) => a + b, 0) / l.length];
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];
const sigmoidRef = (x: number) => 1 / (1 + Math.exp(-x));
const lseRef = (row: number[]) => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};

describe('loss forward values', () => {
  for (const reduction of REDUCTIONS) {
    it(`mseLoss reduction '${reduction}' with a symbolic batch`, async () => {
      const [p, t] = [rand(1, [3, 2]), rand(2, [3, 2])];
      const out = await runFeeds(
        rt,
        { p: { dims: ['batch', 2], data: p }, t: { dims: ['batch', 2], data: t } },
        (v) => ({ y: mseLoss(v.p, v.t, { reduction }) }),
      );
      expectNear(
        out.y.toArray(),
        reduceRef(
          f32(p).map((e, i) => (e - t.data[i]) ** 2),
          reduction,
        ),
      );
    });

    it(`gaussianKl reduction '${reduction}'`, async () => {
      const [mu, lv] = [rand(3, [3, 4]), rand(4, [3, 4], -1, 1)];
      const out = await runFeeds(
        rt,
        { mu: { dims: ['batch', 4], data: mu }, lv: { dims: ['batch', 4], data: lv } },
        (v) => ({ y: gaussianKl(v.mu, v.lv, { reduction }) }),
      );
      const per = [0, 1, 2].map((b) => {
        let s = 0;
        for (let d = 0; d < 4; d++) {
          const [m, l] = [mu.data[b * 4 + d] as number, lv.data[b * 4 + d] as number];
          s += 1 + l - m * m - Math.exp(l);
        }
        return -0.5 * s;
      });
      expect(out.y.shape).toEqual(reduction === 'none' ? [3] : []);
      expectNear(out.y.toArray(), reduceRef(per, reduction));
    });
  }

  it('bceLoss clamps log at -100 for probabilities 0 and 1, with finite gradients', async () => {
    const p = Tensor.from([0, 1, 0.3, 0.9]);
    const t = Tensor.from([1, 0, 0.5, 1]);
    const out = await runFeeds(rt, { p: { data: p }, t: { data: t } }, (v) => {
      const none = bceLoss(v.p, v.t, { reduction: 'none' });
      return {
        none,
        mean: bceLoss(v.p, v.t),
        dp: grad(bceLoss(v.p, v.t, { reduction: 'sum' }), [v.p])[0],
      };
    });
    const expected = [100, 100, -(0.5 * Math.log(0.3) + 0.5 * Math.log(0.7)), -Math.log(0.9)];
    expectNear(out.none.toArray(), expected);
    expectNear(out.mean.toArray(), [expected.reduce((a, b) => a + b) / 4]);
    // d/dp = (p - t) / (p (1 - p)) where the log is not clamped; 0 through the clamp.
    expectNear(out.dp.toArray(), [0, 0, (0.3 - 0.5) / (0.3 * 0.7), (0.9 - 1) / (0.9 * 0.1)], 1e-4);
  });

  it('bceWithLogitsLoss is stable for large logits and its gradient is sigmoid(x) - t, also at x = 0', async () => {
    const xs = [-100, -30, -1.5, 0, 0, 0.7, 30, 100];
    const ts = [1, 0, 0.25, 0, 1, 1, 0, 1];
    const out = await runFeeds(
      rt,
      { x: { data: Tensor.from(xs) }, t: { data: Tensor.from(ts) } },
      (v) => ({
        l: bceWithLogitsLoss(v.x, v.t, { reduction: 'none' }),
        dx: grad(bceWithLogitsLoss(v.x, v.t, { reduction: 'sum' }), [v.x])[0],
      }),
    );
    expectNear(
      out.l.toArray(),
      xs.map((x, i) => Math.max(x, 0) - x * ts[i] + Math.log1p(Math.exp(-Math.abs(x)))),
    );
    expectNear(
      out.dx.toArray(),
      xs.map((x, i) => sigmoidRef(x) - ts[i]),
    );
  });

  it('bceWithLogitsLoss posWeight per class matches PyTorch formula', async () => {
    const [x, t] = [rand(5, [3, 2]), new Tensor('float32', [3, 2], new Rng(6).uniform([3, 2]))];
    const pw = Tensor.from([2, 0.5]);
    const out = await runFeeds(
      rt,
      { x: { dims: ['batch', 2], data: x }, t: { dims: ['batch', 2], data: t }, pw: { data: pw } },
      (v) => ({
        y: bceWithLogitsLoss(v.x, v.t, { posWeight: v.pw }),
      }),
    );
    const l = f32(x).map((xi, i) => {
      const [ti, w] = [t.data[i] as number, pw.data[i % 2] as number];
      return -(w * ti * Math.log(sigmoidRef(xi)) + (1 - ti) * Math.log(1 - sigmoidRef(xi)));
    });
    expectNear(out.y.toArray(), reduceRef(l, 'mean'));
  });
});

/** Naive cross-entropy per position: logits rows of C, PyTorch's label smoothing. */
function ceRef(logits: number[], targets: number[], c: number, ignore: number, eps = 0): number[] {
  return targets.map((t, n) => {
    if (t === ignore) return 0;
    const row = logits.slice(n * c, (n + 1) * c);
    const lse = lseRef(row);
    const nll = lse - row[t];
    const smooth = row.reduce((s, v) => s + (lse - v), 0) / c;
    return (1 - eps) * nll + eps * smooth;
  });
}

describe('crossEntropy forward values', () => {
  const logits = rand(7, [4, 3]);
  const targets = [2, -100, 0, 1];
  for (const reduction of REDUCTIONS) {
    it(`ignoreIndex -100, reduction '${reduction}' ('mean' divides by the non-ignored count)`, async () => {
      const out = await runFeeds(
        rt,
        { x: { dims: ['N', 3], data: logits }, t: { dims: ['N'], data: int64([4], targets) } },
        (v) => ({
          y: crossEntropy(v.x, v.t, { reduction }),
        }),
      );
      const l = ceRef(f32(logits), targets, 3, -100);
      const expected =
        reduction === 'mean' ? [l.reduce((a, b) => a + b) / 3] : reduceRef(l, reduction);
      expectNear(out.y.toArray(), expected);
    });
  }

  it('label smoothing 0.2 with ignoreIndex 1 (int32 targets)', async () => {
    const t = [1, 0, 2, 1];
    const out = await runFeeds(
      rt,
      { x: { data: logits }, t: { data: new Tensor('int32', [4], Int32Array.from(t)) } },
      (v) => ({
        y: crossEntropy(v.x, v.t, { labelSmoothing: 0.2, ignoreIndex: 1 }),
      }),
    );
    expectNear(out.y.toArray(), [ceRef(f32(logits), t, 3, 1, 0.2).reduce((a, b) => a + b) / 2]);
  });

  it('class axis last on [B, T, C] with a symbolic batch, large logits stay finite', async () => {
    const x = rand(8, [2, 3, 4], -500, 500);
    const t = [3, 0, 1, 2, 2, 0];
    const out = await runFeeds(
      rt,
      { x: { dims: ['B', 3, 4], data: x }, t: { dims: ['B', 3], data: int64([2, 3], t) } },
      (v) => ({
        y: crossEntropy(v.x, v.t, { reduction: 'none' }),
      }),
    );
    expect(out.y.shape).toEqual([2, 3]);
    expectNear(out.y.toArray(), ceRef(f32(x), t, 4, -100), 1e-4);
  });

  it('PyTorch layout [N, C, d] with classAxis 1', async () => {
    const x = rand(9, [2, 3, 2]);
    const t = [2, 0, 1, 1];
    const out = await runFeeds(rt, { x: { data: x }, t: { data: int64([2, 2], t) } }, (v) => ({
      y: crossEntropy(v.x, v.t, { classAxis: 1, reduction: 'none' }),
    }));
    // Gather the class rows [n, :, d] into [N*d, C] for the reference.
    const rows: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let d = 0; d < 2; d++)
        for (let c = 0; c < 3; c++) rows.push(x.data[(n * 3 + c) * 2 + d] as number);
    expectNear(out.y.toArray(), ceRef(rows, t, 3, -100));
  });

  it('a batch where every target is ignored gives 0, not NaN, and zero gradients', async () => {
    const out = await runFeeds(
      rt,
      { x: { data: logits }, t: { data: int64([4], [-100, -100, -100, -100]) } },
      (v) => ({
        y: crossEntropy(v.x, v.t),
        dx: grad(crossEntropy(v.x, v.t), [v.x])[0],
      }),
    );
    expect(out.y.item()).toBe(0);
    expect(out.dx.toArray().every((e) => e === 0)).toBe(true);
  });
});

const probs = (rng: Rng, n: number) => rng.uniform(n, 0.1, 0.9);
const targetsOf = (values: number[]) => () => BigInt64Array.from(values, BigInt);

const gradCases: GradcheckCase[] = [
  ['mseLoss mean', { p: { shape: [3, 4] }, t: { shape: [3, 4] } }, (v) => mseLoss(v.p, v.t)],
  [
    'mseLoss sum symbolic batch',
    { p: { shape: [3, 2], dims: ['batch', 2] }, t: { shape: [3, 2], dims: ['batch', 2] } },
    (v) => mseLoss(v.p, v.t, { reduction: 'sum' }),
  ],
  [
    'mseLoss none size-1 dim',
    { p: { shape: [3, 1] }, t: { shape: [3, 1] } },
    (v) => mseLoss(v.p, v.t, { reduction: 'none' }),
  ],
  [
    'bceLoss mean',
    { p: { shape: [3, 2], data: probs }, t: { shape: [3, 2], data: probs } },
    (v) => bceLoss(v.p, v.t),
  ],
  [
    'bceLoss none symbolic batch',
    {
      p: { shape: [4, 1], dims: ['batch', 1], data: probs },
      t: { shape: [4, 1], dims: ['batch', 1], data: probs },
    },
    (v) => bceLoss(v.p, v.t, { reduction: 'none' }),
  ],
  [
    'bceWithLogitsLoss mean',
    { x: { shape: [3, 4] }, t: { shape: [3, 4], data: probs } },
    (v) => bceWithLogitsLoss(v.x, v.t),
  ],
  [
    'bceWithLogitsLoss posWeight symbolic batch',
    {
      x: { shape: [3, 2], dims: ['batch', 2] },
      t: { shape: [3, 2], dims: ['batch', 2], data: probs },
      pw: { shape: [2], data: probs },
    },
    (v) => bceWithLogitsLoss(v.x, v.t, { posWeight: v.pw, reduction: 'sum' }),
  ],
  [
    'crossEntropy [N,C] with an ignored target',
    { x: { shape: [4, 3] }, t: { shape: [4], dtype: 'int64', data: targetsOf([2, -100, 0, 1]) } },
    (v) => crossEntropy(v.x, v.t),
  ],
  [
    'crossEntropy [B,T,C] symbolic batch, reduction none',
    {
      x: { shape: [2, 3, 4], dims: ['B', 3, 4] },
      t: { shape: [2, 3], dims: ['B', 3], dtype: 'int64', data: targetsOf([3, 0, 1, 2, 2, 0]) },
    },
    (v) => crossEntropy(v.x, v.t, { reduction: 'none' }),
  ],
  [
    'crossEntropy [N,C,d] classAxis 1, label smoothing, sum',
    {
      x: { shape: [2, 3, 2] },
      t: { shape: [2, 2], dtype: 'int64', data: targetsOf([2, 0, 1, 1]) },
    },
    (v) => crossEntropy(v.x, v.t, { classAxis: 1, labelSmoothing: 0.1, reduction: 'sum' }),
  ],
  [
    'gaussianKl mean symbolic batch',
    { mu: { shape: [3, 4], dims: ['batch', 4] }, lv: { shape: [3, 4], dims: ['batch', 4] } },
    (v) => gaussianKl(v.mu, v.lv),
  ],
  [
    'gaussianKl none',
    { mu: { shape: [2, 3] }, lv: { shape: [2, 3] } },
    (v) => gaussianKl(v.mu, v.lv, { reduction: 'none' }),
  ],
  [
    'crossEntropy second order (gradient of a gradient)',
    { x: { shape: [3, 4] }, t: { shape: [3], dtype: 'int64', data: targetsOf([1, 3, 0]) } },
    (v) => grad(crossEntropy(v.x, v.t), [v.x])[0],
  ],
];

gradcheckCases(() => rt, 'loss gradients', gradCases);

describe('loss trace-time errors', () => {
  it('crossEntropy with float targets is a DTypeError', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 10]);
    const t = g.input('t', 'float32', ['batch']);
    expect(() => g.scope('head', () => crossEntropy(x, t))).toThrow(DTypeError);
    expect(() => g.scope('head', () => crossEntropy(x, t))).toThrow(
      'head: crossEntropy: target float32[batch] must hold class indices; expected int64 or int32',
    );
  });

  it('crossEntropy target shape that does not match the logits', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 5, 10]);
    const t = g.input('t', 'int64', ['batch', 10]);
    expect(() => crossEntropy(x, t)).toThrow(ShapeError);
    expect(() => crossEntropy(x, t)).toThrow(
      'crossEntropy: logits [batch,5,10] and target [batch,10] do not match; expected target [batch,5]',
    );
  });

  it('mseLoss shape mismatch names both shapes', () => {
    const g = new Graph();
    const p = g.input('p', 'float32', ['batch', 3]);
    const t = g.input('t', 'float32', ['batch', 1]);
    expect(() => g.scope('vae.recon', () => mseLoss(p, t))).toThrow(ShapeError);
    expect(() => g.scope('vae.recon', () => mseLoss(p, t))).toThrow(
      'vae.recon: mseLoss: input [batch,3] and target [batch,1] differ; expected equal shapes',
    );
  });

  it('gaussianKl operand names, and an unknown reduction', () => {
    const g = new Graph();
    const mu = g.input('mu', 'float32', [2, 4]);
    const lv = g.input('lv', 'float32', [2, 3]);
    expect(() => gaussianKl(mu, lv)).toThrow('gaussianKl: mu [2,4] and logvar [2,3] differ');
    expect(() => mseLoss(mu, mu, { reduction: 'avg' as Reduction })).toThrow(
      "mseLoss: reduction 'avg'; expected 'mean', 'sum' or 'none'",
    );
  });
});

describe.runIf(webgpuAvailable())('losses on WebGPU (SwiftShader in CI)', () => {
  it('every loss matches CPU to 1e-4 with gradients, no node on the CPU (int32 targets)', async () => {
    const g = new Graph('loss-webgpu');
    const x = g.input('x', 'float32', [4, 3]);
    const p = g.input('p', 'float32', [4, 3]);
    const t = g.input('t', 'int32', [4]);
    const losses = [
      crossEntropy(x, t, { labelSmoothing: 0.1 }),
      mseLoss(x, p),
      bceLoss(p, p),
      bceWithLogitsLoss(x, p, { posWeight: p }),
      gaussianKl(x, mul(p, 0.5)),
    ];
    const loss = losses.reduce((a, b) => add(a, b));
    const [dx, dp] = grad(loss, [x, p]);
    const feeds = {
      x: rand(14, [4, 3]),
      p: new Tensor('float32', [4, 3], new Rng(15).uniform(12, 0.1, 0.9)),
      t: new Tensor('int32', [4], Int32Array.of(2, -100, 0, 1)),
    };
    await expectCpuWebGpuMatch(rt, g, { loss, dx, dp }, feeds, { tol: 1e-4 });
  });
});
