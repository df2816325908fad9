import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaeError } from './errors.js';
import { vaeFamily } from './family.js';
import { VAE } from './vae.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'vae-family-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('vaeFamily', () => {
  it('lists presets and parts', () => {
    expect(vaeFamily.name).toBe('vae');
    expect(Object.keys(vaeFamily.presets)).toEqual(['mnist-mlp', 'mnist-conv', 'cifar-conv']);
    expect(vaeFamily.presets['mnist-conv'].config).toMatchObject({ arch: 'conv', latent: 16 });
    expect(vaeFamily.parts).toEqual(['decoder', 'encoder']);
  });

  it('loads a model from its files (browsers) like from a directory', async () => {
    const vae = VAE.create(rt, { imageSize: 8, latent: 2, hidden: 8 }, { seed: 1 });
    const back = await vaeFamily.load(rt, vae.toFiles());
    expect(back).toBeInstanceOf(VAE);
    expect(back.config).toEqual(vae.config);
    expect(new Uint8Array(back.onnx())).toEqual(new Uint8Array(vae.onnx()));
  });

  it('refuses an unknown preset before reading data', async () => {
    await expect(vaeFamily.train(rt, { preset: 'cifar', steps: 1 })).rejects.toThrow(VaeError);
    await expect(
      vaeFamily.train(rt, { preset: 'cifar-conv', imageSize: 16, steps: 1 }),
    ).rejects.toThrow(
      "imageSize (16) is the size your own images are read at; give it with data (a folder of images), or leave it out to train on the preset's set (CIFAR-10)",
    );
  });

  it('trains a few MNIST steps, saves, loads, evaluates and draws pictures', async () => {
    const events: number[] = [];
    const model = await vaeFamily.train(rt, {
      preset: 'mnist-mlp',
      steps: 3,
      seed: 0,
      onProgress: (e) => events.push(e.total ?? -1),
    });
    expect(events.at(-1)).toBe(3);
    await model.save(dir);
    const back = await vaeFamily.load(rt, dir);
    expect(back.preset).toBe('mnist-mlp');
    const m = await back.evaluate({ limit: 200, k: 5, iwaeLimit: 20 });
    expect(Object.keys(m).sort()).toEqual(['iwae_k', 'k', 'kl', 'neg_elbo', 'recon']);
    expect(m.neg_elbo).toBeGreaterThan(100); // three steps: far from trained
    expect(m.neg_elbo).toBeLessThan(600);
    const files = await back.pictures(dir, 0);
    expect(files).toEqual(['reconstructions.png', 'interpolation.png']);
    for (const f of ['model.safetensors', 'config.json', ...files]) await access(join(dir, f));
    const s = await back.sample(4, 0);
    expect(s.kind === 'images' && s.images.shape).toEqual([4, 1, 28, 28]);
  });

  it('cifar-conv: trains on dequantized CIFAR-10, scores the test set in bits per dim, draws RGB pictures', async () => {
    const model = await vaeFamily.train(rt, { preset: 'cifar-conv', steps: 2, seed: 0 });
    expect(model.imageShape).toEqual([3, 32, 32]);
    expect(model.trainedOn).toBe('preset');
    const m = await model.evaluate({ limit: 100 });
    expect(Object.keys(m).sort()).toEqual(['bits_per_dim', 'kl', 'neg_elbo', 'recon']);
    // The 8-bit bound: the continuous ELBO (of images dequantized into [0, 1]) in bits per
    // dim, plus 8 for the 256 levels of each pixel.
    expect(m.bits_per_dim).toBeCloseTo(m.neg_elbo / (3072 * Math.LN2) + 8, 10);
    expect(Number.isFinite(m.bits_per_dim)).toBe(true);
    expect(await model.evaluate({ limit: 100 })).toEqual(m); // seeded noise
    expect(await model.evaluate({ limit: 100, seed: 1 })).not.toEqual(m);
    const out = join(dir, 'cifar');
    await model.save(out);
    const back = await vaeFamily.load(rt, out);
    expect(back.config).toEqual(model.config);
    expect(await back.evaluate({ limit: 100 })).toEqual(m);
    expect(await back.pictures(out, 0)).toEqual(['reconstructions.png', 'interpolation.png']);
    const s = await back.sample(2, 0);
    expect(s.kind === 'images' && s.images.shape).toEqual([2, 3, 32, 32]);
  });
});
