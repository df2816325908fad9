/**
 * Your own images: `ganFamily.train` with `data` (a folder of PNGs) builds a DCGAN preset at
 * the data's [C, S, S] (RGB from a gray MNIST preset, any size divisible by 2^stages),
 * conditional from subfolders; the held-out split and provenance; `evaluate()` as
 * `pixel_mmd` on held-out images (never MNIST); samples and pictures without MNIST;
 * save / load; the CIFAR-10 preset's data passing through; each refusal by name.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetNotFoundError, readImageFolder, splitRows } from '@genmodels/datasets';
import { Runtime, Tensor } from '@genmodels/runtime';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GAN_PRESETS } from './config.js';
import { GanError } from './errors.js';
import { ganFamily } from './family.js';
import { GAN } from './gan.js';
import { rgbImages, tinyDcgan, writeImageFolder } from './testing.js';
import { evaluateImages, type GanSampler } from './with-datasets.js';

let rt: Runtime;
let dir: string;
let folder: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'gan-own-'));
  // 12 RGB 8x8 images, 6 in each of two class subfolders.
  folder = join(dir, 'bars');
  await writeImageFolder(folder, rgbImages(12, 8, 0), (i) => (i % 2 ? 'blue' : 'red'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The held-out images as the family split them, in [-1, 1]: the folder at `size`, `splitRows` by seed. */
async function heldOut(size: number, seed = 0, valFraction = 0.1): Promise<Tensor<'float32'>> {
  const { images } = await readImageFolder(folder, { size, labels: 'none' });
  const val = splitRows(images, valFraction, seed).val;
  return new Tensor(
    'float32',
    val.shape,
    val.data.map((v) => v * 2 - 1),
  );
}

/** A PNG's width, height and colour type (0 gray, 2 RGB) from its IHDR chunk. */
function pngHeader(bytes: Uint8Array): { width: number; height: number; colorType: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(new TextDecoder().decode(bytes.subarray(12, 16))).toBe('IHDR');
  return { width: v.getUint32(16), height: v.getUint32(20), colorType: bytes[25] };
}

const bits = (t: Tensor) => Array.from(new Uint32Array((t.data as Float32Array).slice().buffer));

describe('ganFamily.train with a folder of images', () => {
  let model: GAN;
  beforeAll(async () => {
    model = await ganFamily.train(rt, {
      preset: 'mnist-dcgan',
      data: folder,
      imageSize: 8,
      steps: 2,
    });
  });

  it('declares the own-data options the CLI passes', () => {
    expect(ganFamily.trainOptions).toEqual(['data', 'valFraction', 'imageSize', 'labels']);
    expect(ganFamily.evalOptions).toEqual(['data']);
  });

  it("builds the gray preset's architecture at the data's RGB shape and records the provenance", () => {
    expect(model.imageShape).toEqual([3, 8, 8]);
    const { imageChannels, imageHeight, imageWidth, dataDim, batchSize, upsamples, dataset } =
      model.config;
    // 11 images to train on: the batch is at most the training images.
    expect({ imageChannels, imageHeight, imageWidth, dataDim, batchSize }).toEqual({
      imageChannels: 3,
      imageHeight: 8,
      imageWidth: 8,
      dataDim: 192,
      batchSize: 11,
    });
    expect([upsamples, dataset]).toEqual([undefined, undefined]);
    expect(model.config).toMatchObject({ arch: 'dcgan', zDim: 100, hidden: 64, numClasses: 0 });
    expect(model.preset).toBe('mnist-dcgan');
    expect(model.trainedOn).toBe('data');
    expect(model.data).toEqual({
      source: folder,
      shape: [12, 3, 8, 8],
      normalization: 'scale to [-1, 1]',
      split: { valFraction: 0.1, seed: 0, trainRows: 11, valRows: 1 },
    });
    expect(model.net.stateDict()['generator.deconv2.weight'].shape).toEqual([64, 3, 4, 4]);
  });

  it('samples [n, 3, 8, 8] in [-1, 1] and draws an RGB samples.png, without MNIST', async () => {
    const s = await model.sample(5, 0);
    expect(s.kind).toBe('images');
    if (s.kind !== 'images') return;
    expect(s.images.shape).toEqual([5, 3, 8, 8]);
    expect(s.range).toBe('-11');
    const px = s.images.data as Float32Array;
    expect(px.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(Math.max(...px) - Math.min(...px)).toBeGreaterThan(0);
    const out = join(dir, 'pictures');
    expect(await model.pictures(out, 0)).toEqual(['samples.png']);
    // 64 images of 8x8, 8 per row, 2-pixel padding.
    expect(pngHeader(new Uint8Array(await readFile(join(out, 'samples.png'))))).toEqual({
      width: 8 * 10 + 2,
      height: 8 * 10 + 2,
      colorType: 2,
    });
  });

  it('evaluate() is pixel_mmd on the held-out images; evaluate({ data }) takes a Tensor or a folder', async () => {
    const m = await model.evaluate({ n: 40 });
    expect(Object.keys(m)).toEqual(['pixel_mmd']);
    expect(m.pixel_mmd).toBeGreaterThan(0);
    const val = await heldOut(8);
    expect(val.shape).toEqual([1, 3, 8, 8]);
    expect(await model.evaluate({ data: val, n: 40 })).toEqual(m);
    expect(await model.evaluate({ data: val.reshape([1, 192]), n: 40 })).toEqual(m);
    // Of more than 1,000 samples, pixel_mmd takes the first 1,000 (the MMD is O(n^2)): the
    // seeded samples' first rows are the same, so 1,500 and 1,000 give the same figure.
    const many = await model.evaluate({ data: val, n: 1500 });
    expect(many).toEqual(await model.evaluate({ data: val, n: 1000 }));
    expect(many).not.toEqual(m);
    const all = await model.evaluate({ data: folder, n: 40 });
    expect(Number.isFinite(all.pixel_mmd)).toBe(true);
    expect(all.pixel_mmd).not.toBe(m.pixel_mmd);
    await expect(model.evaluate({ data: rgbImages(2, 4, 0) })).rejects.toThrow(
      "evaluate: data: images uint8 [2, 3, 4, 4] do not match the GAN's image shape 3x8x8 (C x H x W); expected [N, 192] or [N, 3, 8, 8]",
    );
    const hwc = new Tensor('float32', [2, 8, 8, 3], new Float32Array(384));
    await expect(model.evaluate({ data: hwc })).rejects.toThrow(
      /channels-last images \[N, H, W, C\] must be transposed to \[N, 3, 8, 8\]/,
    );
    const unscaled = new Tensor('float32', [1, 192], new Float32Array(192).fill(200));
    await expect(model.evaluate({ data: unscaled })).rejects.toThrow(
      /values span \[200, 200\], but the GAN's images are in \[-1, 1\].*pass 8-bit pixels as uint8/,
    );
  });

  it('after save / load: the shape, weights and provenance are kept; evaluate() refuses by name', async () => {
    const out = join(dir, 'saved');
    await model.save(out);
    const stored = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(stored).toMatchObject({ trainedOn: 'data', data: model.data });
    expect(stored.config).toMatchObject({ imageChannels: 3, imageHeight: 8, imageWidth: 8 });
    const back = await ganFamily.load(rt, out);
    expect(back.imageShape).toEqual([3, 8, 8]);
    expect(back.config).toEqual(model.config);
    expect(back.trainedOn).toBe('data');
    expect(back.data).toEqual(model.data);
    expect(bits(await back.sampleFlat(3, 7))).toEqual(bits(await model.sampleFlat(3, 7)));
    const err = await back.evaluate().catch((e) => e);
    expect(err).toBeInstanceOf(GanError);
    expect(err.message).toMatch(
      /^evaluate: this GAN was trained on images you gave \(fit\), so it has no test set of its own to score against \(never MNIST's\); pass held-out images .*\[N, 192\] or \[N, 3, 8, 8\]/,
    );
    expect(await back.evaluate({ data: folder, n: 40 })).toEqual(
      await model.evaluate({ data: folder, n: 40 }),
    );
    // The exported generator makes flat RGB images.
    const session = await ort.InferenceSession.create(back.onnx());
    const z = new ort.Tensor('float32', new Float32Array(2 * 100), [2, 100]);
    expect((await session.run({ z })).x.dims).toEqual([2, 192]);
  });
});

describe('ganFamily.train options with images', () => {
  it('a conditional preset takes its classes from the subfolders', async () => {
    const model = await ganFamily.train(rt, {
      preset: 'mnist-cdcgan',
      data: folder,
      imageSize: 4,
      valFraction: 0.25,
      steps: 2,
      seed: 3,
    });
    expect(model.config.numClasses).toBe(2);
    expect(model.imageShape).toEqual([3, 4, 4]);
    expect(model.data?.split).toEqual({ valFraction: 0.25, seed: 3, trainRows: 9, valRows: 3 });
    const s = await model.sample(3, 0, { label: 1 });
    expect(s.kind === 'images' && s.images.shape).toEqual([3, 3, 4, 4]);
    await expect(model.sample(3, 0, { label: 2 })).rejects.toThrow(
      /label 2 at 0 is not a class in 0..1/,
    );
    expect(await model.evaluate({ n: 20 })).toEqual(
      await model.evaluate({ data: await heldOut(4, 3, 0.25), n: 20 }),
    );
    // One row per class, 8 columns.
    const out = join(dir, 'cond');
    await model.pictures(out, 0);
    const png = pngHeader(new Uint8Array(await readFile(join(out, 'samples.png'))));
    expect([png.width, png.height]).toEqual([8 * 6 + 2, 2 * 6 + 2]);
  });

  it('cifar-dcgan trains on your images with its three stages (sizes divisible by 8)', async () => {
    const model = await ganFamily.train(rt, {
      preset: 'cifar-dcgan',
      data: folder,
      imageSize: 8,
      steps: 1,
    });
    expect(model.config).toMatchObject({ upsamples: 3, imageChannels: 3, imageHeight: 8 });
    expect(model.config.dataset).toBeUndefined();
    expect(model.net.stateDict()['generator.deconv3.weight'].shape).toEqual([64, 3, 4, 4]);
    const s = await model.sample(2, 0);
    expect(s.kind === 'images' && s.images.shape).toEqual([2, 3, 8, 8]);
  });

  it('names an image size not divisible by 2^stages, with valid sizes, before reading the folder', async () => {
    const missing = join(dir, 'missing');
    const err = await ganFamily
      .train(rt, { preset: 'mnist-dcgan', data: missing, imageSize: 10, steps: 1 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(GanError);
    expect(err.message).toBe(
      "imageSize (--image-size) 10: preset 'mnist-dcgan' has 2 stride-2 stages and needs an image size divisible by 4 (2^2); use --image-size 8 or 12",
    );
    await expect(
      ganFamily.train(rt, { preset: 'cifar-dcgan', data: missing, imageSize: 28, steps: 1 }),
    ).rejects.toThrow(
      "preset 'cifar-dcgan' has 3 stride-2 stages and needs an image size divisible by 8 (2^3); use --image-size 24 or 32",
    );
    await expect(
      ganFamily.train(rt, { preset: 'mnist-dcgan', data: missing, imageSize: 2, steps: 1 }),
    ).rejects.toThrow('use --image-size 4');
  });

  it('names too few images for a batch (batchSize), labels that do not fit the preset, a bad valFraction', async () => {
    const two = join(dir, 'two');
    await writeImageFolder(two, rgbImages(2, 8, 1));
    await expect(
      ganFamily.train(rt, { preset: 'mnist-dcgan', data: two, imageSize: 8, steps: 1 }),
    ).rejects.toThrow(
      /valFraction 0.1 of 2 images leaves 1 to train on and 1 held out; a batch \(batchSize, at most the training images\) needs at least 2 images/,
    );
    await expect(
      ganFamily.train(rt, { preset: 'mnist-dcgan', data: folder, labels: 'folders', steps: 1 }),
    ).rejects.toThrow(
      /labels 'folders' \(--labels folders\) reads class labels, but preset 'mnist-dcgan' is unconditional/,
    );
    await expect(
      ganFamily.train(rt, { preset: 'mnist-cdcgan', data: folder, labels: 'none', steps: 1 }),
    ).rejects.toThrow(/preset 'mnist-cdcgan' is class-conditional and needs class labels/);
    for (const valFraction of [0, 1])
      await expect(
        ganFamily.train(rt, { preset: 'mnist-dcgan', data: folder, valFraction, steps: 1 }),
      ).rejects.toThrow(`valFraction (${valFraction}) must be a number in (0, 1)`);
    await expect(ganFamily.train(rt, { preset: 'mnist-dcgan', imageSize: 8 })).rejects.toThrow(
      /imageSize \(8\) is the size your own images are read at; give it with data \(a folder of images\)/,
    );
    // fit itself names the config's batchSize.
    const gan = GAN.create(rt, { ...tinyDcgan(), imageChannels: 3, imageHeight: 8, imageWidth: 8 });
    await expect(gan.fit(rgbImages(4, 8, 0))).rejects.toThrow(
      "fit: 4 examples, fewer than one batch of 8 (the config's batchSize); give more data or a smaller batchSize",
    );
  });
});

describe('image GANs of any shape from code', () => {
  const tinyCifar = { ...GAN_PRESETS['cifar-dcgan'].config, hidden: 4, zDim: 8, batchSize: 8 };

  it('a tiny-width cifar-dcgan trains on generated 32x32 RGB images and scores held-out ones', async () => {
    const gan = GAN.create(rt, tinyCifar, { seed: 0 });
    expect(gan.imageShape).toEqual([3, 32, 32]);
    await gan.fit(rgbImages(16, 32, 0), { steps: 2, reference: rgbImages(4, 32, 1) });
    expect(gan.trainedOn).toBe('data');
    const s = await gan.sample(2, 0);
    expect(s.kind === 'images' && s.images.shape).toEqual([2, 3, 32, 32]);
    const m = await gan.evaluate({ n: 8 });
    expect(m).toEqual(await gan.evaluate({ data: rgbImages(4, 32, 1), n: 8 }));
    expect(m.pixel_mmd).toBeGreaterThan(0);
  });

  it('a GAN of the CIFAR-10 preset (never fit) scores its samples by FID in CifarNet features against the test set', async () => {
    const gan = GAN.create(rt, tinyCifar, { seed: 0 });
    const m = await gan.evaluate({ n: 40, limit: 200 });
    expect(Object.keys(m).sort()).toEqual([
      'class_kl',
      'confident_fraction',
      'fid',
      'mean_confidence',
      'pixel_mmd',
    ]);
    // An untrained generator's samples are far from CIFAR-10: a Frechet distance well above
    // the one between two sets of real test images of the same sizes.
    const ds = await import('@genmodels/datasets');
    const t = await ds.cifar10.test({ limit: 240 });
    const u = Float32Array.from(t.images.data as Uint8Array, (v) => v / 255);
    const real = new Tensor('float32', [40, 3, 32, 32], u.subarray(200 * 3072));
    const cf = await ds.CifarFeatures.create(rt);
    const floor = await cf.compare(
      real,
      new Tensor('float32', [200, 3, 32, 32], u.subarray(0, 200 * 3072)),
    );
    expect(m.fid).toBeGreaterThan(2 * floor.frechet);
    expect(await gan.evaluate({ n: 40, limit: 200 })).toEqual(m);
  });

  it("the CIFAR-10 preset's missing data set is datasets' DatasetNotFoundError, as it is", async () => {
    const empty = join(dir, 'no-cifar');
    await writeImageFolder(empty, rgbImages(1, 2, 0));
    const err = await ganFamily
      .train(rt, { preset: 'cifar-dcgan', dataDir: empty, steps: 1 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toMatch(
      /^CIFAR-10: '.*no-cifar' \(from option `dir`\) holds none of the files/,
    );
  });

  it('never scores a GAN against MNIST unless it was trained on it', async () => {
    // A gray 28x28 DCGAN fit on your images: evaluate() needs held-out images.
    const gray = GAN.create(rt, tinyDcgan(), { seed: 0 });
    const x = new Tensor('uint8', [8, 28, 28], new Uint8Array(8 * 784).fill(128));
    await gray.fit(x, { steps: 1 });
    expect(gray.trainedOn).toBe('data');
    await expect(gray.evaluate()).rejects.toThrow(/trained on images you gave \(fit\)/);
    const back = await GAN.load(rt, gray.toFiles());
    expect(back.trainedOn).toBe('data');
    await expect(back.evaluate()).rejects.toThrow(/never MNIST's/);
    // A shape no built-in set has: evaluate() says what to pass.
    const rgb = GAN.create(rt, { ...tinyDcgan(), imageChannels: 3, imageHeight: 8, imageWidth: 8 });
    await expect(rgb.evaluate()).rejects.toThrow(
      /evaluate: this GAN makes 3x8x8 images \(C x H x W\) and has no test set of its own/,
    );
    await expect(rgb.fit(rgbImages(8, 8, 0), { standardize: true, steps: 1 })).rejects.toThrow(
      /`standardize` is for point GANs/,
    );
  });
});

describe('pixel_mmd', () => {
  /** A stand-in sampler that returns the given images (flat, [-1, 1]) as its samples. */
  const sampler = (images: Tensor<'float32'>): GanSampler => ({
    rt,
    config: {
      ...GAN_PRESETS['mnist-dcgan'].config,
      imageChannels: 3,
      imageHeight: 8,
      imageWidth: 8,
    },
    sampleFlat: async (n) => images.takeRows(Array.from({ length: n }, (_, i) => i)),
    referencePoints: async () => undefined,
  });
  const flat = (x: Tensor) => {
    const px = x.data as Uint8Array;
    return new Tensor(
      'float32',
      [x.shape[0], 192],
      Float32Array.from(px, (v) => v / 127.5 - 1),
    );
  };

  it('is 0 for the held-out images themselves and orders real above noise', async () => {
    const a = flat(rgbImages(40, 8, 1));
    const b = flat(rgbImages(40, 8, 2));
    expect((await evaluateImages(sampler(a), a, { n: 40 })).pixel_mmd).toBe(0);
    const real = (await evaluateImages(sampler(b), a, { n: 40 })).pixel_mmd;
    const noise = new Tensor(
      'float32',
      [40, 192],
      Float32Array.from({ length: 40 * 192 }, (_, i) => ((i * 7919) % 200) / 100 - 1),
    );
    const fake = (await evaluateImages(sampler(noise), a, { n: 40 })).pixel_mmd;
    // Other images of the same two classes are far closer than noise: the kernels are not
    // saturated at this dimension (bandwidths scale with sqrt(C*H*W)).
    expect(real).toBeGreaterThan(0);
    expect(fake).toBeGreaterThan(10 * real);
  });
});
