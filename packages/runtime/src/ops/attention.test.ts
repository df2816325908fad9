import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { DTypeError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import type { Dim } from '../graph/shape.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import {
  expectClose,
  type Feeds,
  type GradcheckCase,
  gradcheckCases,
  runFeeds,
} from '../testing/cases.js';
import type { GradcheckInput } from '../testing/gradcheck.js';
import { expectCpuWebGpuMatch, webgpuAvailable } from '../testing/webgpu.js';
import { scaledDotProductAttention as sdpa } from './attention.js';
import { mul, square } from './elementwise.js';
import { sum } from './reduce.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const rand = (seed: number, shape: number[]) =>
  new Tensor('float32', shape, new Rng(seed).uniform(shape, -1.5, 1.5));
const bool = (shape: number[], values: number[]) =>
  new Tensor('bool', shape, Uint8Array.from(values));

/**
 * Naive attention over q: [B, H, Tq, D], k: [B, H, Tk, D], v: [B, H, Tk, Dv]; masked keys
 * are left out of the softmax, and a row with every key masked averages all of v uniformly.
 */
function attentionRef(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  masked: (b: number, i: number, j: number) => boolean,
  scale?: number,
): number[] {
  const [nb, nh, tq, d] = q.shape;
  const [tk, dv] = [k.shape[2], v.shape[3]];
  const s = scale ?? 1 / Math.sqrt(d);
  const out: number[] = [];
  for (let b = 0; b < nb; b++)
    for (let h = 0; h < nh; h++)
      for (let i = 0; i < tq; i++) {
        const keys = Array.from({ length: tk }, (_, j) => j).filter((j) => !masked(b, i, j));
        const use = keys.length > 0 ? keys : Array.from({ length: tk }, (_, j) => j);
        const scores = use.map((j) => {
          if (keys.length === 0) return 0; // every key masked: uniform weights
          let dot = 0;
          for (let e = 0; e < d; e++)
            dot +=
              (q.data[((b * nh + h) * tq + i) * d + e] as number) *
              (k.data[((b * nh + h) * tk + j) * d + e] as number);
          return dot * s;
        });
        const m = Math.max(...scores);
        const w = scores.map((x) => Math.exp(x - m));
        const z = w.reduce((a, c) => a + c, 0);
        for (let e = 0; e < dv; e++)
          out.push(
            use.reduce(
              (acc, j, n) =>
                acc + (w[n] / z) * (v.data[((b * nh + h) * tk + j) * dv + e] as number),
              0,
            ),
          );
      }
  return out;
}

/** Rows [.., i, ..] of a [B, H, T, D] tensor for the query positions in `rows`. */
function pick(t: Tensor, rows: number[]): number[] {
  const [nb, nh, tt, d] = t.shape;
  const out: number[] = [];
  for (let bh = 0; bh < nb * nh; bh++)
    for (const i of rows)
      for (let e = 0; e < d; e++) out.push(t.data[(bh * tt + i) * d + e] as number);
  return out;
}

describe('scaledDotProductAttention forward values', () => {
  const [q, k, v] = [rand(1, [2, 2, 3, 4]), rand(2, [2, 2, 3, 4]), rand(3, [2, 2, 3, 2])];
  const qkv = (dims: Dim[] = ['B', 2, 3, 4], dv: Dim[] = ['B', 2, 3, 2]): Feeds => ({
    q: { dims, data: q },
    k: { dims, data: k },
    v: { dims: dv, data: v },
  });

  it('no mask, custom scale', async () => {
    const out = await runFeeds(rt, qkv(), (x) => ({ y: sdpa(x.q, x.k, x.v, { scale: 0.3 }) }));
    expect(out.y.shape).toEqual([2, 2, 3, 2]);
    expectClose(
      out.y.toArray(),
      attentionRef(q, k, v, () => false, 0.3),
    );
  });

  it('causal plus key padding with a symbolic batch', async () => {
    const pad = bool([2, 3], [0, 0, 0, 0, 1, 0]); // batch 1: key 1 is padding
    const out = await runFeeds(rt, { ...qkv(), pad: { dims: ['B', 3], data: pad } }, (x) => ({
      y: sdpa(x.q, x.k, x.v, { causal: true, keyPaddingMask: x.pad }),
    }));
    expectClose(
      out.y.toArray(),
      attentionRef(q, k, v, (b, i, j) => j > i || pad.data[b * 3 + j] === 1),
    );
  });

  it('causal with symbolic Tq and Tk builds the mask at run time (Range over the lengths)', async () => {
    const [q2, k4, v4] = [rand(4, [1, 2, 2, 4]), rand(5, [1, 2, 4, 4]), rand(6, [1, 2, 4, 3])];
    // One graph serves every length: queries 'T', keys 'S' (e.g. a cache plus new keys).
    const g = new Graph('dynamic-causal');
    const xq = g.input('q', 'float32', [1, 2, 'T', 4]);
    const xk = g.input('k', 'float32', [1, 2, 'S', 4]);
    const xv = g.input('v', 'float32', [1, 2, 'S', 3]);
    const exe = await rt.compile(g, {
      y: sdpa(xq, xk, xv, { causal: true }),
      y1: sdpa(xq, xk, xv, { causal: true, pastLength: 1 }),
    });
    const out = await exe.runHost({ q: q2, k: k4, v: v4 });
    expectClose(
      out.y.toArray(),
      attentionRef(q2, k4, v4, (_b, i, j) => j > i + 2),
    );
    expectClose(
      out.y1.toArray(),
      attentionRef(q2, k4, v4, (_b, i, j) => j > i + 1),
    );
    // Tq = Tk: the plain lower-triangular mask.
    const self = await exe.runHost({ q: k4, k: k4, v: v4 });
    expectClose(
      self.y.toArray(),
      attentionRef(k4, k4, v4, (_b, i, j) => j > i),
    );
    await exe.dispose();
  });

  it('causal with Tq < Tk aligns the queries to the end of the keys', async () => {
    const [q2, k4, v4] = [rand(4, [1, 2, 2, 4]), rand(5, [1, 2, 4, 4]), rand(6, [1, 2, 4, 3])];
    const out = await runFeeds(rt, { q: { data: q2 }, k: { data: k4 }, v: { data: v4 } }, (x) => ({
      y: sdpa(x.q, x.k, x.v, { causal: true }),
    }));
    expectClose(
      out.y.toArray(),
      attentionRef(q2, k4, v4, (_b, i, j) => j > i + 2),
    );
  });

  it('KV cache: the last query alone against all keys equals the full causal pass', async () => {
    const [qf, kf, vf] = [rand(7, [2, 2, 4, 4]), rand(8, [2, 2, 4, 4]), rand(9, [2, 2, 4, 3])];
    const qLast = new Tensor('float32', [2, 2, 1, 4], Float32Array.from(pick(qf, [3])));
    const qMid = new Tensor('float32', [2, 2, 1, 4], Float32Array.from(pick(qf, [1])));
    const kvDims = { k: { dims: ['B', 2, 4, 4], data: kf }, v: { dims: ['B', 2, 4, 3], data: vf } };
    const out = await runFeeds(
      rt,
      {
        q: { dims: ['B', 2, 4, 4], data: qf },
        qLast: { dims: ['B', 2, 1, 4], data: qLast },
        qMid: { dims: ['B', 2, 1, 4], data: qMid },
        past: { data: new Tensor('int64', [], BigInt64Array.of(1n)) },
        ...kvDims,
      },
      (x) => ({
        full: sdpa(x.q, x.k, x.v, { causal: true }),
        last: sdpa(x.qLast, x.k, x.v, { causal: true }),
        // A fixed-size cache holding keys 0..3 while decoding position 1: keys 2, 3 are not yet valid.
        midStatic: sdpa(x.qMid, x.k, x.v, { causal: true, pastLength: 1 }),
        midRuntime: sdpa(x.qMid, x.k, x.v, { causal: true, pastLength: x.past }),
      }),
    );
    expectClose(
      out.full.toArray(),
      attentionRef(qf, kf, vf, (_b, i, j) => j > i),
    );
    expectClose(out.last.toArray(), pick(out.full, [3]));
    expectClose(out.midStatic.toArray(), pick(out.full, [1]));
    expectClose(out.midRuntime.toArray(), pick(out.full, [1]));
  });

  it('a query whose keys are all padded averages v (finite, no NaN), also in the gradient', async () => {
    const pad = bool([2, 3], [1, 1, 1, 0, 0, 1]);
    const out = await runFeeds(
      rt,
      { ...qkv([2, 2, 3, 4], [2, 2, 3, 2]), pad: { data: pad } },
      (x) => {
        const y = sdpa(x.q, x.k, x.v, { keyPaddingMask: x.pad });
        return { y, dq: grad(sum(square(y)), [x.q])[0] };
      },
    );
    expectClose(
      out.y.toArray(),
      attentionRef(q, k, v, (b, _i, j) => pad.data[b * 3 + j] === 1),
    );
    expect(out.dq.toArray().every(Number.isFinite)).toBe(true);
  });
});

const inputs = (
  qs: number[],
  ks: number[],
  vs: number[],
  lead?: Dim[],
): Record<string, GradcheckInput> => ({
  q: { shape: qs, dims: lead && [...lead, ...qs.slice(lead.length)] },
  k: { shape: ks, dims: lead && [...lead, ...ks.slice(lead.length)] },
  v: { shape: vs, dims: lead && [...lead, ...vs.slice(lead.length)] },
});
// Padding that leaves every query at least one key: batch 0 pads key 2, batch 1 key 0.
const padMask: GradcheckInput = {
  shape: [2, 3],
  dims: ['B', 3],
  dtype: 'bool',
  data: () => Uint8Array.of(0, 0, 1, 1, 0, 0),
};

const gradCases: GradcheckCase[] = [
  ['no mask', inputs([1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]), (x) => sdpa(x.q, x.k, x.v)],
  [
    'causal, symbolic batch, Dv != Dh',
    inputs([2, 1, 3, 2], [2, 1, 3, 2], [2, 1, 3, 3], ['B']),
    (x) => sdpa(x.q, x.k, x.v, { causal: true }),
  ],
  [
    'causal Tq < Tk',
    inputs([1, 2, 2, 3], [1, 2, 4, 3], [1, 2, 4, 2]),
    (x) => sdpa(x.q, x.k, x.v, { causal: true }),
  ],
  [
    'key padding, symbolic batch',
    { ...inputs([2, 2, 3, 2], [2, 2, 3, 2], [2, 2, 3, 2], ['B']), pad: padMask },
    (x) => sdpa(x.q, x.k, x.v, { keyPaddingMask: x.pad }),
  ],
  [
    'causal + key padding + scale',
    { ...inputs([2, 1, 3, 2], [2, 1, 3, 2], [2, 1, 3, 2], ['B']), pad: padMask },
    (x) => sdpa(x.q, x.k, x.v, { causal: true, keyPaddingMask: x.pad, scale: 0.8 }),
  ],
  [
    'one shared key/value head (H broadcast)',
    inputs([2, 3, 2, 2], [2, 1, 3, 2], [2, 1, 3, 2]),
    (x) => sdpa(x.q, x.k, x.v),
  ],
  [
    'second order (gradient of a gradient)',
    inputs([1, 1, 3, 2], [1, 1, 3, 2], [1, 1, 3, 2]),
    (x) => grad(sum(square(sdpa(x.q, x.k, x.v, { causal: true }))), [x.k])[0],
  ],
];

gradcheckCases(() => rt, 'scaledDotProductAttention gradients', gradCases);

describe('scaledDotProductAttention trace-time errors', () => {
  const g = new Graph();
  const q = g.input('q', 'float32', ['B', 2, 3, 4]);
  const k = g.input('k', 'float32', ['B', 2, 5, 8]);
  const v = g.input('v', 'float32', ['B', 2, 5, 8]);
  const k4 = g.input('k4', 'float32', ['B', 2, 5, 4]);

  it('head dims that differ name all three shapes', () => {
    expect(() => g.scope('dec.attn', () => sdpa(q, k, v))).toThrow(ShapeError);
    expect(() => g.scope('dec.attn', () => sdpa(q, k, v))).toThrow(
      'dec.attn: scaledDotProductAttention: q [B,2,3,4], k [B,2,5,8], v [B,2,5,8]; expected q [B, H, Tq, Dh]',
    );
  });

  it('key padding mask of the wrong dtype or shape', () => {
    const f = g.input('f', 'float32', ['B', 5]);
    expect(() => sdpa(q, k4, v, { keyPaddingMask: f })).toThrow(DTypeError);
    const m = g.input('m', 'bool', ['B', 3]);
    expect(() => sdpa(q, k4, v, { keyPaddingMask: m })).toThrow(
      'keyPaddingMask [B,3] does not fit q [B,2,3,4], k [B,2,5,4], v [B,2,5,8]; expected [B, 5]',
    );
  });

  it('pastLength without causal', () => {
    expect(() => sdpa(q, k4, v, { pastLength: 2 })).toThrow(
      'pastLength only applies with causal: true',
    );
  });
});

describe.runIf(webgpuAvailable())('scaledDotProductAttention on WebGPU (SwiftShader in CI)', () => {
  it('causal + padding + run-time pastLength match CPU to 1e-4 with gradients, no node on the CPU', async () => {
    const g = new Graph('attention-webgpu');
    const q = g.input('q', 'float32', [2, 2, 2, 4]);
    const k = g.input('k', 'float32', [2, 2, 4, 4]);
    const pad = g.input('pad', 'bool', [2, 4]);
    const past = g.input('past', 'int32', []);
    const y = sdpa(q, k, k, { causal: true, keyPaddingMask: pad, pastLength: past });
    const [dq, dk] = grad(sum(mul(y, y)), [q, k]);
    const feeds = {
      q: rand(16, [2, 2, 2, 4]),
      k: rand(17, [2, 2, 4, 4]),
      pad: bool([2, 4], [0, 0, 0, 1, 1, 0, 0, 0]),
      past: new Tensor('int32', [], Int32Array.of(1)),
    };
    await expectCpuWebGpuMatch(rt, g, { y, dq, dk }, feeds, { tol: 1e-4 });
  });
});
