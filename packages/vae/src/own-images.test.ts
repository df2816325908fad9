/**
 * Your own images: `vaeFamily.train` with `data` (a folder of PNGs), the held-out split and
 * provenance, `evaluate()` on the held-out images or `{ data }` (a Tensor or a folder), the
 * refusal without held-out images (also after save / load), and pictures without MNIST.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, imageGrid, readImageFolder, splitRows } from '@genmodels/datasets';
import { encodeModule, Rng, Runtime, Tensor } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { VaeError } from './errors.js';
import { vaeFamily } from './family.js';
import { VaeNetwork } from './network.js';
import { barImages, colorBarImages } from './testing.js';
import { VAE } from './vae.js';

let rt: Runtime;
let dir: string;
let folder: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'vae-own-'));
  // 60 RGB 16x16 coloured bars, 30 in each of two subfolders.
  folder = join(dir, 'bars');
  const [n, c, s] = [60, 3, 16];
  const x = colorBarImages(n, [c, s, s], 7).data;
  for (const sub of ['h', 'v']) await mkdir(join(folder, sub), { recursive: true });
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(s * s * c);
    for (let p = 0; p < s * s; p++)
      for (let ch = 0; ch < c; ch++)
        data[p * c + ch] = Math.round(x[(i * c + ch) * s * s + p] * 255);
    const name = join(folder, i % 2 ? 'v' : 'h', `${String(i).padStart(2, '0')}.png`);
    await writeFile(name, encodePng({ width: s, height: s, channels: 3, data }));
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The held-out images as the family split them: the folder at `size`, `splitRows` by seed. */
async function heldOut(size: number, seed = 0, valFraction = 0.1): Promise<Tensor<'float32'>> {
  const { images } = await readImageFolder(folder, { size, labels: 'none' });
  return splitRows(images, valFraction, seed).val;
}

/** A PNG's width, height and colour type (0 gray, 2 RGB) from its IHDR chunk. */
function pngHeader(bytes: Uint8Array): { width: number; height: number; colorType: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20), colorType: bytes[25] };
}

describe('vaeFamily.train with a folder of images', () => {
  let model: VAE;
  beforeAll(async () => {
    model = await vaeFamily.train(rt, {
      preset: 'mnist-conv',
      data: folder,
      imageSize: 8,
      steps: 4,
      seed: 0,
    });
  });

  it('declares the own-data options the CLI passes', () => {
    expect(vaeFamily.trainOptions).toEqual(['data', 'valFraction', 'imageSize', 'labels']);
    expect(vaeFamily.evalOptions).toEqual(['data']);
  });

  it("builds the preset at the data's shape and records the provenance", () => {
    expect(model.imageShape).toEqual([3, 8, 8]);
    expect(model.config).toMatchObject({
      arch: 'conv',
      latent: 16,
      imageSize: 8,
      imageChannels: 3,
    });
    expect(model.preset).toBe('mnist-conv');
    expect(model.trainedOn).toBe('data');
    expect(model.data).toEqual({
      source: folder,
      shape: [60, 3, 8, 8],
      normalization: 'scale to [0, 1]',
      split: { valFraction: 0.1, seed: 0, trainRows: 54, valRows: 6 },
    });
  });

  it('evaluate() scores the held-out images; evaluate({ data }) takes a Tensor or a folder', async () => {
    const m = await model.evaluate();
    expect(Object.keys(m).sort()).toEqual(['bits_per_dim', 'kl', 'neg_elbo', 'recon']);
    expect(m.bits_per_dim).toBeCloseTo(m.neg_elbo / (3 * 8 * 8 * Math.LN2), 10);
    // The same figures as the held-out images given by hand (flat or [N, C, H, W]).
    const val = await heldOut(8);
    expect(val.shape).toEqual([6, 3, 8, 8]);
    expect(await model.evaluate({ data: val })).toEqual(m);
    expect(await model.evaluate({ data: val.reshape([6, 192]) })).toEqual(m);
    expect((await model.evaluateOn(val)).neg_elbo).toBe(m.neg_elbo);
    // A folder path is read at the model's size and channels: all 60 images here.
    const all = await model.evaluate({ data: folder });
    const { images } = await readImageFolder(folder, { size: 8, channels: 3, labels: 'none' });
    expect(all.neg_elbo).toBe((await model.evaluateOn(images)).neg_elbo);
    expect(Object.keys(all).sort()).toEqual(['bits_per_dim', 'kl', 'neg_elbo', 'recon']);
    for (const v of Object.values(all)) expect(Number.isFinite(v)).toBe(true);
    await expect(model.evaluate({ data: barImages(4, 8, 0) })).rejects.toThrow(
      /evaluate: data: images \[4, 64\].*do not match the model's image shape 3x8x8/,
    );
  });

  it('draws samples and pictures of the held-out images, without MNIST', async () => {
    const out = join(dir, 'pictures');
    expect(await model.pictures(out, 0)).toEqual(['reconstructions.png', 'interpolation.png']);
    const bytes = new Uint8Array(await readFile(join(out, 'reconstructions.png')));
    // The 6 held-out images over their reconstructions, exactly.
    const val = await heldOut(8);
    const rec = await model.reconstruct(val);
    const both = new Float32Array(12 * 192);
    both.set(val.data, 0);
    both.set(rec.data as Float32Array, 6 * 192);
    const want = imageGrid(new Tensor('float32', [12, 3, 8, 8], both), { range: '01', nrow: 6 });
    expect(bytes).toEqual(encodePng(want));
    // Three pairs of held-out images, ten steps each.
    const line = pngHeader(new Uint8Array(await readFile(join(out, 'interpolation.png'))));
    expect(line).toEqual({ width: 10 * 10 + 2, height: 3 * 10 + 2, colorType: 2 });
    const s = await model.sample(4, 0);
    expect(s.kind === 'images' && s.images.shape).toEqual([4, 3, 8, 8]);
  });

  it('after save / load: provenance kept, evaluate() without data refuses by name', async () => {
    const out = join(dir, 'saved');
    await model.save(out);
    const stored = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(stored).toMatchObject({ trainedOn: 'data', data: model.data });
    const back = await vaeFamily.load(rt, out);
    expect(back.trainedOn).toBe('data');
    expect(back.data).toEqual(model.data);
    const err = await back.evaluate().catch((e) => e);
    expect(err).toBeInstanceOf(VaeError);
    expect(err.message).toMatch(
      /^evaluate: this VAE was trained on images you gave \(fit\), not on MNIST.*evaluate\(\{ data \}\) with a Tensor of images \(\[N, 192\] or \[N, 3, 8, 8\]\) or the path of a folder of images/,
    );
    expect(await back.evaluate({ data: folder })).toEqual(await model.evaluate({ data: folder }));
    // Nothing held out in a loaded model: no pictures (and never MNIST's).
    expect(await back.pictures(join(dir, 'none'), 0)).toEqual([]);
    // Saved again, the same files.
    expect(back.toFiles()['config.json']).toBe(model.toFiles()['config.json']);
  });
});

describe('vaeFamily.train options with data', () => {
  it('names --image-size not divisible by 4 for a conv preset, before reading the folder', async () => {
    const err = await vaeFamily
      .train(rt, { preset: 'mnist-conv', data: join(dir, 'missing'), imageSize: 10, steps: 1 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(VaeError);
    expect(err.message).toBe(
      "imageSize (--image-size) 10: preset 'mnist-conv' is convolutional (two stride-2 layers) and needs an image size divisible by 4; use --image-size 8 or 12, or an MLP preset (mnist-mlp)",
    );
  });

  it('an MLP preset takes any size; labels from folders; its own valFraction and seed', async () => {
    const model = await vaeFamily.train(rt, {
      preset: 'mnist-mlp',
      data: folder,
      imageSize: 6,
      labels: 'folders',
      valFraction: 0.25,
      steps: 1,
      seed: 3,
    });
    expect(model.imageShape).toEqual([3, 6, 6]);
    expect(model.data?.split).toEqual({ valFraction: 0.25, seed: 3, trainRows: 45, valRows: 15 });
    expect(await model.evaluate()).toEqual(
      await model.evaluate({ data: await heldOut(6, 3, 0.25) }),
    );
  });

  it('refuses a valFraction outside (0, 1), and own-data options without data', async () => {
    await expect(
      vaeFamily.train(rt, { preset: 'mnist-mlp', data: folder, valFraction: 0, steps: 1 }),
    ).rejects.toThrow(/valFraction \(0\) must be a number in \(0, 1\)/);
    await expect(
      vaeFamily.train(rt, { preset: 'mnist-mlp', imageSize: 8, steps: 1 }),
    ).rejects.toThrow(/imageSize \(8\) is the size your own images are read at; give it with data/);
  });
});

describe('VAE.fit and evaluate: what the model was trained on', () => {
  const tiny = { imageSize: 8, latent: 2, hidden: 8, batchSize: 16 } as const;

  it("a preset's model stores no own-data fields (checkpoints as before)", async () => {
    const vae = VAE.create(rt, tiny);
    expect(vae.trainedOn).toBe('preset');
    await vae.fit(barImages(16, 8, 0), { steps: 1, reference: 'preset' });
    expect(vae.trainedOn).toBe('preset');
    const cfg = JSON.parse(vae.toFiles()['config.json']);
    expect(Object.keys(cfg).sort()).toEqual(['config', 'family', 'preset']);
    // A checkpoint without the field reads as 'preset'.
    expect((await VAE.load(rt, vae.toFiles())).trainedOn).toBe('preset');
  });

  it('fit on your images: evaluate() refuses, or scores the held-out reference', async () => {
    const vae = VAE.create(rt, tiny);
    const x = barImages(32, 8, 0);
    const held = barImages(8, 8, 1);
    // A refused fit leaves the model as it was.
    await expect(
      vae.fit(x, { steps: 1, reference: 'mnist' as unknown as 'preset' }),
    ).rejects.toThrow(/fit: reference must be 'preset' \(MNIST\) or held-out images/);
    await expect(vae.fit(x, { steps: 1, reference: barImages(2, 4, 0) })).rejects.toThrow(
      /fit: reference: images \[2, 16\]/,
    );
    expect(vae.trainedOn).toBe('preset');
    await vae.fit(x, { steps: 1 });
    expect(vae.trainedOn).toBe('data');
    await expect(vae.evaluate()).rejects.toThrow(/pass held-out images it did not train on/);
    await vae.fit(x, { steps: 1, reference: held });
    const m = await vae.evaluate();
    expect(m).toEqual(await vae.evaluate({ data: held }));
    expect(m.bits_per_dim).toBeCloseTo(m.neg_elbo / (64 * Math.LN2), 10);
    // A gray 28x28 model trained on your images draws no MNIST pictures once loaded.
    const gray = VAE.create(rt, { latent: 2, hidden: 8 });
    await gray.fit(barImages(16, 28, 0), { steps: 1 });
    const back = await VAE.load(rt, gray.toFiles());
    expect(back.trainedOn).toBe('data');
    expect(await back.pictures(join(dir, 'never'), 0)).toEqual([]);
  });

  it('stored fields are checked: a bad trainedOn or a normalization is named', async () => {
    const config = resolveConfig(tiny);
    const net = new VaeNetwork(config, new Rng(0));
    const files = (extra: Record<string, unknown>) => ({
      'model.safetensors': encodeModule(net, {
        family: 'vae',
        config: { family: 'vae', preset: 'custom', config, ...extra },
      }),
    });
    await expect(VAE.load(rt, files({ trainedOn: 'mine' }))).rejects.toThrow(
      'model files: VAE stored fields: trainedOn ("mine") must be one of "preset", "data"',
    );
    await expect(
      VAE.load(rt, files({ trainedOn: 'data', normalization: { mean: [0], std: [1] } })),
    ).rejects.toThrow(/VAE stored fields: normalization is not a VAE field/);
    expect((await VAE.load(rt, files({ trainedOn: 'data' }))).trainedOn).toBe('data');
  });

  it('a non-square model cannot read a folder (named), but takes a Tensor', async () => {
    const vae = VAE.create(rt, { latent: 2, hidden: 8, imageHeight: 8, imageWidth: 4 });
    await expect(vae.evaluate({ data: folder })).rejects.toThrow(
      "evaluate: data: a folder of images is read at one square size, but this model's images are 8x4",
    );
    const m = await vae.evaluate({
      data: new Tensor('float32', [3, 32], new Float32Array(96).fill(0.5)),
    });
    expect(Object.keys(m).sort()).toEqual(['bits_per_dim', 'kl', 'neg_elbo', 'recon']);
  });
});
