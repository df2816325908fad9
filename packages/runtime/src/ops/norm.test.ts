import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { expectClose, type GradcheckCase, gradcheckCases, runFeeds } from '../testing/cases.js';
import { expectCpuWebGpuMatch, webgpuAvailable } from '../testing/webgpu.js';
import { add, mul, square } from './elementwise.js';
import { batchNorm, batchNormStats, groupNorm, layerNorm } from './norm.js';
import { sum } from './reduce.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const positive = (rng: Rng, n: number) => rng.uniform(n, 0.5, 2);

/** Naive reference: standardize each of `outer` contiguous blocks of `inner` elements. */
function standardizeRef(x: ArrayLike<number>, inner: number, eps: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < x.length / inner; o++) {
    const block = Array.from({ length: inner }, (_, i) => x[o * inner + i]);
    const m = block.reduce((s, v) => s + v, 0) / inner;
    const v = block.reduce((s, e) => s + (e - m) ** 2, 0) / inner;
    out.push(...block.map((e) => (e - m) / Math.sqrt(v + eps)));
  }
  return out;
}

/** Per-channel mean and biased/unbiased variance of x: [N, C, S] (S flattened spatial). */
function channelStatsRef(x: ArrayLike<number>, n: number, c: number, s: number) {
  const mean: number[] = [];
  const biased: number[] = [];
  const unbiased: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const vals: number[] = [];
    for (let b = 0; b < n; b++) for (let k = 0; k < s; k++) vals.push(x[(b * c + ch) * s + k]);
    const m = vals.reduce((p, v) => p + v, 0) / vals.length;
    const ss = vals.reduce((p, v) => p + (v - m) ** 2, 0);
    mean.push(m);
    biased.push(ss / vals.length);
    unbiased.push(ss / (vals.length - 1));
  }
  return { mean, biased, unbiased };
}

const rand = (seed: number, shape: number[], lo = -2, hi = 2) =>
  new Tensor('float32', shape, new Rng(seed).uniform(shape, lo, hi));

describe('norm forward values', () => {
  it('layerNorm over the last two axes with weight and bias matches a naive loop', async () => {
    const x = rand(1, [2, 3, 4]);
    const w = rand(2, [3, 4]);
    const b = rand(3, [3, 4]);
    const out = await runFeeds(
      rt,
      {
        x: { dims: ['batch', 3, 4], data: x },
        w: { dims: [3, 4], data: w },
        b: { dims: [3, 4], data: b },
      },
      (v) => ({ y: layerNorm(v.x, [3, 4], v.w, v.b) }),
    );
    const z = standardizeRef(x.data as Float32Array, 12, 1e-5);
    expect(out.y.shape).toEqual([2, 3, 4]);
    expectClose(
      out.y.toArray(),
      z.map((e, i) => e * w.data[i % 12] + (b.data[i % 12] as number)),
    );
  });

  it('layerNorm with a number normalizedShape and a large eps', async () => {
    const x = rand(4, [3, 5]);
    const out = await runFeeds(rt, { x: { dims: [3, 5], data: x } }, (v) => ({
      y: layerNorm(v.x, 5, undefined, undefined, 0.5),
    }));
    expectClose(out.y.toArray(), standardizeRef(x.data as Float32Array, 5, 0.5));
  });

  it('groupNorm with a symbolic N matches a naive loop', async () => {
    const [n, c, s, groups] = [3, 4, 3, 2];
    const x = rand(5, [n, c, s]);
    const w = rand(6, [c]);
    const b = rand(7, [c]);
    const out = await runFeeds(
      rt,
      { x: { dims: ['N', c, s], data: x }, w: { dims: [c], data: w }, b: { dims: [c], data: b } },
      (v) => ({ y: groupNorm(v.x, groups, v.w, v.b) }),
    );
    // Each (sample, group) is a contiguous block of c/groups * s elements in NCS layout.
    const z = standardizeRef(x.data as Float32Array, (c / groups) * s, 1e-5);
    const ch = (i: number) => Math.floor(i / s) % c;
    expect(out.y.shape).toEqual([n, c, s]);
    expectClose(
      out.y.toArray(),
      z.map((e, i) => e * w.data[ch(i)] + (b.data[ch(i)] as number)),
    );
  });

  it('batchNormStats and train-mode batchNorm with a symbolic N match a naive loop', async () => {
    const [n, c, h, wd] = [3, 2, 2, 2];
    const x = rand(8, [n, c, h, wd]);
    const gamma = rand(9, [c]);
    const beta = rand(10, [c]);
    const out = await runFeeds(
      rt,
      {
        x: { dims: ['N', c, h, wd], data: x },
        gamma: { dims: [c], data: gamma },
        beta: { dims: [c], data: beta },
      },
      (v) => {
        const s = batchNormStats(v.x);
        return {
          mean: s.mean,
          var: s.var,
          varUnbiased: s.varUnbiased,
          y: batchNorm(v.x, s.mean, s.var, v.gamma, v.beta),
        };
      },
    );
    const ref = channelStatsRef(x.data as Float32Array, n, c, h * wd);
    expectClose(out.mean.toArray(), ref.mean);
    expectClose(out.var.toArray(), ref.biased);
    expectClose(out.varUnbiased.toArray(), ref.unbiased);
    const y = Array.from(x.data as Float32Array, (e, i) => {
      const ch = Math.floor(i / (h * wd)) % c;
      return (
        ((e - ref.mean[ch]) / Math.sqrt(ref.biased[ch] + 1e-5)) * gamma.data[ch] +
        (beta.data[ch] as number)
      );
    });
    expectClose(out.y.toArray(), y);
  });

  it('batchNormStats with a static N (Bessel factor folded to a constant)', async () => {
    const x = rand(11, [4, 3]);
    const out = await runFeeds(rt, { x: { dims: [4, 3], data: x } }, (v) => ({
      ...batchNormStats(v.x),
    }));
    const ref = channelStatsRef(x.data as Float32Array, 4, 3, 1);
    expectClose(out.mean.toArray(), ref.mean);
    expectClose(out.var.toArray(), ref.biased);
    expectClose(out.varUnbiased.toArray(), ref.unbiased);
  });

  it('eval-mode batchNorm on [N, C] uses the given running statistics', async () => {
    const x = Tensor.from([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const out = await runFeeds(
      rt,
      {
        x: { dims: ['N', 2], data: x },
        m: { dims: [2], data: Tensor.from([1, -1]) },
        v: { dims: [2], data: Tensor.from([4, 0.25]) },
      },
      (v) => ({ y: batchNorm(v.x, v.m, v.v, undefined, undefined, 0) }),
    );
    expectClose(out.y.toArray(), [0, 6, 1, 10, 2, 14]);
  });
});

const gradCases: GradcheckCase[] = [
  ['layerNorm last axis', { x: { shape: [3, 4] } }, (v) => layerNorm(v.x, 4)],
  [
    'layerNorm two axes + weight/bias',
    { x: { shape: [2, 3, 4] }, w: { shape: [3, 4] }, b: { shape: [3, 4] } },
    (v) => layerNorm(v.x, [3, 4], v.w, v.b),
  ],
  [
    'layerNorm symbolic batch',
    { x: { shape: [3, 5], dims: ['batch', 5] }, w: { shape: [5] }, b: { shape: [5] } },
    (v) => layerNorm(v.x, [5], v.w, v.b),
  ],
  [
    'layerNorm size-1 dim',
    { x: { shape: [2, 1, 4] }, w: { shape: [4] } },
    (v) => layerNorm(v.x, 4, v.w),
  ],
  [
    'groupNorm [N,C,L] G=2 + weight/bias',
    { x: { shape: [2, 4, 3] }, w: { shape: [4] }, b: { shape: [4] } },
    (v) => groupNorm(v.x, 2, v.w, v.b),
  ],
  [
    'groupNorm [N,C,H,W] G=3 symbolic N',
    { x: { shape: [2, 6, 2, 2], dims: ['N', 6, 2, 2] }, w: { shape: [6] } },
    (v) => groupNorm(v.x, 3, v.w),
  ],
  [
    'groupNorm [N,C] G=1',
    { x: { shape: [3, 4] }, b: { shape: [4] } },
    (v) => groupNorm(v.x, 1, undefined, v.b),
  ],
  [
    'groupNorm G=C (instance norm) symbolic N',
    { x: { shape: [2, 3, 4], dims: ['N', 3, 4] } },
    (v) => groupNorm(v.x, 3),
  ],
  [
    'batchNorm train [N,C] + weight/bias',
    { x: { shape: [4, 3] }, w: { shape: [3] }, b: { shape: [3] } },
    (v) => {
      const s = batchNormStats(v.x);
      return batchNorm(v.x, s.mean, s.var, v.w, v.b);
    },
  ],
  [
    'batchNorm train [N,C,H,W] symbolic N',
    { x: { shape: [3, 2, 2, 2], dims: ['N', 2, 2, 2] }, w: { shape: [2] } },
    (v) => {
      const s = batchNormStats(v.x);
      return batchNorm(v.x, s.mean, s.var, v.w);
    },
  ],
  [
    'batchNorm eval (running stats are inputs too)',
    {
      x: { shape: [3, 2, 4], dims: ['N', 2, 4] },
      m: { shape: [2] },
      var: { shape: [2], data: positive },
      w: { shape: [2] },
      b: { shape: [2] },
    },
    (v) => batchNorm(v.x, v.m, v.var, v.w, v.b),
  ],
  [
    'batchNormStats varUnbiased symbolic N',
    { x: { shape: [3, 2, 2], dims: ['N', 2, 2] } },
    (v) => batchNormStats(v.x).varUnbiased,
  ],
  [
    'layerNorm second order (gradient of a gradient)',
    { x: { shape: [2, 4] }, w: { shape: [4] } },
    (v) => grad(sum(mul(square(layerNorm(v.x, 4, v.w)), v.x)), [v.x])[0],
  ],
  [
    'groupNorm second order (gradient of a gradient)',
    { x: { shape: [2, 4, 3] }, w: { shape: [4] } },
    (v) => grad(sum(mul(square(groupNorm(v.x, 2, v.w)), v.x)), [v.x])[0],
  ],
];

gradcheckCases(() => rt, 'norm gradients', gradCases);

describe('norm trace-time errors', () => {
  it('layerNorm names the input and normalizedShape', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 3, 4]);
    expect(() => g.scope('enc', () => layerNorm(x, [4, 3]))).toThrow(ShapeError);
    expect(() => g.scope('enc', () => layerNorm(x, [4, 3]))).toThrow(
      'enc: layerNorm: input [batch,3,4] does not end with normalizedShape [4,3]',
    );
  });

  it('layerNorm weight of the wrong shape', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 4]);
    const w = g.input('w', 'float32', [5]);
    expect(() => layerNorm(x, 4, w)).toThrow(
      'layerNorm: weight [5] does not fit input [2,4]; expected [4]',
    );
  });

  it('groupNorm with channels not divisible by the groups', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['N', 6, 4]);
    expect(() => g.scope('block1.norm', () => groupNorm(x, 4))).toThrow(
      'block1.norm: groupNorm: input [N,6,4] has 6 channels; expected a static count divisible by numGroups = 4',
    );
  });

  it('batchNorm statistics of the wrong length and rank-1 input', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['N', 3]);
    const m = g.input('m', 'float32', [4]);
    expect(() => batchNorm(x, m, m)).toThrow(
      'batchNorm: mean [4] does not fit input [N,3]; expected [3]',
    );
    const v = g.input('v', 'float32', [3]);
    expect(() => batchNormStats(v)).toThrow(
      'batchNormStats: input [3] has rank 1; expected [N, C, ...]',
    );
  });
});

// Static shapes: with a symbolic N the runtime element count uses int64 Shape ops, which ORT
// places on the CPU by design.
describe.runIf(webgpuAvailable())('norm on WebGPU (SwiftShader in CI)', () => {
  it('layerNorm, groupNorm and train-mode batchNorm match CPU to 1e-4 with gradients, no node on the CPU', async () => {
    const g = new Graph('norm-webgpu');
    const x = g.input('x', 'float32', [2, 4, 3]);
    const w = g.input('w', 'float32', [4]);
    const s = batchNormStats(x);
    const y = add(add(layerNorm(x, 3), groupNorm(x, 2, w, w)), batchNorm(x, s.mean, s.var, w));
    const [dx, dw] = grad(sum(mul(y, x)), [x, w]);
    await expectCpuWebGpuMatch(
      rt,
      g,
      { y, dx, dw, varUnbiased: s.varUnbiased },
      { x: rand(12, [2, 4, 3]), w: rand(13, [4]) },
      { tol: 1e-4 },
    );
  });
});
