import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { bars, PixelCNN, PixelCnnError } from './index.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
});

/** Bits per pixel of the best model that draws every pixel independently (its own marginal). */
function independentBits(x: Tensor<'float32'>): number {
  const [n, , h, w] = x.shape;
  let bits = 0;
  for (let p = 0; p < h * w; p++) {
    let ones = 0;
    for (let b = 0; b < n; b++) ones += x.data[b * h * w + p];
    const q = Math.min(Math.max(ones / n, 1e-6), 1 - 1e-6);
    bits += -(q * Math.log2(q) + (1 - q) * Math.log2(1 - q));
  }
  return bits / (h * w);
}

describe('PixelCNN example family', () => {
  it('logits are causal: pixel i never sees pixel i or later', async () => {
    const m = PixelCNN.create(rt, { imageSize: 6 }, { seed: 1 });
    const x = bars(2, 6, 3);
    const base = (await m.logits(x)).data as Float32Array;
    for (const p of [0, 7, 20, 34]) {
      const flipped = new Tensor('float32', x.shape, Float32Array.from(x.data as Float32Array));
      flipped.data[p] = 1 - flipped.data[p];
      const out = (await m.logits(flipped)).data as Float32Array;
      for (let q = 0; q <= p; q++) expect(out[q]).toBe(base[q]);
      expect(out.slice(p + 1).some((v, i) => v !== base[p + 1 + i])).toBe(true);
    }
  });

  it('trains below the best independent-pixel model, samples, saves, loads and exports', async () => {
    const train = bars(512, 8, 0);
    const test = bars(256, 8, 1);
    const m = PixelCNN.create(rt, {}, { seed: 0 });
    const before = await m.evaluate({ data: test });
    const res = await m.fit(train, { epochs: 30, seed: 0 });
    expect(res.steps).toBe(30 * 16);
    const after = await m.evaluate({ data: test });
    // Only conditioning on earlier pixels can beat the per-pixel marginals.
    const indep = independentBits(train);
    expect(after.bits_per_dim).toBeLessThan(0.8 * indep);
    expect(after.bits_per_dim).toBeLessThan(before.bits_per_dim);

    const s = await m.sample(4, 7);
    if (s.kind !== 'images') throw new Error('expected images');
    expect(s.images.shape).toEqual([4, 1, 8, 8]);
    expect(Array.from(s.images.data as Float32Array).every((v) => v === 0 || v === 1)).toBe(true);
    const again = await m.sample(4, 7);
    if (again.kind !== 'images') throw new Error('expected images');
    expect(Array.from(again.images.data as Float32Array)).toEqual(
      Array.from(s.images.data as Float32Array),
    );

    const dir = await mkdtemp(join(tmpdir(), 'pixelcnn-'));
    try {
      await m.save(dir);
      const loaded = await PixelCNN.load(rt, dir);
      expect(loaded.config).toEqual(m.config);
      expect((await loaded.evaluate({ data: test })).nll).toBe(after.nll);
      const fromFiles = await PixelCNN.load(rt, m.toFiles());
      expect((await fromFiles.evaluate({ data: test })).nll).toBe(after.nll);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(m.onnx().length).toBeGreaterThan(1000);
    expect(() => m.onnx('decoder')).toThrow(
      /unknown PixelCNN part 'decoder'; expected one of model/,
    );
  });

  it('names bad input', async () => {
    expect(() => PixelCNN.create(rt, { kernelSize: 4 })).toThrow(PixelCnnError);
    const m = PixelCNN.create(rt);
    await expect(m.sample(0, 0)).rejects.toThrow(/n \(0\) must be a positive integer/);
    await expect(m.fit(bars(4, 6))).rejects.toThrow(/expected float32 images \[N, 8, 8\]/);
  });
});
