import { Rng, Runtime } from '@genmodels/runtime';
import { withoutStoredConfig } from '@genmodels/runtime/testing';
import { describe, expect, it } from 'vitest';
import {
  GAN,
  GAN_PRESETS,
  type GanConfig,
  GanError,
  GanNetwork,
  ganConfigSchema,
  ganImageShape,
  ganParameterCount,
  resolveConfig,
} from './index.js';
import { TINY_MLP, tinyDcgan } from './testing.js';

const rt = await Runtime.create({ device: 'cpu', threads: 1 });

/** Values a built network's state dict really holds (parameters and buffers). */
function heldValues(net: GanNetwork): number {
  return Object.values(net.stateDict()).reduce((n, t) => n + t.size, 0);
}

describe('GAN config schema', () => {
  it('resolves every preset to exactly its config, in its key order, as a fresh copy', () => {
    for (const [name, preset] of Object.entries(GAN_PRESETS)) {
      const cfg = resolveConfig(name);
      expect(cfg).toEqual(preset.config);
      expect(Object.keys(cfg)).toEqual(Object.keys(preset.config));
      expect(cfg).not.toBe(preset.config);
      expect(cfg.betas).not.toBe(preset.config.betas);
      expect(ganConfigSchema.parse(cfg)).toEqual(cfg);
    }
    const partial = resolveConfig({ ...TINY_MLP, toy: 'ring8' });
    expect(Object.keys(partial)).toEqual([...Object.keys(GAN_PRESETS.ring8.config)]);
  });

  it('counts the values of every preset and of varied configs exactly', () => {
    const configs: GanConfig[] = [
      ...Object.keys(GAN_PRESETS).map((p) => resolveConfig(p)),
      resolveConfig(TINY_MLP),
      resolveConfig({ zDim: 7, hidden: 9, dataDim: 5, numClasses: 3, loss: 'hinge' }),
      resolveConfig({ ...TINY_MLP, loss: 'wgan-gp', r1Gamma: 1, emaDecay: 0.9, initStd: 0.02 }),
      resolveConfig(tinyDcgan()),
      resolveConfig({ ...tinyDcgan(4), hidden: 3, zDim: 5, initStd: 0 }),
      // Any image shape and number of stride-2 stages.
      resolveConfig({ ...tinyDcgan(), imageChannels: 3, imageHeight: 8, imageWidth: 8 }),
      resolveConfig({
        ...tinyDcgan(3),
        imageChannels: 3,
        imageHeight: 16,
        imageWidth: 8,
        upsamples: 3,
      }),
      resolveConfig({
        ...tinyDcgan(),
        imageChannels: 2,
        imageHeight: 6,
        imageWidth: 10,
        upsamples: 1,
      }),
      resolveConfig({ ...tinyDcgan(2), hidden: 3, imageHeight: 32, imageWidth: 32, upsamples: 5 }),
    ];
    for (const cfg of configs)
      expect(ganParameterCount(cfg), JSON.stringify(cfg)).toBe(
        heldValues(new GanNetwork(cfg, new Rng(0))),
      );
  });

  it('names each wrong field, its value and what it must be', () => {
    const cases: [unknown, string][] = [
      [{ zDim: 1e6 }, 'GAN config: zDim (1000000) must be at most 65536'],
      [{ hidden: 2.5 }, 'hidden (2.5) must be an integer'],
      [{ hidden: 0 }, 'hidden (0) must be at least 1'],
      [{ hidden: null }, 'hidden (null) must be a number'],
      [{ dataDim: '2' }, 'dataDim ("2") must be a number'],
      [{ dataDim: 2 ** 25 }, 'dataDim (33554432) must be at most 16777216'],
      [{ numClasses: -1 }, 'numClasses (-1) must be at least 0'],
      [{ numClasses: 1e5 }, 'numClasses (100000) must be at most 65536'],
      [{ arch: 'resnet' }, 'arch ("resnet") must be one of "mlp", "dcgan"'],
      [{ loss: 'wgan' }, 'loss ("wgan") must be one of "nonsaturating", "hinge", "wgan-gp"'],
      [{ gpWeight: -1 }, 'gpWeight (-1) must be at least 0'],
      [{ r1Gamma: 'high' }, 'r1Gamma ("high") must be a number'],
      [{ lr: 0 }, 'lr (0) must be > 0'],
      [{ betas: null }, 'betas (null) must be an array'],
      [{ betas: [0.5] }, 'betas'],
      [{ betas: [0.5, 1] }, 'betas.1 (1) must be below 1'],
      [{ betas: [-0.1, 0.9] }, 'betas.0 (-0.1) must be at least 0'],
      [{ batchSize: 2 ** 21 }, 'batchSize (2097152) must be at most 1048576'],
      [{ dSteps: 0 }, 'dSteps (0) must be at least 1'],
      [{ dSteps: 1e9 }, 'dSteps (1000000000) must be at most 1024'],
      [{ emaDecay: 1 }, 'emaDecay (1) must be below 1'],
      [{ initStd: -0.02 }, 'initStd (-0.02) must be at least 0'],
      [{ toy: 'moons' }, 'toy ("moons") must be one of "ring8"'],
      [{ zdim: 4 }, 'has unknown field(s) zdim'],
      [
        { arch: 'dcgan', dataDim: 100 },
        'GAN config: dataDim (100) must be C*H*W = 784 for dcgan images of shape 1x28x28',
      ],
      [
        { arch: 'dcgan', imageChannels: 3, dataDim: 784 },
        'dataDim (784) must be C*H*W = 2352 for dcgan images of shape 3x28x28',
      ],
      [{ arch: 'dcgan', imageChannels: 0 }, 'imageChannels (0) must be at least 1'],
      [{ arch: 'dcgan', imageHeight: 2.5 }, 'imageHeight (2.5) must be an integer'],
      [{ arch: 'dcgan', imageWidth: 8192 }, 'imageWidth (8192) must be at most 4096'],
      [{ arch: 'dcgan', upsamples: 0 }, 'upsamples (0) must be at least 1'],
      [{ arch: 'dcgan', upsamples: 13 }, 'upsamples (13) must be at most 12'],
      [{ arch: 'dcgan', dataset: 'svhn' }, 'dataset ("svhn") must be one of "cifar10"'],
      [
        { arch: 'dcgan', upsamples: 3 },
        'GAN config: dcgan with upsamples 3 needs imageHeight and imageWidth divisible by 8 (2^upsamples), got 28x28; use 24 or 32 for the height and 24 or 32 for the width, or change upsamples',
      ],
      [
        { arch: 'dcgan', imageHeight: 30, imageWidth: 32 },
        'got 30x32; use 28 or 32 for the height and 32 for the width',
      ],
      [
        { arch: 'dcgan', imageHeight: 2, imageWidth: 2 },
        'got 2x2; use 4 for the height and 4 for the width',
      ],
      [
        { arch: 'dcgan', dataset: 'cifar10' },
        "GAN config: dataset 'cifar10' holds 3x32x32 images, but the config's image shape is 1x28x28",
      ],
      [
        { imageChannels: 3 },
        "GAN config: imageChannels is for arch 'dcgan' (images); arch 'mlp' makes points of dataDim values",
      ],
      [{ ...TINY_MLP, upsamples: 2, dataset: 'cifar10' }, 'upsamples, dataset are for arch'],
      [{ hidden: 65536 }, 'GAN config describes 8.59e+9 parameters'],
      [{ arch: 'dcgan', hidden: 65536 }, 'over the limit of 1.07e+9; make the network smaller'],
      [5, 'GAN config: the config (5) must be an object'],
      [null, 'GAN config: the config (null) must be an object'],
      [[1, 2], 'the config ([1,2]) must be an object'],
    ];
    for (const [given, message] of cases) {
      const resolve = () => resolveConfig(given as never);
      expect(resolve, JSON.stringify(given)).toThrow(GanError);
      expect(resolve, JSON.stringify(given)).toThrow(message);
    }
  });

  it('resolves the dcgan image shape; dataDim follows it unless given', () => {
    expect(ganImageShape(resolveConfig('mnist-dcgan'))).toEqual([1, 28, 28]);
    expect(ganImageShape(resolveConfig('cifar-dcgan'))).toEqual([3, 32, 32]);
    const rgb = resolveConfig({ arch: 'dcgan', imageChannels: 3, imageHeight: 8, imageWidth: 12 });
    expect(ganImageShape(rgb)).toEqual([3, 8, 12]);
    expect(rgb.dataDim).toBe(3 * 8 * 12);
    expect(
      resolveConfig({ arch: 'dcgan', imageHeight: 8, imageWidth: 8, dataDim: 64 }).dataDim,
    ).toBe(64);
  });

  it('writes the image fields only where they differ from the MNIST DCGAN (stored configs unchanged)', () => {
    // config.json of the presets as written before the image fields existed.
    const stored = (numClasses: number) =>
      `{"arch":"dcgan","zDim":100,"hidden":64,"dataDim":784,"numClasses":${numClasses},"loss":"nonsaturating","gpWeight":10,"r1Gamma":0,"lr":0.0002,"betas":[0.5,0.999],"batchSize":64,"dSteps":1,"emaDecay":0.999,"initStd":0.02}`;
    expect(JSON.stringify(resolveConfig('mnist-dcgan'))).toBe(stored(0));
    expect(JSON.stringify(resolveConfig('mnist-cdcgan'))).toBe(stored(10));
    expect(JSON.stringify(resolveConfig('ring8'))).toBe(
      '{"arch":"mlp","zDim":2,"hidden":128,"dataDim":2,"numClasses":0,"loss":"nonsaturating","gpWeight":10,"r1Gamma":0,"lr":0.0001,"betas":[0.5,0.999],"batchSize":256,"dSteps":1,"emaDecay":0,"initStd":0,"toy":"ring8"}',
    );
    // The defaults given explicitly are the same config.
    const explicit = { imageChannels: 1, imageHeight: 28, imageWidth: 28, upsamples: 2 };
    expect(JSON.stringify(resolveConfig({ ...resolveConfig('mnist-dcgan'), ...explicit }))).toBe(
      stored(0),
    );
    const keys = (c: Partial<GanConfig>) =>
      Object.keys(resolveConfig({ arch: 'dcgan', ...c })).filter((k) =>
        ['imageChannels', 'imageHeight', 'imageWidth', 'upsamples', 'dataset'].includes(k),
      );
    expect(keys({ imageChannels: 3 })).toEqual(['imageChannels']);
    expect(keys({ imageHeight: 32 })).toEqual(['imageHeight', 'imageWidth']);
    expect(keys({ imageHeight: 32, imageWidth: 32, upsamples: 3 })).toEqual([
      'imageHeight',
      'imageWidth',
      'upsamples',
    ]);
    // The canonical form resolves to itself (a stored config loads as what was saved).
    const cifar = resolveConfig('cifar-dcgan');
    expect(JSON.stringify(resolveConfig(cifar))).toBe(JSON.stringify(cifar));
    expect(Object.keys(cifar).slice(-5)).toEqual([
      'imageChannels',
      'imageHeight',
      'imageWidth',
      'upsamples',
      'dataset',
    ]);
  });

  it('cifar-dcgan: 4x4 -> 32x32 in three stages, G 256 -> 128 -> 64 -> 3, D mirrored', () => {
    const cfg = resolveConfig('cifar-dcgan');
    expect(cfg).toMatchObject({
      arch: 'dcgan',
      zDim: 100,
      hidden: 64,
      dataDim: 3072,
      numClasses: 0,
      lr: 2e-4,
      betas: [0.5, 0.999],
      batchSize: 64,
      upsamples: 3,
      dataset: 'cifar10',
    });
    const net = new GanNetwork(cfg, new Rng(0));
    const shapes = Object.fromEntries(
      Object.entries(net.stateDict()).map(([k, t]) => [k, t.shape]),
    );
    expect(shapes).toMatchObject({
      'generator.fc.weight': [256 * 16, 100],
      'generator.bn0.weight': [256 * 16],
      'generator.deconv1.weight': [256, 128, 4, 4],
      'generator.bn1.weight': [128],
      'generator.deconv2.weight': [128, 64, 4, 4],
      'generator.bn2.weight': [64],
      'generator.deconv3.weight': [64, 3, 4, 4],
      'discriminator.conv1.weight': [64, 3, 4, 4],
      'discriminator.conv2.weight': [128, 64, 4, 4],
      'discriminator.bn2.weight': [128],
      'discriminator.conv3.weight': [256, 128, 4, 4],
      'discriminator.bn3.weight': [256],
      'discriminator.fc.weight': [1, 4096],
    });
    expect(Object.keys(shapes).some((k) => k.startsWith('generator.bn3'))).toBe(false);
    // The exact count by hand (BatchNorm: weight, bias, running mean and var, batch count).
    const g =
      100 * 4096 +
      4096 +
      (4 * 4096 + 1) +
      (256 * 128 * 16 + 128) +
      (4 * 128 + 1) +
      (128 * 64 * 16 + 64) +
      (4 * 64 + 1) +
      (64 * 3 * 16 + 3);
    const d =
      3 * 64 * 16 +
      64 +
      (64 * 128 * 16 + 128) +
      (4 * 128 + 1) +
      (128 * 256 * 16 + 256) +
      (4 * 256 + 1) +
      (4096 + 1);
    expect(ganParameterCount(cfg)).toBe(g + d);
    expect(heldValues(net)).toBe(g + d);
  });

  it('refuses a stored config that describes more values than the file holds, before building', async () => {
    const files = GAN.create(rt, TINY_MLP, { seed: 0 }).toFiles();
    const stored = JSON.parse(files['config.json'] as string);
    // In range (2 x 20000^2 = 8e8 values < 2^30), but building it would allocate 3.2 GB.
    stored.config.hidden = 20000;
    const bytes = withoutStoredConfig(files['model.safetensors'] as Uint8Array);
    const before = process.memoryUsage().rss;
    await expect(
      GAN.load(rt, { 'model.safetensors': bytes, 'config.json': JSON.stringify(stored) }),
    ).rejects.toThrow(
      /model.safetensors does not match its config: the config describes a GAN of 800\d+ parameters but model.safetensors holds 691 values: config and weights do not match$/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
    // Out of range or of the wrong type: the schema names the field.
    for (const [field, value, message] of [
      ['hidden', 1e308, 'hidden (1e+308) must be at most 65536'],
      ['betas', 'fast', 'betas ("fast") must be an array'],
      ['zDim', null, 'zDim (null) must be a number'],
    ] as const) {
      const bad = { ...stored, config: { ...stored.config, [field]: value } };
      const err = await GAN.load(rt, {
        'model.safetensors': bytes,
        'config.json': JSON.stringify(bad),
      }).catch((e) => e);
      expect(err).toBeInstanceOf(GanError);
      expect(err.message).toMatch(/^GAN config: /);
      expect(err.message).toContain(message);
    }
    // The saved file itself (config in its metadata too) still loads.
    await expect(GAN.load(rt, files)).resolves.toBeDefined();
  });

  it('still loads what save has always written: every preset, a conditional DCGAN with EMA', async () => {
    const models = [
      ...Object.keys(GAN_PRESETS).map((p) => GAN.create(rt, p, { seed: 0 })),
      GAN.create(rt, { ...tinyDcgan(10), emaDecay: 0.5 }, { seed: 1 }),
    ];
    for (const gan of models) {
      const back = await GAN.load(rt, gan.toFiles());
      expect(back.config).toEqual(gan.config);
      expect(back.preset).toBe(gan.preset);
    }
  });
});
