/**
 * Any image shape [C, H, W]: gray or RGB (or any C), square or not, for the MLP and the conv
 * VAE; the data's shape is checked against the config's; configs stored before the shape
 * fields existed (only `imageSize`) load as the same model.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePngGrid } from '@genmodels/datasets';
import { encodeModule, Rng, Runtime, Tensor } from '@genmodels/runtime';
import { decodeModel } from '@genmodels/runtime/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, VAE_PRESETS, type VaeConfig, vaeImageShape } from './config.js';
import { VaeError } from './errors.js';
import { VaeNetwork } from './network.js';
import { barImages, colorBarImages } from './testing.js';
import { VAE } from './vae.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'vae-shape-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small: Partial<VaeConfig> = { latent: 4, hidden: 32, batchSize: 32, lr: 3e-3 };
const rgbMlp: Partial<VaeConfig> = { ...small, imageChannels: 3, imageHeight: 8, imageWidth: 12 };
const rgbConv: Partial<VaeConfig> = {
  ...small,
  arch: 'conv',
  imageChannels: 3,
  imageSize: 8,
  channels: [4, 8],
};

/** A PNG's width, height and colour type (0 gray, 2 RGB) from its IHDR chunk. */
function pngHeader(bytes: Uint8Array): { width: number; height: number; colorType: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(new TextDecoder().decode(bytes.subarray(12, 16))).toBe('IHDR');
  return { width: v.getUint32(16), height: v.getUint32(20), colorType: bytes[25] };
}

/** The first image of x: [N, ...] as a tensor of shape `shape`. */
function first(x: Tensor, shape: number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor('float32', shape, (x.data as Float32Array).slice(0, size));
}

describe('image shape in the config', () => {
  it('is [C, H, W] from imageChannels / imageHeight / imageWidth, imageSize for square', () => {
    expect(vaeImageShape(resolveConfig({}))).toEqual([1, 28, 28]);
    expect(vaeImageShape(resolveConfig({ imageSize: 8 }))).toEqual([1, 8, 8]);
    expect(vaeImageShape(resolveConfig({ imageChannels: 3 }))).toEqual([3, 28, 28]);
    expect(vaeImageShape(resolveConfig(rgbMlp))).toEqual([3, 8, 12]);
    expect(vaeImageShape(resolveConfig({ imageSize: 16, imageWidth: 8 }))).toEqual([1, 16, 8]);
  });

  it('writes each shape one way: imageSize for square, imageChannels only when not 1', () => {
    const keys = (c: Partial<VaeConfig>) =>
      Object.keys(resolveConfig(c)).filter((k) => k.startsWith('image'));
    expect(keys({})).toEqual(['imageSize']);
    expect(keys({ imageChannels: 1, imageHeight: 16, imageWidth: 16 })).toEqual(['imageSize']);
    expect(resolveConfig({ imageHeight: 16, imageWidth: 16 }).imageSize).toBe(16);
    expect(keys({ imageChannels: 3 })).toEqual(['imageSize', 'imageChannels']);
    const rgb = resolveConfig(rgbMlp);
    expect(keys(rgbMlp)).toEqual(['imageChannels', 'imageHeight', 'imageWidth']);
    // The canonical form resolves to itself (a stored config loads as what was saved).
    expect(resolveConfig(rgb)).toEqual(rgb);
    expect(JSON.stringify(resolveConfig(rgb))).toBe(JSON.stringify(rgb));
  });

  it('the presets resolve to the configs stored before the shape fields existed', () => {
    const old = (arch: string, latent: number) =>
      `{"arch":"${arch}","imageSize":28,"latent":${latent},"hidden":512,"channels":[32,64],"likelihood":"bernoulli","gaussianSigma":0.1,"beta":1,"klWarmupSteps":0,"lr":0.001,"batchSize":128}`;
    expect(JSON.stringify(resolveConfig('mnist-mlp'))).toBe(old('mlp', 20));
    expect(JSON.stringify(resolveConfig('mnist-conv'))).toBe(old('conv', 16));
    expect(JSON.stringify(VAE_PRESETS['mnist-mlp'].config)).toBe(old('mlp', 20));
  });

  it('names bad shape fields and conv sizes not divisible by 4', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ imageChannels: 0 }, 'imageChannels (0) must be at least 1'],
      [{ imageChannels: 2.5 }, 'imageChannels (2.5) must be an integer'],
      [{ imageHeight: 1e5 }, 'imageHeight (100000) must be at most 4096'],
      [{ imageWidth: '8' }, 'imageWidth ("8") must be a number'],
      [{ imageSize: undefined }, 'no image size; give imageSize (square images) or imageHeight'],
      [{ arch: 'conv', imageSize: 10 }, 'conv needs imageSize divisible by 4, got 10'],
      [
        { arch: 'conv', imageHeight: 8, imageWidth: 10 },
        'conv needs imageHeight and imageWidth divisible by 4, got 8x10',
      ],
      [{ imageChannels: 4096, imageSize: 4096 }, 'parameters'],
    ];
    for (const [partial, message] of cases) {
      expect(() => resolveConfig(partial as never), JSON.stringify(partial)).toThrow(VaeError);
      expect(() => resolveConfig(partial as never)).toThrow(message);
    }
  });

  it('the networks take C input channels and give C output channels', () => {
    const conv = new VaeNetwork(resolveConfig(rgbConv), new Rng(0)).stateDict();
    expect(conv['encoder.conv1.weight'].shape).toEqual([4, 3, 4, 4]);
    expect(conv['decoder.deconv2.weight'].shape).toEqual([4, 3, 4, 4]);
    expect(conv['decoder.deconv2.bias'].shape).toEqual([3]);
    expect(conv['encoder.fc_mu.weight'].shape).toEqual([4, 8 * 2 * 2]);
    const flat = new VaeNetwork(
      resolveConfig({ ...rgbConv, imageSize: undefined, imageHeight: 8, imageWidth: 12 }),
      new Rng(0),
    ).stateDict();
    expect(flat['encoder.fc_mu.weight'].shape).toEqual([4, 8 * 2 * 3]);
    const mlp = new VaeNetwork(resolveConfig(rgbMlp), new Rng(0)).stateDict();
    expect(mlp['encoder.fc1.weight'].shape).toEqual([32, 3 * 8 * 12]);
    expect(mlp['decoder.fc2.weight'].shape).toEqual([3 * 8 * 12, 32]);
  });
});

const shapes: [string, Partial<VaeConfig>, [number, number, number]][] = [
  ['RGB 3x8x12 MLP', rgbMlp, [3, 8, 12]],
  ['RGB 3x8x8 conv', rgbConv, [3, 8, 8]],
];

describe.each(shapes)('%s VAE', (_name, config, shape) => {
  const [c, h, w] = shape;
  const d = c * h * w;

  it('trains on coloured bars (the loss falls), encodes, decodes, samples, interpolates', async () => {
    const data = colorBarImages(256, shape, 0);
    const test = colorBarImages(64, shape, 1);
    const vae = VAE.create(rt, config, { seed: 0 });
    expect(vae.imageShape).toEqual(shape);
    expect(vae.dims).toEqual({ d, latent: 4 });
    const before = await vae.evaluateOn(test);
    const losses: number[] = [];
    await vae.fit(data, { epochs: 6, seed: 0, onProgress: (e) => losses.push(e.loss) });
    const after = await vae.evaluateOn(test);
    expect(losses.length).toBe(48);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(losses.slice(-8))).toBeLessThan(0.8 * mean(losses.slice(0, 8)));
    expect(after.neg_elbo).toBeLessThan(before.neg_elbo - 10);
    expect(after.neg_elbo).toBeCloseTo(after.recon + after.kl, 3);
    // Nats per image sum over all C*H*W values: untrained logits are near 0, so each value
    // costs about log 2 nats.
    expect(before.recon / d).toBeGreaterThan(0.6);
    expect(before.recon / d).toBeLessThan(0.8);

    // [N, C*H*W] and [N, C, H, W] are the same images.
    const flat = data.reshape([256, d]);
    const a = await vae.encode(data);
    expect(a.mu.shape).toEqual([256, 4]);
    expect((await vae.encode(flat)).mu.toArray()).toEqual(a.mu.toArray());
    const y = await vae.decode(a.mu);
    expect(y.shape).toEqual([256, d]);
    const s = await vae.sample(3, 7);
    expect(s.kind === 'images' && s.images.shape).toEqual([3, c, h, w]);
    const line = await vae.interpolate(first(data, [c, h, w]), first(flat, [1, d]), 4);
    expect(line.shape).toEqual([4, d]);
    // A gray layout of an RGB model is refused, with both shapes.
    await expect(vae.interpolate(first(data, [h, w]), first(data, [h, w]), 3)).rejects.toThrow(
      `interpolate a: expected one image [${d}] or [${c}, ${h}, ${w}] (the model's image shape ${c}x${h}x${w}, C x H x W), got [${h}, ${w}]`,
    );
  });

  it('saves and loads with its shape; ONNX parts take and give [batch, C*H*W]', async () => {
    const vae = VAE.create(rt, config, { seed: 3 });
    await vae.fit(colorBarImages(64, shape, 0), { steps: 2 });
    const out = join(dir, `rt-${c}x${h}x${w}`);
    await vae.save(out);
    const stored = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(stored.config.imageChannels).toBe(3);
    const back = await VAE.load(rt, out);
    expect(back.config).toEqual(vae.config);
    expect(back.imageShape).toEqual(shape);
    const z = new Tensor('float32', [2, 4], new Rng(1).normal([2, 4]));
    expect((await back.decode(z)).toArray()).toEqual((await vae.decode(z)).toArray());

    const dec = decodeModel(vae.onnx('decoder'));
    const enc = decodeModel(vae.onnx('encoder'));
    const dims = (v?: NonNullable<NonNullable<typeof dec.graph>['output']>[number]) =>
      v?.type?.tensorType?.shape?.dim?.map((x) => x.dimParam || Number(x.dimValue));
    expect(dims(dec.graph?.output?.[0])).toEqual(['batch', d]);
    expect(dims(enc.graph?.input?.[0])).toEqual(['batch', d]);
    for (const m of [dec, enc]) {
      const meta = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
      const cfg = JSON.parse(meta['genmodels.config']);
      expect(cfg.imageShape).toEqual(shape);
      expect(cfg.imageChannels).toBe(3);
    }
  });

  it('draws RGB pictures: reconstructions, interpolation and samples', async () => {
    const vae = VAE.create(rt, config, { seed: 0 });
    const out = join(dir, `pictures-${c}x${h}x${w}`);
    expect(await vae.pictures(out)).toEqual([]); // no images of this shape to draw from
    const files = await vae.pictures(out, 0, { images: colorBarImages(20, shape, 2) });
    expect(files).toEqual(['reconstructions.png', 'interpolation.png']);
    const rec = pngHeader(await readFile(join(out, 'reconstructions.png')));
    expect(rec).toEqual({ width: 16 * (w + 2) + 2, height: 2 * (h + 2) + 2, colorType: 2 });
    const line = pngHeader(await readFile(join(out, 'interpolation.png')));
    expect(line).toEqual({ width: 10 * (w + 2) + 2, height: 8 * (h + 2) + 2, colorType: 2 });
    // samples.png as the CLI draws it: the sample tensor [n, C, H, W] through the grid helper.
    const s = await vae.sample(4, 0);
    if (s.kind !== 'images') throw new Error('expected images');
    await writePngGrid(join(out, 'samples.png'), s.images, { range: '01', nrow: 4 });
    expect(pngHeader(await readFile(join(out, 'samples.png'))).colorType).toBe(2);
  });

  it('refuses images of another shape, naming both shapes', async () => {
    const vae = VAE.create(rt, config, { seed: 0 });
    const gray = colorBarImages(40, [1, h, w], 0);
    const want = `x: images [40, 1, ${h}, ${w}] (1x${h}x${w} each) do not match the model's image shape ${c}x${h}x${w} (C x H x W); expected images [N, ${d}] or [N, ${c}, ${h}, ${w}]`;
    await expect(vae.fit(gray, { steps: 1 })).rejects.toThrow(VaeError);
    await expect(vae.fit(gray, { steps: 1 })).rejects.toThrow(want);
    await expect(vae.encode(gray)).rejects.toThrow(want);
    await expect(vae.evaluateOn(gray)).rejects.toThrow(want);
    await expect(vae.encode(gray.reshape([40, h, w]))).rejects.toThrow(
      `x: images [40, ${h}, ${w}] (${h}x${w} each) do not match the model's image shape ${c}x${h}x${w}`,
    );
    await expect(vae.encode(Tensor.zeros([40, h * w]))).rejects.toThrow(
      `x: images [40, ${h * w}] (${h * w} values each) do not match`,
    );
    // Channels last: the same number of values, in the wrong order.
    await expect(vae.encode(Tensor.zeros([2, h, w, c]))).rejects.toThrow(
      `channels-last images [N, H, W, C] must be transposed to [N, ${c}, ${h}, ${w}]`,
    );
    // Batches of images are checked too; [B, C, H, W] batches train.
    const batches = (x: Tensor) => ({
      length: 1,
      *[Symbol.iterator]() {
        yield { x };
      },
    });
    await expect(vae.fit(batches(gray), { steps: 1 })).rejects.toThrow(
      `batch x: images [40, 1, ${h}, ${w}] (1x${h}x${w} each) do not match the model's image shape ${c}x${h}x${w}`,
    );
    const rgb = colorBarImages(8, shape, 0);
    expect((await vae.fit(batches(rgb), { steps: 1 })).steps).toBe(1);
    await expect(
      vae.pictures(join(dir, 'never'), 0, { images: colorBarImages(20, [1, h, w], 0) }),
    ).rejects.toThrow(`pictures: images [20, 1, ${h}, ${w}] (1x${h}x${w} each) do not match`);
  });
});

describe('gray images as before', () => {
  it('takes [N, H*W], [N, 1, H, W], [N, H, W] and [N, H, W, 1]; names the rest', async () => {
    const vae = VAE.create(rt, { ...small, imageSize: 8 }, { seed: 0 });
    const x = barImages(5, 8, 0);
    const want = (await vae.encode(x)).mu.toArray();
    for (const s of [
      [5, 1, 8, 8],
      [5, 8, 8],
      [5, 8, 8, 1],
    ])
      expect((await vae.encode(x.reshape(s))).mu.toArray()).toEqual(want);
    await expect(vae.encode(x.reshape([5, 4, 16]))).rejects.toThrow(
      "x: images [5, 4, 16] (4x16 each) do not match the model's image shape 1x8x8 (C x H x W); expected images [N, 64], [N, 1, 8, 8] or [N, 8, 8]",
    );
    const s = await vae.sample(2, 0);
    expect(s.kind === 'images' && s.images.shape).toEqual([2, 1, 8, 8]);
  });

  it('a gray non-square model: shapes and gray pictures', async () => {
    const vae = VAE.create(rt, { ...small, imageHeight: 8, imageWidth: 12 }, { seed: 0 });
    expect(vae.config.imageSize).toBeUndefined();
    const data = colorBarImages(20, [1, 8, 12], 0);
    expect((await vae.encode(data.reshape([20, 8, 12]))).mu.shape).toEqual([20, 4]);
    const out = join(dir, 'gray-1x8x12');
    await vae.pictures(out, 0, { images: data });
    expect(pngHeader(await readFile(join(out, 'reconstructions.png')))).toEqual({
      width: 16 * 14 + 2,
      height: 2 * 10 + 2,
      colorType: 0,
    });
  });

  it('pictures of other channel counts are a named error (a PNG grid is gray or RGB)', async () => {
    const vae = VAE.create(rt, { ...small, imageChannels: 2, imageSize: 8 }, { seed: 0 });
    expect(await vae.pictures(join(dir, 'never'))).toEqual([]);
    await expect(
      vae.pictures(join(dir, 'never'), 0, { images: colorBarImages(20, [2, 8, 8], 0) }),
    ).rejects.toThrow(
      "pictures: a PNG grid shows gray (C = 1) or RGB (C = 3) images; this model's image shape is 2x8x8",
    );
  });

  it('a checkpoint stored with only imageSize loads as the same 1xSxS model', async () => {
    // config.json and the checkpoint's metadata as written before the shape fields existed.
    const old = {
      arch: 'mlp',
      imageSize: 8,
      latent: 4,
      hidden: 16,
      channels: [32, 64],
      likelihood: 'bernoulli',
      gaussianSigma: 0.1,
      beta: 1,
      klWarmupSteps: 0,
      lr: 0.001,
      batchSize: 32,
    } as const;
    const stored = { family: 'vae', preset: 'custom', config: old };
    const net = new VaeNetwork(old as VaeConfig, new Rng(5));
    const files = {
      'model.safetensors': encodeModule(net, { family: 'vae', config: stored }),
      'config.json': `${JSON.stringify(stored, null, 2)}\n`,
    };
    const back = await VAE.load(rt, files);
    expect(back.imageShape).toEqual([1, 8, 8]);
    expect(back.config).toEqual(old);
    // Saved again, it is the same files, byte for byte.
    const again = back.toFiles();
    expect(again['config.json']).toBe(files['config.json']);
    expect(new Uint8Array(again['model.safetensors'])).toEqual(
      new Uint8Array(files['model.safetensors']),
    );
    const x = barImages(3, 8, 0);
    const want = await new VAE(rt, net, 'custom').reconstruct(x);
    expect((await back.reconstruct(x.reshape([3, 8, 8]))).toArray()).toEqual(want.toArray());
  });
});
