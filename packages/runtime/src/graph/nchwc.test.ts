import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { Runtime } from '../exec/runtime.js';
import { type Conv2dOptions, conv2d } from '../ops/conv.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { expectClose } from '../testing/cases.js';
import { gradcheck } from '../testing/gradcheck.js';
import { decodeModel } from './encode.js';
import { Graph } from './graph.js';

let blocked: Runtime;
let plain: Runtime;
beforeAll(async () => {
  blocked = await Runtime.create({ device: 'cpu', threads: 1 });
  plain = await Runtime.create({ device: 'cpu', threads: 1, nchwc: false });
});

interface Case {
  C: number;
  O: number;
  k: number;
  opts: Conv2dOptions;
  bias: boolean;
  hw: number;
}

/** y = conv2d(x, w, b) and the gradients of sum(y * u) with respect to x, w and b. */
async function convAndGrads(rt: Runtime, c: Case, seed = 1) {
  const rng = new Rng(seed);
  const N = 3;
  const data = {
    x: new Tensor('float32', [N, c.C, c.hw, c.hw], rng.normal(N * c.C * c.hw * c.hw)),
    w: new Tensor('float32', [c.O, c.C, c.k, c.k], rng.normal(c.O * c.C * c.k * c.k, 0, 0.1)),
    b: new Tensor('float32', [c.O], rng.normal(c.O)),
  };
  const g = new Graph('conv');
  const x = g.input('x', 'float32', ['N', c.C, c.hw, c.hw]);
  const w = g.input('w', 'float32', [c.O, c.C, c.k, c.k]);
  const b = g.input('b', 'float32', [c.O]);
  const y = conv2d(x, w, c.bias ? b : undefined, c.opts);
  const u = g.input('u', 'float32', y.shape);
  const [gx, gw, gb] = grad(sum(mul(y, u)), c.bias ? [x, w, b] : [x, w]);
  const exe = await rt.compile(g, { y, gx, gw, ...(gb ? { gb } : {}) });
  const ys = [N, c.O, ...y.shape.slice(2)].map((d) => (typeof d === 'number' ? d : N));
  const uT = new Tensor('float32', ys, rng.normal(ys.reduce((a, d) => a * d, 1)));
  const out = await exe.runHost({ ...data, u: uT });
  const domains = (decodeModel(exe.model).graph?.node ?? []).map((n) => n.domain ?? '');
  await exe.dispose();
  return { out, nchwcNodes: domains.filter((d) => d === 'com.microsoft.nchwc').length };
}

const CASES: [string, Case][] = [
  ['16 -> 32, 3x3, pad 1, bias', { C: 16, O: 32, k: 3, opts: { padding: 1 }, bias: true, hw: 9 }],
  [
    '20 -> 20 (both padded to a block), stride 2',
    { C: 20, O: 20, k: 3, opts: { stride: 2, padding: 1 }, bias: true, hw: 10 },
  ],
  [
    '32 -> 16, 4x4, stride 2, pad 1, no bias',
    { C: 32, O: 16, k: 4, opts: { stride: 2, padding: 1 }, bias: false, hw: 8 },
  ],
  [
    '16 -> 24, dilation 2, asymmetric reach',
    { C: 16, O: 24, k: 3, opts: { padding: [2, 1], dilation: 2 }, bias: true, hw: 7 },
  ],
];

describe('NCHWc lowering of computed-weight convolutions (CPU)', () => {
  it.runIf(process.arch === 'x64')('finds ORT blocked kernels on this x64 CPU', () => {
    expect([8, 16]).toContain(blocked.nchwcBlock);
    expect(plain.nchwcBlock).toBe(0);
  });

  for (const [name, c] of CASES) {
    it(`${name}: output and every gradient match the im2col path`, async () => {
      if (blocked.nchwcBlock === 0) return;
      const a = await convAndGrads(blocked, c);
      const b = await convAndGrads(plain, c);
      // The forward Conv and the stride-1 input gradient's flipped-kernel Conv are lowered.
      expect(a.nchwcNodes).toBeGreaterThanOrEqual(3);
      expect(b.nchwcNodes).toBe(0);
      for (const k of Object.keys(b.out)) {
        expect(a.out[k].shape).toEqual(b.out[k].shape);
        expectClose(a.out[k].data as Float32Array, b.out[k].data as Float32Array, 2e-5, {
          relative: true,
        });
      }
    });
  }

  it('gradchecks a lowered convolution', async () => {
    const r = await gradcheck(
      blocked,
      { x: { shape: [2, 16, 5, 5] }, w: { shape: [16, 16, 3, 3] }, b: { shape: [16] } },
      ({ x, w, b }) => conv2d(x, w, b, { padding: 1 }),
    );
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  it('keeps convolutions it does not take: few channels, groups, constant weights', async () => {
    if (blocked.nchwcBlock === 0) return;
    const few = await convAndGrads(blocked, { C: 3, O: 32, k: 3, opts: {}, bias: true, hw: 6 });
    // Only the input gradient (32 -> 3 channels: too few outputs) could qualify; none does.
    expect(few.nchwcNodes).toBe(0);

    const g = new Graph('kept');
    const x = g.input('x', 'float32', [1, 32, 6, 6]);
    const wg = g.input('wg', 'float32', [32, 16, 3, 3]);
    const wc = g.constant(Tensor.zeros([32, 32, 3, 3]));
    const exe = await blocked.compile(g, {
      grouped: conv2d(x, wg, undefined, { groups: 2 }),
      constant: conv2d(x, wc),
    });
    const model = decodeModel(exe.model);
    expect((model.graph?.node ?? []).filter((n) => n.domain === 'com.microsoft.nchwc')).toEqual([]);
    expect(model.opsetImport.map((o) => o.domain)).toEqual(['']);
    await exe.dispose();
  });
});
