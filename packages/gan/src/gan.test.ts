import { compileInference, Rng, Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { oneHot } from './data.js';
import { GanError } from './errors.js';
import { GAN } from './gan.js';
import { gaussianPoints, TINY_MLP, tinyDcgan } from './testing.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const bits = (t: Tensor) => Array.from(new Uint32Array((t.data as Float32Array).slice().buffer));
const split = (p: Record<string, Tensor>, prefix: string) =>
  Object.fromEntries(
    Object.entries(p)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, t]) => [k, bits(t)]),
  );

describe('D and G steps over shared parameters', () => {
  it.each([
    ['mlp, non-saturating', { ...TINY_MLP }],
    ['mlp, WGAN-GP + R1', { ...TINY_MLP, loss: 'wgan-gp', r1Gamma: 1 }],
    ['dcgan with BatchNorm, conditional, hinge', { ...tinyDcgan(10), loss: 'hinge' }],
  ] as const)('%s: the D step leaves G bit-identical and the G step leaves D', async (_n, cfg) => {
    const gan = GAN.create(rt, cfg, { seed: 1 });
    const { dStep, gStep } = await gan.trainSteps(0);
    const c = gan.config;
    const rng = new Rng(5);
    const b = c.batchSize;
    const y: Record<string, Tensor> =
      c.numClasses > 0
        ? {
            y: oneHot(
              Array.from({ length: b }, (_, i) => i % c.numClasses),
              c.numClasses,
            ),
          }
        : {};
    const dBatch: Record<string, Tensor> = {
      real: new Tensor('float32', [b, c.dataDim], rng.normal(b * c.dataDim)),
      z: new Tensor('float32', [b, c.zDim], rng.normal(b * c.zDim)),
      ...y,
    };
    if (c.loss === 'wgan-gp') dBatch.eps = new Tensor('float32', [b, 1], rng.uniform(b));
    const p0 = await dStep.parameters();
    await dStep.run(dBatch, { lr: 0.01 });
    const p1 = await gStep.parameters();
    expect(split(p1, 'generator.')).toEqual(split(p0, 'generator.'));
    expect(split(p1, 'discriminator.')).not.toEqual(split(p0, 'discriminator.'));
    await gStep.run({ z: dBatch.z, ...y }, { lr: 0.01 });
    const p2 = await dStep.parameters();
    expect(split(p2, 'discriminator.')).toEqual(split(p1, 'discriminator.'));
    expect(split(p2, 'generator.')).not.toEqual(split(p1, 'generator.'));
  });
});

describe('GAN.fit', () => {
  it('a later fit continues the same steps and optimizer state; a new seed gives new noise', async () => {
    const data = gaussianPoints(512, [1, 0], 0.2, 3);
    const gan = GAN.create(rt, TINY_MLP, { seed: 0 });
    await gan.fit(data, { steps: 3, seed: 0 });
    const steps = await gan.trainSteps(0);
    await gan.fit(data, { steps: 2, seed: 1 });
    // Not recompiled: the same steps, 5 D steps counted, Adam moments carried on.
    expect(await gan.trainSteps(1)).toBe(steps);
    expect(steps.dStep.step).toBe(5 * gan.config.dSteps);
    // The second call's seed matters: continuing with seed 0 instead ends elsewhere.
    const again = GAN.create(rt, TINY_MLP, { seed: 0 });
    await again.fit(data, { steps: 3, seed: 0 });
    await again.fit(data, { steps: 2, seed: 0 });
    expect((await gan.sampleFlat(64, 9)).toArray()).not.toEqual(
      (await again.sampleFlat(64, 9)).toArray(),
    );
  });

  it('learns a 2-D Gaussian and reports the health figures', async () => {
    const gan = GAN.create(rt, TINY_MLP, { seed: 0 });
    const data = gaussianPoints(2048, [1.5, -1], 0.2, 3);
    const before = await gan.sampleFlat(1000, 9);
    const events: number[] = [];
    const r = await gan.fit(data, {
      steps: 600,
      seed: 0,
      progressEvery: 200,
      onProgress: (e) => {
        events.push(e.step);
        for (const k of ['d_loss', 'g_loss', 'd_real', 'd_fake', 'fake_std'])
          expect(Number.isFinite(e.metrics[k]), k).toBe(true);
      },
    });
    expect(events).toEqual([200, 400, 600]);
    expect(r.steps).toBe(600);
    const stats = (t: Tensor) => {
      const a = t.data as Float32Array;
      const n = a.length / 2;
      let mx = 0;
      let my = 0;
      for (let i = 0; i < n; i++) {
        mx += a[2 * i] / n;
        my += a[2 * i + 1] / n;
      }
      return Math.hypot(mx - 1.5, my + 1);
    };
    expect(stats(before)).toBeGreaterThan(1);
    expect(stats(await gan.sampleFlat(1000, 9))).toBeLessThan(0.25);
  });

  it('warns when the samples stop varying', async () => {
    // lr 0 keeps G at its init; data spread 50x wider than anything G outputs.
    const gan = GAN.create(rt, TINY_MLP, { seed: 0 });
    const warnings: string[] = [];
    const r = await gan.fit(gaussianPoints(256, [0, 0], 1000, 1), {
      steps: 4,
      lr: 1e-12,
      progressEvery: 2,
      onWarning: (m) => warnings.push(m),
    });
    expect(r.collapseWarnings).toBe(2);
    expect(warnings[0]).toMatch(/mode collapse/);
    const fine = await GAN.create(rt, TINY_MLP, { seed: 0 }).fit(
      gaussianPoints(256, [0, 0], 0.5, 1),
      {
        steps: 2,
        progressEvery: 2,
      },
    );
    expect(fine.collapseWarnings).toBe(0);
  });

  it('rejects data of the wrong shape and conditional data without labels', async () => {
    const gan = GAN.create(rt, TINY_MLP);
    await expect(gan.fit(new Tensor('float32', [64, 3], new Float32Array(192)))).rejects.toThrow(
      /fit: expected \[N, 2\], got \[64, 3\]/,
    );
    await expect(gan.fit(gaussianPoints(8, [0, 0], 1, 0))).rejects.toThrow(/fewer than one batch/);
    await expect(gan.fit(gaussianPoints(8, [0, 0], 1, 0))).rejects.toThrow(
      `fit: 8 examples, fewer than one batch of ${TINY_MLP.batchSize} (the config's batchSize); give more data or a smaller batchSize`,
    );
    const nan = gaussianPoints(64, [0, 0], 1, 0);
    (nan.data as Float32Array)[9] = Number.NaN;
    await expect(gan.fit(nan)).rejects.toThrow(
      'fit: value NaN at row 4, column 1; the data must be finite (no NaN or Infinity)',
    );
    const cond = GAN.create(rt, { ...TINY_MLP, numClasses: 3 });
    await expect(cond.fit(gaussianPoints(64, [0, 0], 1, 0))).rejects.toThrow(GanError);
    await expect(
      cond.fit(gaussianPoints(64, [0, 0], 1, 0), { labels: new Array(64).fill(3) }),
    ).rejects.toThrow(/label 3 at 0 is not a class in 0..2/);
  });
});

describe('sampling', () => {
  it('is seeded, checks n, z and labels, and honours labels', async () => {
    const gan = GAN.create(rt, { ...TINY_MLP, numClasses: 3 }, { seed: 2 });
    const a = await gan.sampleFlat(5, 1, [0, 1, 2, 0, 1]);
    expect(bits(a)).toEqual(bits(await gan.sampleFlat(5, 1, [0, 1, 2, 0, 1])));
    expect(bits(a)).not.toEqual(bits(await gan.sampleFlat(5, 1, [2, 2, 2, 2, 2])));
    const seven = await gan.sample(5, 1, { label: 2 });
    expect(seven.kind).toBe('points');
    if (seven.kind === 'points')
      expect(bits(seven.points)).toEqual(bits(await gan.sampleFlat(5, 1, [2, 2, 2, 2, 2])));
    await expect(gan.sampleFlat(2, 0, [0, 7])).rejects.toThrow(/label 7 at 1/);
    await expect(gan.sampleFlat(2, 0, [0])).rejects.toThrow(/1 labels for 2 samples/);
    await expect(gan.sampleFlat(2, 0)).rejects.toThrow(/conditional/);
    await expect(gan.sampleFlat(0, 0)).rejects.toThrow(/positive integer/);
    await expect(
      gan.generate(new Tensor('float32', [2, 5], new Float32Array(10)), [0, 0]),
    ).rejects.toThrow(/z must be float32 \[N, 2\], got float32 \[2, 5\]/);
    await expect(GAN.create(rt, TINY_MLP).sampleFlat(2, 0, [0, 0])).rejects.toThrow(
      /unconditional/,
    );
  });

  it('images come as [n, 1, 28, 28] in [-1, 1]; interpolate walks in z', async () => {
    const gan = GAN.create(rt, tinyDcgan(), { seed: 0 });
    const s = await gan.sample(3, 0);
    expect(s.kind).toBe('images');
    if (s.kind === 'images') {
      expect(s.images.shape).toEqual([3, 1, 28, 28]);
      expect(s.range).toBe('-11');
      expect(Math.max(...(s.images.data as Float32Array).map(Math.abs))).toBeLessThanOrEqual(1);
    }
    const line = await gan.interpolate(5, 4);
    expect(line.shape).toEqual([5, 784]);
    const ends = await gan.sampleFlat(2, 4);
    const f = (t: Tensor, r: number) =>
      Array.from((t.data as Float32Array).subarray(r * 784, (r + 1) * 784));
    expect(f(line, 0)).toEqual(f(ends, 0));
    expect(f(line, 4)).toEqual(f(ends, 1));
    await expect(gan.interpolate(1)).rejects.toThrow(/steps \(1\)/);
  });
});

describe('presets', () => {
  it('unknown preset is a GanError naming the presets', () => {
    expect(() => GAN.create(rt, 'ring9')).toThrow(
      /unknown GAN preset 'ring9'; expected one of ring8, mnist-dcgan, mnist-cdcgan, cifar-dcgan/,
    );
  });
  it.each([
    [
      'ring8',
      {
        arch: 'mlp',
        zDim: 2,
        hidden: 128,
        lr: 1e-4,
        batchSize: 256,
        dSteps: 1,
        loss: 'nonsaturating',
        betas: [0.5, 0.999],
      },
    ],
    [
      'mnist-dcgan',
      {
        arch: 'dcgan',
        zDim: 100,
        hidden: 64,
        lr: 2e-4,
        batchSize: 64,
        initStd: 0.02,
        numClasses: 0,
        betas: [0.5, 0.999],
      },
    ],
    ['mnist-cdcgan', { arch: 'dcgan', zDim: 100, numClasses: 10 }],
  ] as const)('%s follows reference-configs', (name, want) => {
    expect(GAN.create(rt, name).config).toMatchObject(want);
  });
  it('mnist-dcgan has the reference layer shapes', () => {
    const sd = GAN.create(rt, 'mnist-dcgan').net.stateDict();
    const shapes = Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, t.shape]));
    expect(shapes).toMatchObject({
      'generator.fc.weight': [6272, 100],
      'generator.deconv1.weight': [128, 64, 4, 4],
      'generator.deconv2.weight': [64, 1, 4, 4],
      'discriminator.conv1.weight': [64, 1, 4, 4],
      'discriminator.conv2.weight': [128, 64, 4, 4],
      'discriminator.fc.weight': [1, 6272],
    });
  });
});

describe('conditional discriminator', () => {
  it('lets the label interact with the image (not just a per-class offset)', async () => {
    const gan = GAN.create(rt, tinyDcgan(10), { seed: 0 });
    const net = gan.net;
    const exe = await compileInference(
      rt,
      net,
      {
        x: { dtype: 'float32', shape: ['batch', 784] },
        y: { dtype: 'float32', shape: ['batch', 10] },
      },
      (i) => net.discriminator.call(i.x, i.y),
    );
    const img = new Rng(0).uniform(2 * 784, -1, 1);
    // Rows: (x1, 3), (x1, 5), (x2, 3), (x2, 5).
    const x = new Float32Array(4 * 784);
    x.set(img.subarray(0, 784), 0);
    x.set(img.subarray(0, 784), 784);
    x.set(img.subarray(784), 2 * 784);
    x.set(img.subarray(784), 3 * 784);
    const out = (
      await exe.runHost({ x: new Tensor('float32', [4, 784], x), y: oneHot([3, 5, 3, 5], 10) })
    ).output.data as Float32Array;
    expect(Math.abs(out[0] - out[1] - (out[2] - out[3]))).toBeGreaterThan(1e-4);
  });
});
