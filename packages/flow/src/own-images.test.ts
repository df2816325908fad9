/**
 * Your own images: a folder of PNGs trains the image presets' architecture at the data's
 * shape (held-out split, provenance), evaluate() scores the held-out images (NLL and
 * bits/dim), save / load keeps the log-likelihood, samples and pictures are RGB at any size
 * without MNIST, and wrong sizes, too few images and class labels are named.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetNotFoundError, encodePng, readImageFolder, splitRows } from '@genmodels/datasets';
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_PRESETS, type FlowConfig, resolveConfig } from './config.js';
import { dequantize, quantizePixels } from './data.js';
import { FlowError } from './errors.js';
import { flowFamily } from './family.js';
import type { Flow } from './flow.js';
import { IMAGE_NORMALIZATION, trainOnImages } from './own-images.js';

let rt: Runtime;
let dir: string;
let folder: string;
const [N, S] = [12, 8];

beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'flow-own-images-'));
  // 12 RGB 8x8 images: a coloured square on a darker background, some in a subfolder.
  folder = join(dir, 'squares');
  await mkdir(join(folder, 'more'), { recursive: true });
  const rng = new Rng(5);
  for (let i = 0; i < N; i++) {
    const data = new Uint8Array(S * S * 3);
    const color = rng.integers(3, 64, 256);
    const [x0, y0] = rng.integers(2, 0, 4);
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++)
        for (let c = 0; c < 3; c++) {
          const inside = x >= x0 && x < x0 + 4 && y >= y0 && y < y0 + 4;
          data[(y * S + x) * 3 + c] = inside ? color[c] : 10 * c + i;
        }
    const name = join(folder, i % 3 ? '' : 'more', `${String(i).padStart(2, '0')}.png`);
    await writeFile(name, encodePng({ width: S, height: S, channels: 3, data }));
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** cifar-realnvp's config at a tiny width (4 channels, 1 block) and batch 4: its tiny-width variant. */
const tinyCifar: FlowConfig = resolveConfig({
  ...FLOW_PRESETS['cifar-realnvp'].config,
  hidden: 4,
  depth: 1,
  batchSize: 4,
});

/** The folder's pixels as the family reads them, and the held-out split of `seed`. */
async function folderPixels(valFraction = 0.1, seed = 0) {
  const { images } = await readImageFolder(folder, { size: S, labels: 'none' });
  const pixels = quantizePixels(images);
  return { pixels, ...splitRows(pixels, valFraction, seed) };
}

describe('a pixel preset trained on a folder of images', () => {
  let model: Flow;
  beforeAll(async () => {
    model = await trainOnImages(
      rt,
      { preset: 'cifar-realnvp', data: folder, imageSize: S, steps: 2, seed: 0 },
      tinyCifar,
    );
  });

  it("builds the preset's architecture at the data's shape and records the provenance", () => {
    expect(model.config).toMatchObject({
      arch: 'multiscale',
      dim: 3 * S * S,
      imageSize: S,
      imageChannels: 3,
      scales: 1,
      hidden: 4,
      logitAlpha: 0.05,
    });
    expect(model.preset).toBe('cifar-realnvp');
    expect(model.trainedOn).toBe('data');
    expect(model.data).toEqual({
      source: folder,
      shape: [N, 3, S, S],
      normalization: IMAGE_NORMALIZATION,
      split: { valFraction: 0.1, seed: 0, trainRows: 11, valRows: 1 },
    });
  });

  it('evaluate() scores the held-out images: NLL and bits/dim, as evaluate({ data }) does', async () => {
    const m = await model.evaluate();
    expect(Object.keys(m).sort()).toEqual(['bits_per_dim', 'test_nll']);
    for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
    expect(m.bits_per_dim).toBeCloseTo(m.test_nll / (3 * S * S * Math.LN2), 10);
    const { val, pixels } = await folderPixels();
    expect(await model.evaluate({ data: val })).toEqual(m);
    // bits/dim = bpd of evaluateOn (the same dequantization noise).
    expect(m.bits_per_dim).toBeCloseTo((await model.evaluateOn(val)).bpd, 5);
    // A folder is read at the model's size and channels: all 12 images.
    const all = await model.evaluate({ data: folder });
    expect(all).toEqual(await model.evaluate({ data: pixels }));
    expect(Number.isFinite(all.bits_per_dim)).toBe(true);
    await expect(model.evaluate({ data: new Tensor('uint8', [2, 3, 4, 4]) })).rejects.toThrow(
      /evaluate: data: expected images \[N, 3, 8, 8\] or \[N, 192\] of integer pixels 0\.\.255, got uint8 \[2, 3, 4, 4\]/,
    );
    await expect(model.evaluate({ data: join(dir, 'points.csv') })).rejects.toThrow(
      /is a file of points .* this flow models images 3x8x8/,
    );
  });

  it('samples RGB images of the data size and draws samples.png without MNIST', async () => {
    const s = await model.sample(5, 0);
    if (s.kind !== 'images') throw new Error('expected images');
    expect(s.images.shape).toEqual([5, 3, S, S]);
    for (const v of s.images.data as Float32Array) expect(v >= 0 && v <= 1).toBe(true);
    const out = join(dir, 'pictures');
    expect(await model.pictures(out, 0)).toEqual(['samples.png']);
    const png = new Uint8Array(await readFile(join(out, 'samples.png')));
    const v = new DataView(png.buffer, png.byteOffset);
    // 8 x 8 tiles of 8 px with 2 px borders, RGB (colour type 2).
    expect([v.getUint32(16), v.getUint32(20), png[25]]).toEqual([8 * 10 + 2, 8 * 10 + 2, 2]);
  });

  it('save / load: the same log-likelihood and provenance; evaluate() then needs data', async () => {
    const out = join(dir, 'saved');
    await model.save(out);
    const stored = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(stored).toMatchObject({ trainedOn: 'data', data: model.data, config: model.config });
    const back = await flowFamily.load(rt, out);
    expect(back.config).toEqual(model.config);
    expect(back.data).toEqual(model.data);
    const { pixels } = await folderPixels();
    const y = dequantize(
      new Tensor('float32', [N, 3 * S * S], Float32Array.from(pixels.data)),
      new Rng(1),
    );
    const lp = await model.logProb(y);
    expect(Array.from((await back.logProb(y)).data)).toEqual(Array.from(lp.data));
    for (const v of lp.data) expect(Number.isFinite(v)).toBe(true);
    expect(await back.evaluate({ data: folder })).toEqual(await model.evaluate({ data: folder }));
    const err = await back.evaluate().catch((e) => e);
    expect(err).toBeInstanceOf(FlowError);
    expect(err.message).toMatch(
      /^evaluate: this flow was trained on images you gave \(fit\).*evaluate\(\{ data \}\) with integer pixels 0\.\.255 \[N, 3, 8, 8\] or the path of a folder of images/,
    );
    expect(back.toFiles()['config.json']).toBe(model.toFiles()['config.json']);
  });

  it('a gray folder trains a gray model; the same seed gives the same weights', async () => {
    const gray = join(dir, 'gray');
    await mkdir(gray, { recursive: true });
    for (let i = 0; i < 10; i++) {
      const data = Uint8Array.from(new Rng(i).integers(16, 0, 256));
      await writeFile(
        join(gray, `${i}.png`),
        encodePng({ width: 4, height: 4, channels: 1, data }),
      );
    }
    const opts = { preset: 'cifar-realnvp', data: gray, steps: 1, seed: 2, valFraction: 0.2 };
    const a = await trainOnImages(rt, { ...opts, imageSize: 4 }, tinyCifar);
    expect(a.config).toMatchObject({ dim: 16, imageSize: 4 });
    expect(a.config.imageChannels).toBeUndefined(); // gray: not stored
    expect(a.data?.split).toEqual({ valFraction: 0.2, seed: 2, trainRows: 8, valRows: 2 });
    const b = await trainOnImages(rt, { ...opts, imageSize: 4 }, tinyCifar);
    expect(b.net.stateDict()).toEqual(a.net.stateDict());
  });
});

describe('flowFamily.train with a folder: options and named errors', () => {
  it('declares the own-data options the CLI passes', () => {
    expect(flowFamily.trainOptions).toEqual(['data', 'valFraction', 'imageSize', 'labels']);
    expect(flowFamily.evalOptions).toEqual(['data']);
  });

  it('names an image size the multi-scale flow cannot squeeze, before reading the folder', async () => {
    const err = await flowFamily
      .train(rt, { preset: 'cifar-realnvp', data: join(dir, 'missing'), imageSize: 7, steps: 1 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(FlowError);
    expect(err.message).toBe(
      "imageSize (--image-size) 7: preset 'cifar-realnvp' is a multi-scale flow with 1 squeeze and needs an image size divisible by 2 (2^scales); use --image-size 6 or 8",
    );
    const { couplings: _c, ...rest } = tinyCifar;
    const two = resolveConfig({ ...rest, scales: 2 }); // couplings: 6 * 2 + 4
    await expect(
      trainOnImages(rt, { preset: 'x', data: folder, imageSize: 10, steps: 1 }, two),
    ).rejects.toThrow(/divisible by 4 \(2\^scales\); use --image-size 8 or 12/);
    expect(() =>
      resolveConfig({ arch: 'multiscale', imageSize: 30, imageChannels: 3, scales: 2 }),
    ).toThrow(
      "flow config: arch 'multiscale' with scales 2 needs an image size divisible by 4 (2^scales), got 30; use imageSize 28 or 32, or fewer scales",
    );
  });

  it('names too few images for one batch, with the batchSize', async () => {
    // The preset itself: batch 64, but 11 training images.
    await expect(
      flowFamily.train(rt, { preset: 'cifar-realnvp', data: folder, imageSize: S, steps: 1 }),
    ).rejects.toThrow(
      `data '${folder}': 11 training images (12 read, 1 held out) are fewer than one batch of 64 (batchSize of preset 'cifar-realnvp'); give at least 73 images`,
    );
    // mnist-mlp reads your images too (an MLP over [C, S, S]): batch 128.
    await expect(
      flowFamily.train(rt, { preset: 'mnist-mlp', data: folder, imageSize: 4, steps: 1 }),
    ).rejects.toThrow(/fewer than one batch of 128 \(batchSize of preset 'mnist-mlp'\)/);
  });

  it('refuses class labels (the flow is unconditional), a bad valFraction, and image options without data', async () => {
    await expect(
      flowFamily.train(rt, { preset: 'cifar-realnvp', data: folder, labels: 'folders' }),
    ).rejects.toThrow(/labels 'folders' \(--labels folders\): the flow is unconditional/);
    await expect(
      flowFamily.train(rt, { preset: 'cifar-realnvp', data: folder, valFraction: 0 }),
    ).rejects.toThrow(/valFraction \(0\) must be a number in \(0, 1\)/);
    await expect(flowFamily.train(rt, { preset: 'cifar-realnvp', imageSize: 8 })).rejects.toThrow(
      /imageSize \(8\) is the size your own images are read at; give it with data \(a folder of images\)/,
    );
    await expect(
      flowFamily.train(rt, { preset: 'moons', data: folder, imageSize: 8 }),
    ).rejects.toThrow(
      /imageSize \(--image-size\) is for a folder of images; preset 'moons' trains on points/,
    );
  });

  it('without data, cifar-realnvp reads CIFAR-10; where it is missing, the loader error passes unchanged', async () => {
    const empty = join(dir, 'no-cifar');
    await mkdir(empty, { recursive: true });
    const err = await flowFamily
      .train(rt, { preset: 'cifar-realnvp', dataDir: empty, steps: 1 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
  });
});
