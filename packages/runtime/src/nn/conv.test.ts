import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import { Rng } from '../rng.js';
import type { Tensor } from '../tensor.js';
import { bindModule, gradcheckModule, stateDictLayout, torchLayout } from '../testing/module.js';
import { Conv2d, ConvTranspose2d } from './conv.js';
import { withTrace } from './trace.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

/** Output shape of `m` on a traced input of `shape` (no run). */
function outShape(m: Conv2d | ConvTranspose2d, shape: (number | string)[]) {
  const g = new Graph('shape');
  const x = g.input('x', 'float32', shape);
  return withTrace(bindModule(m, g, {}, false), () => m.call(x)).shape;
}

function stats(t: Tensor) {
  const a = t.toArray();
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  return { mean, variance, maxAbs: Math.max(...a.map(Math.abs)) };
}

describe('Conv2d', () => {
  it('maps [batch, 3, 16, 16] to [batch, 8, 8, 8] with stride 2, padding 1', () => {
    const conv = new Conv2d(3, 8, 3, { stride: 2, padding: 1, rng: new Rng(0) });
    expect(outShape(conv, ['batch', 3, 16, 16])).toEqual(['batch', 8, 8, 8]);
    const dil = new Conv2d(3, 4, [3, 5], { dilation: [1, 2], rng: new Rng(0) });
    expect(outShape(dil, [2, 3, 10, 12])).toEqual([2, 4, 8, 4]);
  });

  it('has the state_dict keys, shapes and dtypes PyTorch gives', () => {
    const rng = new Rng(0);
    expect(stateDictLayout(new Conv2d(4, 6, 3, { groups: 2, rng }))).toEqual(
      torchLayout('Conv2d(4, 6, 3, { groups: 2 })'),
    );
    expect(stateDictLayout(new Conv2d(3, 8, [3, 5], { bias: false, rng }))).toEqual(
      torchLayout('Conv2d(3, 8, [3, 5], { bias: false })'),
    );
  });

  it('initializes like PyTorch: U(+-1/sqrt(fanIn)), fanIn = in/groups * kh * kw', () => {
    const conv = new Conv2d(32, 64, 3, { groups: 2, rng: new Rng(1) });
    const bound = 1 / Math.sqrt(16 * 9);
    const w = stats(conv.weight.data);
    expect(w.maxAbs).toBeLessThanOrEqual(bound);
    expect(w.maxAbs).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(w.mean)).toBeLessThan(0.05 * bound);
    expect(w.variance).toBeCloseTo(bound ** 2 / 3, 4);
    const b = stats(conv.bias!.data);
    expect(b.maxAbs).toBeLessThanOrEqual(bound);
    expect(b.maxAbs).toBeGreaterThan(0.5 * bound);
  });

  it('is reproducible from its rng seed', () => {
    const a = new Conv2d(2, 3, 3, { rng: new Rng(7) });
    const b = new Conv2d(2, 3, 3, { rng: new Rng(7) });
    const c = new Conv2d(2, 3, 3, { rng: new Rng(8) });
    expect(a.weight.data.toArray()).toEqual(b.weight.data.toArray());
    expect(a.weight.data.toArray()).not.toEqual(c.weight.data.toArray());
  });

  it('passes gradcheck w.r.t. input and parameters (stride, padding, groups)', async () => {
    const conv = new Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, rng: new Rng(2) });
    const r = await gradcheckModule(rt, conv, { x: { shape: [2, 4, 5, 5] } }, (v) =>
      conv.call(v.x),
    );
    expect(r.ok, r.message).toBe(true);
  });

  it('rejects groups that do not divide the channels, and a wrong input channel count', () => {
    expect(() => new Conv2d(4, 6, 3, { groups: 4, rng: new Rng(0) })).toThrow(/groups 4/);
    const conv = new Conv2d(3, 8, 3, { rng: new Rng(0) });
    expect(() => outShape(conv, [1, 4, 8, 8])).toThrow(ShapeError);
  });
});

describe('ConvTranspose2d', () => {
  it('maps [batch, 8, 8, 8] to [batch, 3, 16, 16] (kernel 4, stride 2, padding 1)', () => {
    const up = new ConvTranspose2d(8, 3, 4, { stride: 2, padding: 1, rng: new Rng(0) });
    expect(outShape(up, ['batch', 8, 8, 8])).toEqual(['batch', 3, 16, 16]);
    const op = new ConvTranspose2d(4, 6, 3, {
      stride: 2,
      padding: 1,
      outputPadding: 1,
      groups: 2,
      rng: new Rng(0),
    });
    expect(outShape(op, [2, 4, 4, 4])).toEqual([2, 6, 8, 8]);
  });

  it('has the state_dict keys, shapes and dtypes PyTorch gives (weight [in, out/groups, kh, kw])', () => {
    const rng = new Rng(0);
    expect(stateDictLayout(new ConvTranspose2d(4, 6, 3, { groups: 2, rng }))).toEqual(
      torchLayout('ConvTranspose2d(4, 6, 3, { groups: 2 })'),
    );
    expect(stateDictLayout(new ConvTranspose2d(6, 3, [2, 4], { bias: false, rng }))).toEqual(
      torchLayout('ConvTranspose2d(6, 3, [2, 4], { bias: false })'),
    );
  });

  it("keeps PyTorch's init quirk: fanIn = weight dim 1 (out/groups) * kh * kw", () => {
    // 64 inputs, 4 outputs: PyTorch's bound is 1/sqrt(4 * 9) = 1/6, not 1/sqrt(64 * 9).
    const up = new ConvTranspose2d(64, 4, 3, { rng: new Rng(3) });
    const bound = 1 / 6;
    const w = stats(up.weight.data);
    expect(w.maxAbs).toBeLessThanOrEqual(bound);
    expect(w.maxAbs).toBeGreaterThan(0.99 * bound);
    expect(w.variance).toBeCloseTo(bound ** 2 / 3, 3);
    expect(stats(up.bias!.data).maxAbs).toBeLessThanOrEqual(bound);
  });

  it('passes gradcheck w.r.t. input and parameters (outputPadding, groups)', async () => {
    const up = new ConvTranspose2d(4, 6, 3, {
      stride: 2,
      padding: 1,
      outputPadding: 1,
      groups: 2,
      rng: new Rng(4),
    });
    const r = await gradcheckModule(rt, up, { x: { shape: [2, 4, 3, 3] } }, (v) => up.call(v.x));
    expect(r.ok, r.message).toBe(true);
  });
});
