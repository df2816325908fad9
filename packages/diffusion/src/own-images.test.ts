/**
 * Your own images: `diffusionFamily.train` with `data` (a folder of PNGs) builds the preset's
 * U-Net at the folder's [C, S, S], holds out images for `evaluate()` (pixel_mmd, never
 * MNIST), records provenance and round-trips through save / load; U-Nets of other shapes
 * (RGB, non-square) and with attention at a level train; each refusal is named.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, readImageFolder, splitRows } from '@genmodels/datasets';
import { type Module, Rng, Runtime, Tensor, type Value } from '@genmodels/runtime';
import { type TraceContext, withTrace } from '@genmodels/runtime/internal';
import { type GradcheckInput, gradcheck } from '@genmodels/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';
import { diffusionFamily } from './family.js';
import { DiffusionNetwork } from './network.js';
import { configForImages } from './own-images.js';
import { barImages, TINY_RGB } from './testing.js';

let rt: Runtime;
let dir: string;
/** 80 RGB 8x8 bars, 40 in each of two subfolders: enough for one batch of the presets' 64. */
let folder: string;
/** 12 RGB 8x8 bars in two subfolders. */
let small: string;

/** Write images [n, 3, s, s] in [0, 1] as PNGs, image i into subfolder `h` (even i) or `v`. */
async function writeFolder(path: string, x: Tensor<'float32'>): Promise<void> {
  const [n, c, s] = x.shape;
  for (const sub of ['h', 'v']) await mkdir(join(path, sub), { recursive: true });
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(s * s * c);
    for (let p = 0; p < s * s; p++)
      for (let ch = 0; ch < c; ch++)
        data[p * c + ch] = Math.round(x.data[(i * c + ch) * s * s + p] * 255);
    const name = join(path, i % 2 ? 'v' : 'h', `${String(i).padStart(2, '0')}.png`);
    await writeFile(name, encodePng({ width: s, height: s, channels: 3, data }));
  }
}

beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'diffusion-own-images-'));
  folder = join(dir, 'bars');
  small = join(dir, 'few');
  await writeFolder(folder, barImages(80, [3, 8, 8], 7));
  await writeFolder(small, barImages(12, [3, 8, 8], 8));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The held-out images as the family splits them, in [-1, 1]: [M, 3, 8, 8]. */
async function heldOut(seed = 0, valFraction = 0.1): Promise<Tensor<'float32'>> {
  const { images } = await readImageFolder(folder, { size: 8, labels: 'none' });
  const val = splitRows(images, valFraction, seed).val;
  return new Tensor(
    'float32',
    val.shape,
    Float32Array.from(val.data, (v) => 2 * v - 1),
  );
}

/** A PNG's width, height and colour type (0 gray, 2 RGB) from its IHDR chunk. */
function pngHeader(bytes: Uint8Array): { width: number; height: number; colorType: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20), colorType: bytes[25] };
}

const FAST = { steps: 2 } as const;
const METRICS = ['pixel_mmd', 'pixel_mmd_data_baseline'];

describe('diffusionFamily.train with a folder of images', () => {
  let model: Diffusion;
  beforeAll(async () => {
    model = await diffusionFamily.train(rt, {
      preset: 'mnist-unet-tiny',
      data: folder,
      imageSize: 8,
      labels: 'folders',
      steps: 2,
      seed: 0,
    });
  });

  it('declares the own-data options the CLI passes', () => {
    expect(diffusionFamily.trainOptions).toEqual(['data', 'valFraction', 'imageSize', 'labels']);
    expect(diffusionFamily.evalOptions).toEqual(['data']);
  });

  it("builds the preset's U-Net at the folder's shape, conditional on its classes, and records the provenance", () => {
    const preset = resolveConfig('mnist-unet-tiny');
    expect(model.config).toMatchObject({
      arch: 'unet',
      dataDim: 192,
      channels: preset.channels,
      attentionHeads: preset.attentionHeads,
      batchSize: preset.batchSize,
      imageChannels: 3,
      imageHeight: 8,
      imageWidth: 8,
      numClasses: 2,
    });
    expect('dataset' in model.config).toBe(false);
    expect(model.preset).toBe('mnist-unet-tiny');
    expect(model.trainedOn).toBe('data');
    expect(model.data).toEqual({
      source: folder,
      shape: [80, 3, 8, 8],
      normalization: 'scale to [-1, 1]',
      split: { valFraction: 0.1, seed: 0, trainRows: 72, valRows: 8 },
    });
  });

  it('samples RGB images of its size, a class each, without MNIST', async () => {
    const s = await model.sample(4, 0, { steps: 2, label: 1 });
    expect(s.kind).toBe('images');
    expect(s.kind === 'images' && s.images.shape).toEqual([4, 3, 8, 8]);
    expect(s.kind === 'images' && s.range).toBe('-11');
    await expect(model.sample(2, 0, { label: 2 })).rejects.toThrow(
      /label 2 at 0 is not a class in 0..1/,
    );
    const out = join(dir, 'pictures');
    expect(await model.pictures(out, 0)).toEqual(['samples.png']);
    // Two classes, a row of 8 each: 8 x 2 cells of 8 + 2 pixels, plus the border.
    const png = pngHeader(new Uint8Array(await readFile(join(out, 'samples.png'))));
    expect(png).toEqual({ width: 8 * 10 + 2, height: 2 * 10 + 2, colorType: 2 });
  });

  it('evaluate() scores the held-out images by pixel_mmd; evaluate({ data }) takes a Tensor or a folder', async () => {
    const m = await model.evaluate(FAST);
    expect(Object.keys(m).sort()).toEqual(METRICS);
    for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
    const val = await heldOut();
    expect(val.shape).toEqual([8, 3, 8, 8]);
    expect(await model.evaluate({ ...FAST, data: val })).toEqual(m);
    // A folder is read at the model's size and channels: all 80 images, against 16 samples.
    const all = await model.evaluate({ ...FAST, n: 16, data: folder });
    expect(Object.keys(all).sort()).toEqual(METRICS);
    await expect(model.evaluate({ data: Tensor.zeros([4, 1, 8, 8]) })).rejects.toThrow(
      /evaluate: data: expected \[N, 3, 8, 8\] images, got/,
    );
    await expect(model.evaluate({ data: val.takeRows([0]) })).rejects.toThrow(
      /evaluate: 1 held-out image; pixel_mmd needs 2 or more/,
    );
  });

  it('after save / load: shape, config and provenance kept; evaluate() without data refuses by name', async () => {
    const out = join(dir, 'saved');
    await model.save(out);
    const stored = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(stored).toMatchObject({
      preset: 'mnist-unet-tiny',
      trainedOn: 'data',
      data: model.data,
    });
    expect(stored.config).toEqual(model.config);
    const back = await diffusionFamily.load(rt, out);
    expect(back.config).toEqual(model.config);
    expect(back.trainedOn).toBe('data');
    expect(back.data).toEqual(model.data);
    const x = new Tensor('float32', [2, 3, 8, 8], new Rng(1).normal(2 * 192));
    expect((await back.denoise(x, 5, [0, 1])).data).toEqual(
      (await model.denoise(x, 5, [0, 1])).data,
    );
    const s = await back.sample(3, 0, FAST);
    expect(s.kind === 'images' && s.images.shape).toEqual([3, 3, 8, 8]);
    const err = await back.evaluate(FAST).catch((e) => e);
    expect(err).toBeInstanceOf(DiffusionError);
    expect(err.message).toMatch(
      /^evaluate: this model was trained on images you gave \(fit\), not on its preset's data.*never scored against MNIST.*evaluate\(\{ data \}\) with a Tensor \(\[N, 3, 8, 8\] images\) or the path of a folder of images/,
    );
    const val = await heldOut();
    expect(await back.evaluate({ ...FAST, data: val })).toEqual(
      await model.evaluate({ ...FAST, data: val }),
    );
    expect(back.toFiles()['config.json']).toBe(model.toFiles()['config.json']);
  });
});

describe('diffusionFamily.train options with a folder of images', () => {
  it('unconditional without labels; its own valFraction and seed; cifar-unet keeps attention at its level', async () => {
    const model = await diffusionFamily.train(rt, {
      preset: 'mnist-unet-tiny',
      data: folder,
      imageSize: 8,
      valFraction: 0.2,
      steps: 1,
      seed: 3,
    });
    expect(model.config.numClasses).toBe(0);
    expect(model.data?.split).toEqual({ valFraction: 0.2, seed: 3, trainRows: 64, valRows: 16 });
    expect(Object.keys(await model.evaluate({ ...FAST, n: 4 })).sort()).toEqual(METRICS);
    // cifar-unet at 16: levels 16, 8, 4; attention (at 16 of 32) moves with its level to 8.
    const cfg = configForImages(resolveConfig('cifar-unet'), [3, 16], 10);
    expect(cfg).toMatchObject({ dataDim: 768, channels: [64, 128, 128], imageHeight: 16 });
    expect('dataset' in cfg).toBe(false);
    expect(cfg.attentionResolutions).toEqual([8]);
  });

  it('names each refusal: size not divisible, too few images for batchSize, labels of an unconditional preset, options without data', async () => {
    const train = (o: Record<string, unknown>) =>
      diffusionFamily.train(rt, { preset: 'mnist-unet-tiny', data: folder, steps: 1, ...o });
    const err = await train({ data: join(dir, 'missing'), imageSize: 10 }).catch((e) => e);
    expect(err).toBeInstanceOf(DiffusionError);
    expect(err.message).toBe(
      "imageSize (--image-size) 10: preset 'mnist-unet-tiny' is a U-Net of 3 levels that halves its feature maps 2 times, so it needs an image size divisible by 4; use --image-size 8 or 12",
    );
    const few = await train({ data: small, imageSize: 8 }).catch((e) => e);
    expect(few).toBeInstanceOf(DiffusionError);
    expect(few.message).toBe(
      `data '${small}': 11 training images (12 read, 1 held out by valFraction 0.1) are fewer than one batch: preset 'mnist-unet-tiny' has batchSize 64; give at least 71 images`,
    );
    await expect(train({ imageSize: 8, valFraction: 0.99 })).rejects.toThrow(
      /1 training image \(80 read, 79 held out by valFraction 0.99\) are fewer than one batch: preset 'mnist-unet-tiny' has batchSize 64/,
    );
    await expect(train({ imageSize: 8, valFraction: 1 })).rejects.toThrow(
      /valFraction \(1\) must be a number in \(0, 1\): evaluate\(\) scores the model against the held-out images/,
    );
    await expect(train({ imageSize: 8, labels: 'classes' })).rejects.toThrow(
      "labels (--labels) must be 'folders' or 'none', got classes",
    );
    await expect(
      diffusionFamily.train(rt, { preset: 'mnist-unet-tiny', imageSize: 8, steps: 1 }),
    ).rejects.toThrow(/imageSize \(8\) is the size your own images are read at; give it with data/);
    await expect(
      diffusionFamily.train(rt, { preset: 'moons-2d', data: folder, labels: 'folders', steps: 1 }),
    ).rejects.toThrow(/labels \(folders\) is for a folder of images and a U-Net preset/);
  });
});

describe('U-Nets of other image shapes', () => {
  it('a tiny RGB U-Net trains 2 steps on a folder of 12 images and samples [n, 3, 8, 8]', async () => {
    const { images } = await readImageFolder(small, { size: 8 });
    const x = new Tensor(
      'float32',
      images.shape,
      Float32Array.from(images.data, (v) => 2 * v - 1),
    );
    const model = Diffusion.create(rt, TINY_RGB, { seed: 0 });
    const r = await model.fit(x, { steps: 2, progressEvery: 1 });
    expect(r.steps).toBe(2);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(model.trainedOn).toBe('data');
    const s = await model.sampleFlat(5, { seed: 1 });
    expect(s.shape).toEqual([5, 3, 8, 8]);
    for (const v of s.data) expect(Math.abs(v)).toBeLessThanOrEqual(1); // clipDenoised
    // Without held-out images, evaluate() refuses rather than score against anything else.
    await expect(model.evaluate(FAST)).rejects.toThrow(/trained on images you gave/);
    await expect(model.fit(x, { steps: 1, reference: 'preset' })).rejects.toThrow(
      /fit: reference 'preset' names the preset's image set, but this U-Net's images \(3x8x8\)/,
    );
    await expect(model.fit(Tensor.zeros([12, 8, 8]), { steps: 1 })).rejects.toThrow(
      /fit: expected \[N, 3, 8, 8\] images, got/,
    );
  });

  it('a U-Net of the CIFAR-10 preset (never fit) is scored by FID in CifarNet features against the test set', async () => {
    const model = Diffusion.create(
      rt,
      {
        ...TINY_RGB,
        imageHeight: 32,
        imageWidth: 32,
        dataDim: 3072,
        dataset: 'cifar10',
        numClasses: 10,
      },
      { seed: 0 },
    );
    const m = await model.evaluate({ n: 20, steps: 2, limit: 100 });
    expect(Object.keys(m).sort()).toEqual([
      'class_kl',
      'confident_fraction',
      'fid',
      'label_agreement',
      'mean_confidence',
      'pixel_mmd',
      'pixel_mmd_data_baseline',
    ]);
    // Untrained: noise-like samples, far from CIFAR-10: a Frechet distance well above the one
    // between two sets of real test images of the same sizes; classes at chance.
    const ds = await import('@genmodels/datasets');
    const t = await ds.cifar10.test({ limit: 120 });
    const u = Float32Array.from(t.images.data as Uint8Array, (v) => v / 255);
    const floor = await (await ds.CifarFeatures.create(rt)).compare(
      new Tensor('float32', [20, 3, 32, 32], u.subarray(100 * 3072)),
      new Tensor('float32', [100, 3, 32, 32], u.subarray(0, 100 * 3072)),
    );
    expect(m.fid).toBeGreaterThan(2 * floor.frechet);
    expect(m.label_agreement).toBeLessThan(0.5);
    expect(m.pixel_mmd).toBeGreaterThan(m.pixel_mmd_data_baseline);
  });

  it('a non-square 8x16 U-Net builds, takes a step and samples its shape', async () => {
    const model = Diffusion.create(
      rt,
      { ...TINY_RGB, imageHeight: 8, imageWidth: 16 },
      { seed: 0 },
    );
    expect(model.config.dataDim).toBe(384);
    const x = new Tensor(
      'float32',
      [4, 3, 8, 16],
      new Rng(2).uniform(4 * 384).map((v) => 2 * v - 1),
    );
    const r = await model.fit(x, { steps: 1 });
    expect(Number.isFinite(r.loss)).toBe(true);
    expect((await model.sampleFlat(2, { steps: 2 })).shape).toEqual([2, 3, 8, 16]);
    expect(() => resolveConfig({ ...TINY_RGB, imageHeight: 8, imageWidth: 9 })).toThrow(
      /imageHeight and imageWidth must be divisible by 2; got 8x9 \(valid: height 8, width 8 or 10/,
    );
  });

  it('attention at a level: gradients match finite differences, and training moves its weights', async () => {
    const cfg = resolveConfig({
      ...TINY_RGB,
      channels: [4, 4],
      groups: 2,
      attentionHeads: 2,
      imageHeight: 4,
      imageWidth: 8,
      attentionResolutions: [4],
    });
    const net = new DiffusionNetwork(cfg, new Rng(0));
    const keys = Object.keys(net.stateDict());
    expect(keys).toContain('denoiser.downAttn.0.attn.in_proj_weight');
    expect(keys).toContain('denoiser.upAttn.0.attn.in_proj_weight');
    // d(u . net(x, t)) / d(x, every parameter) against central differences.
    const r = await gradcheckNetwork(net, { shape: [2, 3, 4, 8] }, [3, 11]);
    expect(r.ok, r.message).toBe(true);
    const model = new Diffusion(rt, new DiffusionNetwork(cfg, new Rng(0)));
    const before = model.net.stateDict()['denoiser.downAttn.0.attn.in_proj_weight'].data.slice();
    const x = new Tensor(
      'float32',
      [4, 3, 4, 8],
      new Rng(3).uniform(4 * 96).map((v) => 2 * v - 1),
    );
    const losses: number[] = [];
    await model.fit(x, { steps: 3, progressEvery: 1, onProgress: (e) => losses.push(e.loss) });
    expect(losses.every(Number.isFinite)).toBe(true);
    const after = model.net.stateDict()['denoiser.downAttn.0.attn.in_proj_weight'].data;
    expect(after).not.toEqual(before);
  });
});

/**
 * gradcheck of `net` (x, t) w.r.t. x and every parameter: each parameter is a checked input
 * `param:<key>` the trace binds the module's tensors to (as the runtime's layer tests do).
 */
function gradcheckNetwork(net: Module, x: { shape: number[] }, t: number[]) {
  const params = net.namedParameters();
  const inputs: Record<string, GradcheckInput> = {
    x,
    t: {
      shape: [t.length],
      data: new Tensor('float32', [t.length], Float32Array.from(t)),
      check: false,
    },
  };
  for (const [k, p] of params) inputs[`param:${k}`] = { shape: p.shape, data: p.data };
  net.setPaths();
  return gradcheck(
    rt,
    inputs,
    (v) => {
      const ctx: TraceContext = {
        graph: v.x.graph,
        training: true,
        bindings: new Map(params.map(([k, p]) => [p, v[`param:${k}`]])),
        updates: new Map(),
        noise: new Map(),
      };
      return withTrace(ctx, () => (net as DiffusionNetwork).call(v.x, v.t) as Value);
    },
    { seed: 1, directions: 3 },
  );
}
