import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { klWeight, resolveConfig } from './config.js';
import { VaeError } from './errors.js';
import { barImages } from './testing.js';
import { VAE } from './vae.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
});

const tiny = { imageSize: 8, latent: 4, hidden: 32, batchSize: 32, lr: 3e-3 } as const;

describe('VAE shapes', () => {
  it.each(['mlp', 'conv'] as const)('%s: encode, decode, sample, interpolate', async (arch) => {
    const vae = VAE.create(rt, { ...tiny, arch, channels: [4, 8] }, { seed: 1 });
    const x = barImages(5, 8, 0);
    const { mu, logvar } = await vae.encode(x);
    expect(mu.shape).toEqual([5, 4]);
    expect(logvar.shape).toEqual([5, 4]);
    const y = await vae.decode(mu);
    expect(y.shape).toEqual([5, 64]);
    expect(Math.min(...y.toArray())).toBeGreaterThanOrEqual(0);
    expect(Math.max(...y.toArray())).toBeLessThanOrEqual(1);
    const s = await vae.sample(3, 7);
    expect(s.kind === 'images' && s.images.shape).toEqual([3, 1, 8, 8]);
    const line = await vae.interpolate(x, x, 2).catch((e) => e);
    expect(line).toBeInstanceOf(VaeError); // a and b must be single images
    const a = new Tensor('float32', [64], (x.data as Float32Array).slice(0, 64));
    const b = new Tensor('float32', [64], (x.data as Float32Array).slice(64, 128));
    const path = await vae.interpolate(a, b, 4);
    expect(path.shape).toEqual([4, 64]);
    // The end points are the decoded posterior means of a and b.
    const ends = await vae.reconstruct(
      new Tensor('float32', [2, 64], (x.data as Float32Array).slice(0, 128)),
    );
    expect(path.toArray().slice(0, 64)).toEqual(ends.toArray().slice(0, 64));
    expect(path.toArray().slice(192)).toEqual(ends.toArray().slice(64));
  });

  it('rejects bad inputs with VaeError', async () => {
    const vae = VAE.create(rt, tiny);
    await expect(vae.encode(Tensor.zeros([2, 10]))).rejects.toThrow(/expected images \[N, 64\]/);
    await expect(vae.decode(Tensor.zeros([2, 5]))).rejects.toThrow(VaeError);
    await expect(vae.sample(0, 0)).rejects.toThrow(VaeError);
    expect(() => VAE.create(rt, 'mnist-huge')).toThrow(/unknown VAE preset 'mnist-huge'/);
    expect(() => resolveConfig({ latent: 0 })).toThrow(VaeError);
  });

  it('pictures of a model that is not 28x28: from the given images, or none', async () => {
    const vae = VAE.create(rt, tiny);
    const dir = await mkdtemp(join(tmpdir(), 'vae-pictures-'));
    try {
      expect(await vae.pictures(dir)).toEqual([]);
      const files = await vae.pictures(dir, 0, { images: barImages(20, 8, 0) });
      expect(files).toEqual(['reconstructions.png', 'interpolation.png']);
      for (const f of files) expect((await stat(join(dir, f))).size).toBeGreaterThan(100);
      await expect(vae.pictures(dir, 0, { images: barImages(5, 8, 0) })).rejects.toThrow(
        'pictures: images has 5 rows; reconstructions.png needs at least 16',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names NaN data and 0..255 floats instead of training on them', async () => {
    const vae = VAE.create(rt, tiny);
    const nan = new Tensor('float32', [40, 64], new Float32Array(40 * 64).fill(0.5));
    nan.data[70] = Number.NaN;
    await expect(vae.fit(nan, { steps: 1 })).rejects.toThrow(
      'x: value NaN at image 1, pixel 6; the data must be finite (no NaN or Infinity)',
    );
    const bytes = new Tensor(
      'float32',
      [40, 64],
      Float32Array.from({ length: 40 * 64 }, (_, i) => i % 256),
    );
    await expect(vae.fit(bytes, { steps: 1 })).rejects.toThrow(
      'x: values span [0, 255] but the VAE models pixels in [0, 1]; divide 8-bit pixels by 255, or pass them as uint8 (scaled for you)',
    );
    // The same pixels as uint8 are scaled and train.
    const u8 = new Tensor('uint8', [40, 64], Uint8Array.from(bytes.data as Float32Array));
    expect((await vae.fit(u8, { steps: 1 })).steps).toBe(1);
  });

  it('sample is a function of the seed', async () => {
    const vae = VAE.create(rt, tiny);
    const a = await vae.sampleFlat(4, 3);
    expect((await vae.sampleFlat(4, 3)).toArray()).toEqual(a.toArray());
    expect((await vae.sampleFlat(4, 4)).toArray()).not.toEqual(a.toArray());
  });
});

describe('VAE training', () => {
  it('a stopped fit keeps what it trained, and sampling uses those weights', async () => {
    const data = barImages(256, 8, 0);
    const stopped = VAE.create(rt, tiny, { seed: 0 });
    const before = await stopped.sampleFlat(4, 3); // compiles (and caches) the decoder
    const ctrl = new AbortController();
    await expect(
      stopped.fit(data, {
        epochs: 5,
        progressEvery: 1,
        signal: ctrl.signal,
        onProgress: (e) => {
          if (e.step === 3) ctrl.abort();
        },
      }),
    ).rejects.toThrow();
    const full = VAE.create(rt, tiny, { seed: 0 });
    await full.fit(data, { steps: 3 });
    expect(stopped.net.stateDict()['decoder.fc2.weight'].toArray()).toEqual(
      full.net.stateDict()['decoder.fc2.weight'].toArray(),
    );
    const after = await stopped.sampleFlat(4, 3);
    expect(after.toArray()).not.toEqual(before.toArray());
    expect(after.toArray()).toEqual((await full.sampleFlat(4, 3)).toArray());
  });

  it('fit lowers the negative ELBO; the IWAE bound is tighter than the ELBO', async () => {
    const data = barImages(512, 8, 0);
    const test = barImages(128, 8, 1);
    const vae = VAE.create(rt, tiny, { seed: 0 });
    const before = await vae.evaluateOn(test);
    await vae.fit(data, { epochs: 8, seed: 0 });
    const after = await vae.evaluateOn(test, { k: 64 });
    expect(after.neg_elbo).toBeLessThan(before.neg_elbo - 5);
    expect(after.neg_elbo).toBeCloseTo(after.recon + after.kl, 3);
    expect(after.kl).toBeGreaterThan(0);
    expect(after.iwae_k).toBeLessThan(after.neg_elbo);
    expect(after.k).toBe(64);
    // With k = 1 the bound is the ELBO itself (up to Monte-Carlo noise).
    const one = await vae.evaluateOn(test, { k: 1, seed: 9 });
    expect(Math.abs(one.iwae_k - one.neg_elbo)).toBeLessThan(0.05 * one.neg_elbo);
  });

  it('klWeight: beta and linear warm-up', () => {
    const cfg = resolveConfig({ beta: 0.5, klWarmupSteps: 4 });
    expect([0, 1, 2, 3, 10].map((s) => klWeight(cfg, s))).toEqual([0.125, 0.25, 0.375, 0.5, 0.5]);
    expect(klWeight(resolveConfig({ beta: 2 }), 0)).toBe(2);
  });

  it('the optimized loss is recon + beta_t * KL with warm-up', async () => {
    const vae = VAE.create(rt, { ...tiny, beta: 0.5, klWarmupSteps: 4 }, { seed: 0 });
    const seen: { loss: number; recon: number; kl: number }[] = [];
    await vae.fit(barImages(192, 8, 0), {
      steps: 6,
      onProgress: (e) => seen.push({ loss: e.loss, recon: e.metrics.recon, kl: e.metrics.kl }),
    });
    expect(seen).toHaveLength(6);
    seen.forEach((s, i) => {
      const w = 0.5 * Math.min(1, (i + 1) / 4);
      expect(s.loss).toBeCloseTo(s.recon + w * s.kl, 3);
    });
  });

  it.each([0.2, 'learned'] as const)('Gaussian likelihood (sigma %s) trains', async (sigma) => {
    const vae = VAE.create(
      rt,
      { ...tiny, likelihood: 'gaussian', gaussianSigma: sigma },
      { seed: 0 },
    );
    const keys = Object.keys(vae.net.stateDict());
    expect(keys.includes('decoder.log_sigma')).toBe(sigma === 'learned');
    const test = barImages(64, 8, 1);
    const before = await vae.evaluateOn(test);
    await vae.fit(barImages(256, 8, 0), { epochs: 6 });
    const after = await vae.evaluateOn(test);
    expect(after.neg_elbo).toBeLessThan(before.neg_elbo);
    if (sigma === 'learned')
      expect(vae.net.stateDict()['decoder.log_sigma'].item()).toBeLessThan(-0.1);
  });
});
