import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import { mul, square } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { sgd } from '../optim/sgd.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import {
  bindModule,
  compileModule,
  gradcheckModule,
  stateDictLayout,
  torchLayout,
} from '../testing/module.js';
import { compileTrainStep } from '../train/train-step.js';
import { Sequential } from './containers.js';
import type { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm } from './normalization.js';
import { withTrace } from './trace.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

/** Give every float tensor of `m` seeded N(0, 0.5^2) values (ones/zeros would hide affine bugs). */
function randomize(m: Module, seed: number): void {
  const rng = new Rng(seed);
  for (const [, p] of m.namedParameters())
    p.data = new Tensor('float32', p.shape, rng.normal(p.data.size, 0, 0.5));
}

const randn = (shape: number[], seed: number, mu = 0, std = 1) =>
  new Tensor(
    'float32',
    shape,
    new Rng(seed).normal(
      shape.reduce((a, b) => a * b, 1),
      mu,
      std,
    ),
  );

describe('LayerNorm', () => {
  it('has PyTorch keys and ones/zeros init; elementwiseAffine false has no tensors', () => {
    const ln = new LayerNorm([3, 5]);
    expect(stateDictLayout(ln)).toEqual(torchLayout('LayerNorm([3, 5])'));
    expect(ln.weight!.data.toArray().every((v) => v === 1)).toBe(true);
    expect(ln.bias!.data.toArray().every((v) => v === 0)).toBe(true);
    expect(stateDictLayout(new LayerNorm(7, { elementwiseAffine: false }))).toEqual(
      torchLayout('LayerNorm(7, { elementwiseAffine: false })'),
    );
  });

  it('passes gradcheck w.r.t. input, weight and bias', async () => {
    const ln = new LayerNorm([3, 4]);
    randomize(ln, 1);
    const r = await gradcheckModule(rt, ln, { x: { shape: [2, 3, 4] } }, (v) => ln.call(v.x));
    expect(r.ok, r.message).toBe(true);
  });
});

describe('GroupNorm', () => {
  it('has PyTorch keys; checks the channel count', () => {
    expect(stateDictLayout(new GroupNorm(2, 6))).toEqual(torchLayout('GroupNorm(2, 6)'));
    expect(stateDictLayout(new GroupNorm(3, 6, { affine: false }))).toEqual(
      torchLayout('GroupNorm(3, 6, { affine: false })'),
    );
    expect(() => new GroupNorm(4, 6)).toThrow(/divisible by numGroups 4/);
    const gn = new GroupNorm(2, 6);
    const g = new Graph('gn');
    const x = g.input('x', 'float32', ['batch', 4, 3, 3]);
    expect(() => withTrace(bindModule(gn, g, {}, true), () => gn.call(x))).toThrow(
      /expected \[N, 6, \.\.\.\]/,
    );
  });

  it('passes gradcheck w.r.t. input, weight and bias', async () => {
    const gn = new GroupNorm(2, 4);
    randomize(gn, 2);
    const r = await gradcheckModule(rt, gn, { x: { shape: [2, 4, 3, 2] } }, (v) => gn.call(v.x));
    expect(r.ok, r.message).toBe(true);
  });
});

/** JS reference of PyTorch's running-stat update over batches x: [N, C, ...] (float64). */
function referenceRunningStats(batches: Tensor[], C: number, momentum: number | null) {
  const rm = new Float64Array(C);
  const rv = new Float64Array(C).fill(1);
  batches.forEach((x, step) => {
    const a = x.toArray();
    const inner = x.size / (x.shape[0] * C);
    const n = x.shape[0] * inner;
    const m = momentum ?? 1 / (step + 1);
    for (let c = 0; c < C; c++) {
      const vals: number[] = [];
      for (let i = 0; i < x.shape[0]; i++)
        for (let j = 0; j < inner; j++) vals.push(a[(i * C + c) * inner + j]);
      const mu = vals.reduce((s, v) => s + v, 0) / n;
      const unbiased = vals.reduce((s, v) => s + (v - mu) ** 2, 0) / (n - 1);
      rm[c] = (1 - m) * rm[c] + m * mu;
      rv[c] = (1 - m) * rv[c] + m * unbiased;
    }
  });
  return { rm: Array.from(rm), rv: Array.from(rv) };
}

function expectClose(actual: number[], expected: number[], tol = 1e-5) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(Math.abs(a - expected[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i])));
  });
}

describe('BatchNorm', () => {
  it('has PyTorch keys, including num_batches_tracked as an int64 buffer', () => {
    const bn = new BatchNorm2d(3);
    expect(stateDictLayout(bn)).toEqual(torchLayout('BatchNorm2d(3)'));
    expect(stateDictLayout(new BatchNorm1d(4))).toEqual(torchLayout('BatchNorm1d(4)'));
    expect(stateDictLayout(new BatchNorm2d(3, { affine: false }))).toEqual(
      torchLayout('BatchNorm2d(3, { affine: false })'),
    );
    expect(stateDictLayout(new BatchNorm2d(3, { trackRunningStats: false }))).toEqual(
      torchLayout('BatchNorm2d(3, { trackRunningStats: false })'),
    );
    expect(bn.namedBuffers().map(([k]) => k)).toEqual([
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    expect(bn.running_var!.data.toArray()).toEqual([1, 1, 1]);
    expect(bn.num_batches_tracked!.data.dtype).toBe('int64');
  });

  it('passes gradcheck in train mode (through the batch statistics) and in eval mode', async () => {
    for (const training of [true, false]) {
      const bn = new BatchNorm2d(3);
      randomize(bn, 3);
      bn.running_mean!.data = randn([3], 4, 0, 0.5);
      bn.running_var!.data = Tensor.from([0.5, 1.5, 2]);
      const r = await gradcheckModule(rt, bn, { x: { shape: [4, 3, 2, 2] } }, (v) => bn.call(v.x), {
        training,
      });
      expect(r.ok, `training ${training}: ${r.message}`).toBe(true);
    }
    const bn1 = new BatchNorm1d(5);
    randomize(bn1, 5);
    const r = await gradcheckModule(rt, bn1, { x: { shape: [6, 5] } }, (v) => bn1.call(v.x), {
      training: true,
    });
    expect(r.ok, r.message).toBe(true);
  });

  for (const momentum of [0.1, null]) {
    it(`running stats after 3 compileTrainStep steps equal a JS reference (momentum ${momentum})`, async () => {
      const bn = new BatchNorm2d(3, { momentum });
      const batches = [0, 1, 2].map((s) => randn([4, 3, 2, 2], 10 + s, s - 1, 1 + s));
      const step = await compileTrainStep(rt, {
        module: bn,
        inputs: { x: { dtype: 'float32', shape: ['batch', 3, 2, 2] } },
        loss: (_p, b) => mean(square(bn.call(b.x))),
        optimizer: sgd(),
      });
      for (const x of batches) await step.run({ x }, { lr: 0.1 });
      await step.syncTo(bn);
      const ref = referenceRunningStats(batches, 3, momentum);
      expectClose(bn.running_mean!.data.toArray(), ref.rm);
      expectClose(bn.running_var!.data.toArray(), ref.rv);
      expect(bn.num_batches_tracked!.data.toArray()).toEqual([3]);
      expect(bn.stateDict().num_batches_tracked.dtype).toBe('int64');
      await step.dispose();
    });
  }

  it('BatchNorm1d updates running stats over [N, C, L] inputs', async () => {
    const bn = new BatchNorm1d(2);
    const x = randn([3, 2, 4], 20, 1, 2);
    const c = await compileModule(
      rt,
      bn,
      { x: { dtype: 'float32', shape: [3, 2, 4] } },
      (v) => ({ y: bn.call(v.x) }),
      true,
    );
    const out = await c.run({ x });
    const ref = referenceRunningStats([x], 2, 0.1);
    expectClose(out['update:running_mean'].toArray(), ref.rm);
    expectClose(out['update:running_var'].toArray(), ref.rv);
    expect(out['update:num_batches_tracked'].toArray()).toEqual([1]);
    await c.exe.dispose();
  });

  it('eval mode (root or sub-module) normalizes with running stats and updates nothing', async () => {
    const x = randn([4, 3, 2, 2], 30, 2, 3);
    // The root in eval mode: compileTrainStep traces with training = false.
    const root = new BatchNorm2d(3).eval();
    // A sub-module put in eval mode inside a training root keeps eval behaviour (PyTorch).
    const inner = new BatchNorm2d(3);
    const net = new Sequential(inner);
    inner.eval();
    for (const [m, owner] of [
      [root, root],
      [inner, net],
    ] as const) {
      m.running_mean!.data = Tensor.from([1, 2, 3]);
      m.running_var!.data = Tensor.from([4, 4, 4]);
      const step = await compileTrainStep(rt, {
        module: owner,
        inputs: { x: { dtype: 'float32', shape: [4, 3, 2, 2] } },
        loss: (_p, b) => sum(mul(owner.call(b.x), 0.01)),
        optimizer: sgd(),
      });
      await step.run({ x }, { lr: 0.1 });
      const state = await step.getState();
      const prefix = owner === net ? '0.' : '';
      expect(state.buffers[`${prefix}running_mean`].toArray()).toEqual([1, 2, 3]);
      expect(state.buffers[`${prefix}num_batches_tracked`].toArray()).toEqual([0]);
      await step.dispose();
    }
    // Module in train mode, trace declared as inference: eval behaviour, no updates.
    const bn = new BatchNorm2d(3);
    bn.running_mean!.data = Tensor.from([1, 2, 3]);
    bn.running_var!.data = Tensor.from([4, 4, 4]);
    const c = await compileModule(
      rt,
      bn,
      { x: { dtype: 'float32', shape: [4, 3, 2, 2] } },
      (v) => ({ y: bn.call(v.x) }),
      false,
    );
    expect(c.ctx.updates.size).toBe(0);
    const y = (await c.run({ x })).y.toArray();
    const xa = x.toArray();
    y.forEach((v, i) => {
      const ch = Math.floor(i / 4) % 3;
      expect(v).toBeCloseTo((xa[i] - (ch + 1)) / Math.sqrt(4 + 1e-5), 5);
    });
    await c.exe.dispose();
  });

  it('without running stats normalizes with batch statistics in eval mode too', async () => {
    const bn = new BatchNorm2d(2, { trackRunningStats: false, affine: false }).eval();
    const c = await compileModule(
      rt,
      bn,
      { x: { dtype: 'float32', shape: [3, 2, 2, 2] } },
      (v) => ({ y: bn.call(v.x) }),
      false,
    );
    const y = (await c.run({ x: randn([3, 2, 2, 2], 40, 5, 2) })).y.toArray();
    const ch0 = y.filter((_, i) => Math.floor(i / 4) % 2 === 0);
    expect(Math.abs(ch0.reduce((s, v) => s + v, 0) / ch0.length)).toBeLessThan(1e-5);
    await c.exe.dispose();
  });

  it('names the module path and the expected layout on a wrong input', () => {
    const net = new Sequential(new BatchNorm2d(3));
    const g = new Graph('bad');
    const x = g.input('x', 'float32', ['batch', 3]);
    const ctx = bindModule(net, g, {}, true);
    expect(() => withTrace(ctx, () => net.call(x))).toThrow(ShapeError);
    expect(() => withTrace(ctx, () => net.call(x))).toThrow(
      /^0: BatchNorm2d: input \[batch,3\]; expected \[N,3,H,W\]/,
    );
  });
});
