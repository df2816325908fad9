import { toyData } from '@genmodels/datasets';
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { FlowError } from './errors.js';
import { Flow } from './flow.js';
import { perturb } from './testing.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
});

const small2d = { couplings: 4, hidden: 32, batchSize: 256 } as const;
const tinyPixels = {
  pixels: true,
  dim: 16,
  imageSize: 4,
  couplings: 2,
  hidden: 16,
  batchSize: 32,
} as const;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('invertibility', () => {
  it('max |x - inverse(forward(x))| < 1e-4 on 10,000 points (couplings, ActNorm, LU mixing, perturbed)', async () => {
    const flow = Flow.create(rt, { ...small2d, actnorm: true, mixing: 'lu' }, { seed: 1 });
    perturb(flow.net, 2);
    const x = toyData('moons', 10_000, 3);
    const { z, logdet } = await flow.forward(x);
    expect(maxAbsDiff(z.data, x.data)).toBeGreaterThan(0.5); // really not the identity
    expect(maxAbsDiff(logdet.data, new Float32Array(10_000))).toBeGreaterThan(0.1);
    const back = await flow.inverse(z);
    expect(maxAbsDiff(back.data, x.data)).toBeLessThan(1e-4);
  });

  it('the same for flattened images with the logit transform and permuted masks', async () => {
    const flow = Flow.create(rt, { ...tinyPixels, mask: 'permuted' }, { seed: 4 });
    perturb(flow.net, 5, 0.1);
    const y = new Tensor('float32', [500, 16], new Rng(6).uniform([500, 16], 0.01, 0.99));
    const back = await flow.inverse((await flow.forward(y)).z);
    expect(maxAbsDiff(back.data, y.data)).toBeLessThan(1e-4);
  });
});

describe('densities', () => {
  it('logProb = log N(z) + logdet, and the 2-D density integrates to 1', async () => {
    const flow = Flow.create(rt, small2d, { seed: 7 });
    perturb(flow.net, 8, 0.05);
    const x = toyData('moons', 50, 9);
    const lp = await flow.logProb(x);
    const { z, logdet } = await flow.forward(x);
    for (let i = 0; i < 50; i++) {
      const base = -0.5 * (z.data[2 * i] ** 2 + z.data[2 * i + 1] ** 2) - Math.log(2 * Math.PI);
      expect(lp.data[i]).toBeCloseTo(base + logdet.data[i], 4);
    }
    const grid = await flow.densityGrid({
      bounds: { xmin: -8, xmax: 8, ymin: -8, ymax: 8 },
      resolution: 200,
    });
    expect(grid.values.length).toBe(200 * 200);
    let mass = 0;
    for (const v of grid.values) mass += Math.exp(v) * (16 / 200) ** 2;
    expect(mass).toBeGreaterThan(0.98);
    expect(mass).toBeLessThan(1.02);
  });

  it('bits/dim follow (-log p(y) + D log 256) / (D ln 2) with the logit Jacobian (identity flow)', async () => {
    const flow = Flow.create(rt, tinyPixels, { seed: 0 }); // zero-init couplings: z = logit(p)
    const px = new Tensor('float32', [3, 16], Float32Array.from(new Rng(1).integers(48, 0, 256)));
    const got = (await flow.evaluateOn(px, { seed: 5 })).bpd;
    // Same dequantization noise as evaluateOn: Rng(seed).uniform over the pixels.
    const u = new Rng(5).uniform(48);
    const a = 1e-6;
    let nll = 0;
    for (let i = 0; i < 48; i++) {
      const y = Math.min((px.data[i] + u[i]) / 256, 1 - 2 ** -24);
      const p = a + (1 - 2 * a) * y;
      const l = Math.log(p) - Math.log(1 - p);
      const logJac = Math.log(1 - 2 * a) - Math.log(p) - Math.log(1 - p);
      nll -= -0.5 * l * l - 0.5 * Math.log(2 * Math.PI) + logJac;
    }
    const want = nll / 3 / (16 * Math.LN2) + 8;
    expect(got).toBeCloseTo(want, 3);
  });
});

describe('training', () => {
  it('fit lowers the test NLL on moons and is reproducible from the seed', async () => {
    const data = toyData('moons', 4096, 0);
    const test = toyData('moons', 2000, 1);
    const run = async () => {
      const flow = Flow.create(rt, { ...small2d, actnorm: true }, { seed: 0 });
      const before = (await flow.evaluateOn(test)).test_nll;
      await flow.fit(data, { steps: 120, seed: 0, lr: 3e-3 });
      return { flow, before, after: (await flow.evaluateOn(test)).test_nll };
    };
    const a = await run();
    expect(a.after).toBeLessThan(a.before - 0.3);
    expect(a.after).toBeLessThan(3.2);
    const b = await run();
    expect(b.after).toBe(a.after);
    // ActNorm's data-dependent init happened once and is marked in the state dict.
    expect(a.flow.net.stateDict()['layers.0.initialized'].data[0]).toBe(1);
    const s = await a.flow.sample(100, 0);
    expect(s.kind === 'points' && s.points.shape).toEqual([100, 2]);
  });

  it('pixel flows train on integer pixels and sample images in [0, 1]', async () => {
    const flow = Flow.create(rt, tinyPixels, { seed: 0 });
    const px = new Tensor('uint8', [64, 4, 4], Uint8Array.from(new Rng(2).integers(1024, 0, 256)));
    const r = await flow.fit(px, { steps: 4, seed: 0 });
    expect(r.steps).toBe(4);
    const s = await flow.sample(5, 1);
    if (s.kind !== 'images') throw new Error('expected images');
    expect(s.images.shape).toEqual([5, 1, 4, 4]);
    for (const v of s.images.data as Float32Array) expect(v >= 0 && v <= 1).toBe(true);
  });
});

describe('bad input', () => {
  it('wrong dimensionality, NaN, out-of-range pixels, bad configs: FlowError naming the problem', async () => {
    const flow = Flow.create(rt, small2d);
    await expect(flow.logProb(Tensor.zeros([4, 3]))).rejects.toThrow(
      /expected points \[N, 2\], got float32 \[4, 3\]/,
    );
    await expect(flow.fit(Tensor.zeros([4]))).rejects.toThrow(FlowError);
    const nan = new Tensor('float32', [2, 2], Float32Array.of(0, 1, Number.NaN, 2));
    await expect(flow.fit(nan)).rejects.toThrow(/value NaN at point 1, coordinate 0/);
    await expect(
      flow.inverse(new Tensor('float32', [1, 2], Float32Array.of(Infinity, 0))),
    ).rejects.toThrow(FlowError);
    await expect(flow.sampleFlat(0, 0)).rejects.toThrow(/n \(0\) must be a positive integer/);
    const pix = Flow.create(rt, tinyPixels);
    for (const bad of [256, -1, 3.5]) {
      const x = new Tensor('float32', [2, 16], new Float32Array(32).fill(bad));
      await expect(pix.fit(x, { steps: 1 })).rejects.toThrow(/expected integers in \[0, 255\]/);
      await expect(pix.evaluateOn(x)).rejects.toThrow(FlowError);
    }
    await expect(
      pix.logProb(new Tensor('float32', [1, 16], new Float32Array(16).fill(2))),
    ).rejects.toThrow(/dequantized pixels/);
    await expect(pix.densityGrid()).rejects.toThrow(/needs a 2-D flow/);
    expect(() => resolveConfig('cifar')).toThrow(/unknown flow preset 'cifar'/);
    expect(() => resolveConfig({ hidden: 0 })).toThrow(/hidden \(0\) must be a positive integer/);
    expect(() => resolveConfig({ dim: 10, imageSize: 3 })).toThrow(FlowError);
  });
});
