import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';
import { runSampler } from './sampler.js';
import { gaussianPoints, randomImages, TINY_MLP, TINY_UNET } from './testing.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
});

describe('Diffusion (MLP, 2-D)', () => {
  it.each([
    ['MLP', TINY_MLP, undefined],
    ['U-Net with guidance', TINY_UNET, [0, 1, 2, 1]],
  ] as const)(
    '%s: sampling with one shared timestep per step equals the per-row denoiser',
    async (_, cfg, labels) => {
      const m = Diffusion.create(rt, cfg, { seed: 2 });
      const shape = m.config.arch === 'unet' ? [1, 28, 28] : [2];
      const f = shape.reduce((a, b) => a * b, 1);
      const n = 4;
      const w = 2;
      const opts = { sampler: 'ddim', steps: 4, eta: 0.5, seed: 7 } as const;
      const fast = await m.sampleFlat(n, { ...opts, labels, guidance: labels ? w : 0 });
      // The same sampler through `denoise`, which feeds one timestep per row.
      const nul = labels?.map(() => m.config.numClasses);
      const { x } = await runSampler(
        m.schedule,
        n * f,
        async (xs, t) => {
          const xt = new Tensor('float32', [n, ...shape], xs);
          const out = (await m.denoise(xt, t, labels)).data as Float32Array;
          if (!labels || !nul) return out;
          const un = (await m.denoise(xt, t, nul)).data as Float32Array;
          return out.map((v, j) => (1 + w) * v - w * un[j]);
        },
        { ...opts, prediction: m.config.prediction, clipDenoised: m.config.clipDenoised },
      );
      const a = fast.data as Float32Array;
      let worst = 0;
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - x[j]));
      expect(worst).toBeLessThan(1e-4);
    },
  );

  it('fit lowers the denoising loss, is reproducible for a seed, and keeps an EMA', async () => {
    const data = gaussianPoints(512, [1, -1], 0.1, 0);
    const losses: number[] = [];
    const a = Diffusion.create(rt, TINY_MLP, { seed: 0 });
    const r = await a.fit(data, {
      steps: 150,
      seed: 3,
      progressEvery: 50,
      onProgress: (e) => losses.push(e.loss),
    });
    expect(r.steps).toBe(150);
    expect(losses).toHaveLength(3);
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(a.ema).toBeDefined();
    const b = Diffusion.create(rt, TINY_MLP, { seed: 0 });
    await b.fit(data, { steps: 150, seed: 3, progressEvery: 50 });
    expect(b.net.stateDict()['denoiser.output.weight'].toArray()).toEqual(
      a.net.stateDict()['denoiser.output.weight'].toArray(),
    );
  });

  it.each(['eps', 'x0', 'v'] as const)(
    'trains and samples with %s prediction',
    async (prediction) => {
      const m = Diffusion.create(rt, { ...TINY_MLP, prediction, emaDecay: 0 }, { seed: 1 });
      await m.fit(gaussianPoints(64, [0, 0], 1, 1), { steps: 3 });
      const x = await m.sampleFlat(10, { sampler: 'ddim', steps: 5 });
      expect(x.shape).toEqual([10, 2]);
      expect((x.data as Float32Array).every(Number.isFinite)).toBe(true);
    },
  );

  it('DDIM with eta = 0 is deterministic for a fixed starting noise; DDPM depends on the seed', async () => {
    const m = Diffusion.create(rt, TINY_MLP, { seed: 2 });
    const noise = new Rng(9).normal(16);
    const a = await m.sampleFlat(8, { sampler: 'ddim', steps: 10, noise, seed: 1 });
    const b = await m.sampleFlat(8, { sampler: 'ddim', steps: 10, noise, seed: 2 });
    expect(a.toArray()).toEqual(b.toArray());
    const c = await m.sampleFlat(8, { sampler: 'ddpm', noise, seed: 1 });
    const d = await m.sampleFlat(8, { sampler: 'ddpm', noise, seed: 2 });
    expect(c.toArray()).not.toEqual(d.toArray());
    expect(m.lastTiming?.steps).toBe(50);
  });

  it('reports progress per sampling step', async () => {
    const m = Diffusion.create(rt, TINY_MLP, { seed: 2 });
    const ts: number[] = [];
    await m.sampleFlat(3, { sampler: 'ddim', steps: 3, onStep: (e) => ts.push(e.t) });
    expect(ts).toEqual([49, 25, 0]); // round(24.5)
  });

  it('refuses bad data, bad sampling options and labels on an unconditional model', async () => {
    const m = Diffusion.create(rt, TINY_MLP, { seed: 0 });
    await expect(m.fit(Tensor.zeros([64, 3]))).rejects.toThrow(
      /fit: expected \[N, 2\] points, got float32 \[64, 3\]/,
    );
    const bad = gaussianPoints(64, [0, 0], 1, 0);
    (bad.data as Float32Array)[7] = Number.NaN;
    await expect(m.fit(bad)).rejects.toThrow(/value NaN at flat index 7 \(row 3\) is not finite/);
    await expect(m.fit(gaussianPoints(8, [0, 0], 1, 0))).rejects.toThrow(/fewer than one batch/);
    await expect(m.fit(gaussianPoints(8, [0, 0], 1, 0))).rejects.toThrow(
      /fit: 8 examples, fewer than one batch of \d+ \(the config's batchSize\); give more data or a smaller batchSize/,
    );
    await expect(m.sampleFlat(2, { sampler: 'heun' as 'ddim' })).rejects.toThrow(
      /unknown sampler 'heun'/,
    );
    await expect(m.sampleFlat(2, { steps: 51 })).rejects.toThrow(
      /steps \(51\) must be an integer in 1..50/,
    );
    await expect(m.sampleFlat(2, { steps: 0 })).rejects.toThrow(DiffusionError);
    await expect(m.sampleFlat(2, { guidance: 1 })).rejects.toThrow(
      /guidance 1 needs a class-conditional model; this one is unconditional/,
    );
    await expect(m.sampleFlat(2, { labels: [0, 1] })).rejects.toThrow(/unconditional/);
    await expect(m.sampleFlat(0)).rejects.toThrow(/n \(0\) must be a positive integer/);
    expect(() => resolveConfig('moons-3d')).toThrow(/unknown diffusion preset 'moons-3d'/);
    expect(() => resolveConfig({ arch: 'unet', channels: [12, 16, 16] })).toThrow(
      /divisible by groups 8/,
    );
  });
});

describe('Diffusion (U-Net, class-conditional)', () => {
  it('trains a step on uint8 images, samples with guidance, checks labels', async () => {
    const m = Diffusion.create(rt, TINY_UNET, { seed: 0 });
    const labels = Int32Array.from({ length: 8 }, (_, i) => i % 3);
    const r = await m.fit(randomImages(8, 0), { steps: 2, labels });
    expect(Number.isFinite(r.loss)).toBe(true);
    const x = await m.sampleFlat(3, { labels: [0, 1, 2], guidance: 2, steps: 2 });
    expect(x.shape).toEqual([3, 1, 28, 28]);
    const v = x.data as Float32Array;
    expect(v.every((p) => p >= -1 && p <= 1)).toBe(true);
    const s = await m.sample(2, 0, { label: 1, steps: 1 });
    expect(s.kind === 'images' && s.images.shape).toEqual([2, 1, 28, 28]);
    await expect(m.sampleFlat(2, { label: 3, steps: 1 })).rejects.toThrow(
      /label 3 at 0 is not a class in 0..2/,
    );
    await expect(m.fit(randomImages(8, 0), { steps: 1 })).rejects.toThrow(/needs `labels`/);
    await expect(m.fit(Tensor.zeros([8, 1, 14, 14]), { labels })).rejects.toThrow(
      /expected \[N, 28, 28\] or \[N, 1, 28, 28\] images/,
    );
  });
});
