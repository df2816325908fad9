import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import { transpose } from '../ops/shape.js';
import { slice } from '../ops/slice.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { bindModule, gradcheckModule, stateDictLayout, torchLayout } from '../testing/module.js';
import { MultiheadAttention } from './attention.js';
import { withTrace } from './trace.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

/** Seeded non-zero values for every parameter (PyTorch's zero biases would hide bias bugs). */
function randomize(m: MultiheadAttention, seed: number): MultiheadAttention {
  const rng = new Rng(seed);
  for (const [, p] of m.namedParameters())
    p.data = new Tensor('float32', p.shape, rng.normal(p.data.size, 0, 0.5));
  return m;
}

const randn = (shape: number[], seed: number) =>
  new Tensor('float32', shape, new Rng(seed).normal(shape.reduce((a, b) => a * b, 1)));

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i])), 0);
}

/** Columns t of a [B, T, E] host tensor: [B, E]. */
function step(t: Tensor, i: number): number[] {
  const [B, T, E] = t.shape;
  const a = t.toArray();
  const out: number[] = [];
  for (let b = 0; b < B; b++) out.push(...a.slice((b * T + i) * E, (b * T + i + 1) * E));
  return out;
}

describe('MultiheadAttention', () => {
  it("has PyTorch's state_dict keys and shapes (fused, no bias, kdim/vdim)", () => {
    const rng = new Rng(0);
    expect(stateDictLayout(new MultiheadAttention(8, 2, { rng }))).toEqual(
      torchLayout('MultiheadAttention(8, 2)'),
    );
    expect(stateDictLayout(new MultiheadAttention(8, 2, { bias: false, rng }))).toEqual(
      torchLayout('MultiheadAttention(8, 2, { bias: false })'),
    );
    expect(stateDictLayout(new MultiheadAttention(8, 2, { kdim: 6, vdim: 5, rng }))).toEqual(
      torchLayout('MultiheadAttention(8, 2, { kdim: 6, vdim: 5 })'),
    );
    expect(() => new MultiheadAttention(10, 3, { rng })).toThrow(/divisible by numHeads 3/);
  });

  it('initializes as PyTorch: xavier_uniform_ in_proj_weight, zero biases, Linear out_proj', () => {
    const E = 64;
    const m = new MultiheadAttention(E, 4, { rng: new Rng(1) });
    const maxAbs = (t: Tensor) => Math.max(...t.toArray().map(Math.abs));
    const xavier = Math.sqrt(6 / (E + 3 * E));
    expect(maxAbs(m.in_proj_weight!.data)).toBeLessThanOrEqual(xavier);
    expect(maxAbs(m.in_proj_weight!.data)).toBeGreaterThan(0.99 * xavier);
    expect(maxAbs(m.in_proj_bias!.data)).toBe(0);
    expect(maxAbs(m.out_proj.bias!.data)).toBe(0);
    const linear = 1 / Math.sqrt(E);
    expect(maxAbs(m.out_proj.weight.data)).toBeLessThanOrEqual(linear);
    expect(maxAbs(m.out_proj.weight.data)).toBeGreaterThan(0.98 * linear);
  });

  it('maps [batch, T, E] to [batch, T, E] with a present cache [batch, H, T, E/H]', () => {
    const m = new MultiheadAttention(8, 2, { rng: new Rng(0) });
    const g = new Graph('shape');
    const x = g.input('x', 'float32', ['batch', 5, 8]);
    const mem = g.input('mem', 'float32', ['batch', 7, 8]);
    withTrace(bindModule(m, g, {}, false), () => {
      const self = m.call(x, undefined, undefined, { causal: true });
      expect(self.output.shape).toEqual(['batch', 5, 8]);
      expect(self.present.key.shape).toEqual(['batch', 2, 5, 4]);
      const cross = m.call(x, mem, mem);
      expect(cross.output.shape).toEqual(['batch', 5, 8]);
      expect(cross.present.value.shape).toEqual(['batch', 2, 7, 4]);
      expect(() => m.call(g.input('bad', 'float32', [2, 5, 6]))).toThrow(ShapeError);
    });
  });

  it('KV cache: T tokens at once (causal) equal T one-token calls feeding present back as past', async () => {
    const m = randomize(new MultiheadAttention(8, 2, { rng: new Rng(2) }), 3);
    const T = 5;
    const g = new Graph('kv');
    const x = g.input('x', 'float32', [2, T, 8]);
    const outputs: Record<string, Value> = {};
    withTrace(bindModule(m, g, {}, false), () => {
      const full = m.call(x, undefined, undefined, { causal: true });
      outputs.full = full.output;
      outputs.fullKey = full.present.key;
      let past: { key: Value; value: Value } | undefined;
      for (let t = 0; t < T; t++) {
        const xt = slice(x, [t], [t + 1], [1]);
        const r = m.call(xt, undefined, undefined, { causal: true, past });
        outputs[`step${t}`] = r.output;
        past = r.present;
      }
      outputs.cachedKey = past!.key;
    });
    const exe = await rt.compile(g, outputs);
    const out = await exe.runHost({ x: randn([2, T, 8], 4) });
    for (let t = 0; t < T; t++)
      expect(maxAbsDiff(out[`step${t}`].toArray(), step(out.full, t))).toBeLessThan(1e-5);
    expect(out.cachedKey.shape).toEqual([2, 2, T, 4]);
    expect(maxAbsDiff(out.cachedKey.toArray(), out.fullKey.toArray())).toBeLessThan(1e-6);
    // Without the causal mask the early positions would see the future: the test can fail.
    expect(maxAbsDiff(out.step0.toArray(), step(out.full, T - 1))).toBeGreaterThan(1e-3);
    await exe.dispose();
  });

  it('decodes with one compiled step and a growing cache of symbolic length', async () => {
    const m = randomize(new MultiheadAttention(8, 2, { rng: new Rng(5) }), 6);
    const T = 4;
    const x = randn([1, T, 8], 7);
    // Reference: the whole sequence at once.
    const gf = new Graph('full');
    const xf = gf.input('x', 'float32', [1, T, 8]);
    const full = withTrace(bindModule(m, gf, {}, false), () =>
      m.call(xf, undefined, undefined, { causal: true }),
    );
    const fullExe = await rt.compile(gf, { y: full.output });
    const ref = (await fullExe.runHost({ x })).y;
    // One decode step: a single query sees every cached key, so no mask is needed.
    const g = new Graph('decode');
    const xt = g.input('xt', 'float32', [1, 1, 8]);
    const past = {
      key: g.input('past_key', 'float32', [1, 2, 'past', 4]),
      value: g.input('past_value', 'float32', [1, 2, 'past', 4]),
    };
    const r = withTrace(bindModule(m, g, {}, false), () =>
      m.call(xt, undefined, undefined, { past }),
    );
    const exe = await rt.compile(g, { y: r.output, key: r.present.key, value: r.present.value });
    let cache = { key: Tensor.zeros([1, 2, 0, 4]), value: Tensor.zeros([1, 2, 0, 4]) };
    for (let t = 0; t < T; t++) {
      const xs = new Tensor('float32', [1, 1, 8], Float32Array.from(step(x, t)));
      const o = await exe.runHost({ xt: xs, past_key: cache.key, past_value: cache.value });
      expect(maxAbsDiff(o.y.toArray(), step(ref, t))).toBeLessThan(1e-5);
      cache = { key: o.key.clone(), value: o.value.clone() };
    }
    expect(cache.key.shape).toEqual([1, 2, T, 4]);
    await exe.dispose();
    await fullExe.dispose();
  });

  it('passes gradcheck w.r.t. input and parameters (causal self-attention with a past cache)', async () => {
    const m = randomize(new MultiheadAttention(4, 2, { rng: new Rng(8) }), 9);
    const r = await gradcheckModule(
      rt,
      m,
      { x: { shape: [2, 3, 4] }, pk: { shape: [2, 2, 2, 2] }, pv: { shape: [2, 2, 2, 2] } },
      (v) =>
        m.call(v.x, undefined, undefined, { causal: true, past: { key: v.pk, value: v.pv } })
          .output,
    );
    expect(r.ok, r.message).toBe(true);
  });

  it('passes gradcheck for cross-attention with kdim/vdim and a key padding mask', async () => {
    const m = randomize(new MultiheadAttention(4, 2, { kdim: 3, vdim: 5, rng: new Rng(10) }), 11);
    const mask = new Tensor('bool', [2, 4], Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1]));
    const r = await gradcheckModule(
      rt,
      m,
      {
        q: { shape: [2, 2, 4] },
        k: { shape: [2, 4, 3] },
        v: { shape: [2, 4, 5] },
        mask: { shape: [2, 4], dtype: 'bool', data: mask },
      },
      (v) => m.call(v.q, v.k, v.v, { keyPaddingMask: v.mask }).output,
    );
    expect(r.ok, r.message).toBe(true);
  });

  it('batchFirst: false takes and returns [T, B, E]', async () => {
    const a = randomize(new MultiheadAttention(8, 2, { rng: new Rng(12) }), 13);
    const b = new MultiheadAttention(8, 2, { batchFirst: false, rng: new Rng(0) });
    b.loadStateDict(a.stateDict());
    const g = new Graph('tbe');
    const x = g.input('x', 'float32', [2, 3, 8]);
    const ya = withTrace(
      bindModule(a, g, {}, false),
      () => a.call(x, undefined, undefined, { causal: true }).output,
    );
    const yb = withTrace(
      bindModule(b, g, {}, false),
      () => b.call(transpose(x, [1, 0, 2]), undefined, undefined, { causal: true }).output,
    );
    expect(yb.shape).toEqual([3, 2, 8]);
    const exe = await rt.compile(g, { ya, yb: transpose(yb, [1, 0, 2]) });
    const out = await exe.runHost({ x: randn([2, 3, 8], 14) });
    expect(maxAbsDiff(out.ya.toArray(), out.yb.toArray())).toBeLessThan(1e-6);
    await exe.dispose();
  });
});
