import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Runtime } from '@genmodels/runtime';
import { withoutStoredConfig } from '@genmodels/runtime/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DIFFUSION_PRESETS,
  Diffusion,
  type DiffusionConfig,
  DiffusionError,
  DiffusionNetwork,
  diffusionConfigSchema,
  diffusionImageShape,
  diffusionParameterCount,
  exampleShape,
  resolveConfig,
} from './index.js';
import { TINY_MLP, TINY_UNET } from './testing.js';

const rt = await Runtime.create({ device: 'cpu' });
const dir = await mkdtemp(join(tmpdir(), 'diffusion-cfg-'));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Parameter values a built network really holds. */
function heldParameters(net: DiffusionNetwork): number {
  return Object.values(net.stateDict()).reduce((n, t) => n + t.size, 0);
}

describe('diffusion config schema', () => {
  it('counts the parameters of every preset and of varied configs exactly', () => {
    const configs = [
      ...Object.keys(DIFFUSION_PRESETS).map((p) => resolveConfig(p)),
      resolveConfig(TINY_MLP),
      resolveConfig(TINY_UNET),
      resolveConfig({ dataDim: 3, hidden: 6, layers: 1, numClasses: 4 }),
      resolveConfig({ dataDim: 5, hidden: 10, layers: 4, numClasses: 0 }),
      // No class embedding, no attention; c0 = c1 (no skip conv in the second down block).
      resolveConfig({ arch: 'unet', channels: [4, 4, 8], groups: 2, numClasses: 0 }),
      resolveConfig({ arch: 'unet', channels: [6, 12, 18], groups: 3, attentionHeads: 3 }),
      resolveConfig({ arch: 'unet', channels: [8, 8, 8], groups: 8, attentionHeads: 0 }),
      // Other level counts, RGB, non-square, attention at levels (down and up).
      resolveConfig({ arch: 'unet', channels: [8], groups: 4, imageChannels: 3, numClasses: 0 }),
      resolveConfig({
        arch: 'unet',
        channels: [4, 8],
        groups: 4,
        attentionHeads: 2,
        imageHeight: 8,
        imageWidth: 16,
        attentionResolutions: [8, 4],
      }),
      resolveConfig({
        arch: 'unet',
        channels: [4, 8, 8, 12],
        groups: 4,
        attentionHeads: 4,
        imageChannels: 3,
        imageHeight: 16,
        imageWidth: 16,
        attentionResolutions: [8],
      }),
    ];
    for (const cfg of configs)
      expect(diffusionParameterCount(cfg), JSON.stringify(cfg)).toBe(
        heldParameters(new DiffusionNetwork(cfg, new Rng(0))),
      );
  });

  it('keeps the presets and defaults, and never shares them with a resolved config', () => {
    for (const [name, p] of Object.entries(DIFFUSION_PRESETS)) {
      const cfg = resolveConfig(name);
      expect(cfg).toEqual(p.config);
      expect(Object.keys(cfg)).toEqual(Object.keys(p.config));
      expect(cfg).not.toBe(p.config);
      expect(diffusionConfigSchema.parse(p.config)).toEqual(p.config);
      cfg.channels[0] = 1;
      expect(resolveConfig(name).channels).toEqual(p.config.channels);
    }
    // The default is moons-2d's config without its toy set (an optional field).
    expect('toy' in resolveConfig({})).toBe(false);
    expect({ ...resolveConfig({}), toy: 'moons' }).toEqual(DIFFUSION_PRESETS['moons-2d'].config);
    const unet = resolveConfig({ arch: 'unet', numClasses: 3 });
    expect(Object.keys(unet)).toEqual(Object.keys(DIFFUSION_PRESETS['mnist-unet'].config));
  });

  it('names each wrong field, its value and what it must be', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ timesteps: 1e9 }, 'diffusion config: timesteps (1000000000) must be at most 100000'],
      [{ timesteps: 0 }, 'timesteps (0) must be at least 1'],
      [{ arch: 'unet', channels: null }, 'channels (null) must be an array'],
      [{ channels: null }, 'channels (null) must be an array'],
      [{ arch: 'unet', channels: [] }, 'channels ([]) must have at least 1 entries'],
      [
        { arch: 'unet', channels: Array(9).fill(8) },
        'channels ([8,8,8,8,8,8,8,8,8]) must have at most 8 entries',
      ],
      [{ arch: 'unet', channels: [8, 8, 1e5] }, 'channels.2 (100000) must be at most 4096'],
      [{ hidden: 1e6 }, 'hidden (1000000) must be at most 65536'],
      [{ layers: 1e5 }, 'layers (100000) must be at most 1024'],
      [{ layers: 2.5 }, 'layers (2.5) must be an integer'],
      [{ layers: 1e308 }, 'layers (1e+308) must be at most 1024'],
      [{ dataDim: '2' }, 'dataDim ("2") must be a number'],
      [{ arch: 'transformer' }, 'arch ("transformer") must be one of "mlp", "unet"'],
      [{ schedule: 'sigmoid' }, 'schedule ("sigmoid") must be one of "linear", "cosine"'],
      [{ prediction: 'score' }, 'prediction ("score") must be one of "eps", "x0", "v"'],
      [{ sampler: 'euler' }, 'sampler ("euler") must be one of "ddpm", "ddim"'],
      [{ betaStart: 0 }, 'betaStart (0) must be > 0'],
      [{ betaEnd: 1 }, 'betaEnd (1) must be below 1'],
      [{ betaStart: 0.05 }, 'betas 0.05..0.02 must satisfy 0 < start <= end < 1'],
      [{ labelDropout: 1 }, 'labelDropout (1) must be below 1'],
      [{ emaDecay: -0.1 }, 'emaDecay (-0.1) must be at least 0'],
      [{ lr: 0 }, 'lr (0) must be > 0'],
      [{ guidance: -1 }, 'guidance (-1) must be at least 0'],
      [{ numClasses: -1 }, 'numClasses (-1) must be at least 0'],
      [{ attentionHeads: 2000 }, 'attentionHeads (2000) must be at most 1024'],
      [{ batchSize: 2 ** 21 }, 'batchSize (2097152) must be at most 1048576'],
      [{ clipDenoised: 'yes' }, 'clipDenoised ("yes") must be true or false'],
      [{ toy: 'spirals' }, 'toy ("spirals") must be one of "moons"'],
      [{ sampleSteps: 2000 }, 'sampleSteps (2000) must be an integer in 1..1000'],
      [{ timesteps: 100, sampleSteps: 1e6 }, 'sampleSteps (1000000) must be at most 100000'],
      [{ hidden: 7 }, 'hidden (7) must be even'],
      [
        { arch: 'unet', dataDim: 2 },
        "the U-Net's images are 1x28x28 (imageChannels x imageHeight x imageWidth), so dataDim must be C*H*W = 784, got 2",
      ],
      [{ arch: 'unet', imageChannels: 3, dataDim: 784 }, 'dataDim must be C*H*W = 2352, got 784'],
      [
        { arch: 'unet', imageHeight: 30, imageWidth: 30 },
        'a U-Net of 3 levels (channels [32, 64, 64]) halves its feature maps 2 times, so imageHeight and imageWidth must be divisible by 4; got 30x30 (valid: height 28 or 32, width 28 or 32; or fewer levels)',
      ],
      [
        { arch: 'unet', channels: [8, 8, 8, 8], imageWidth: 20 },
        'must be divisible by 8; got 28x20 (valid: height 24 or 32, width 16 or 24; or fewer levels)',
      ],
      [{ arch: 'unet', imageHeight: 5000 }, 'imageHeight (5000) must be at most 4096'],
      [
        { arch: 'unet', attentionResolutions: [5] },
        "attentionResolutions: no level of this U-Net has a 5-pixel feature map; its levels' (shorter) sides are 28, 14, 7",
      ],
      [
        { arch: 'unet', attentionHeads: 0, attentionResolutions: [14] },
        'attentionResolutions [14] needs attentionHeads > 0',
      ],
      [
        { arch: 'unet', channels: [6, 8, 8], groups: 2, attentionResolutions: [28] },
        'channels[0] 6 (attention at 28) must be divisible by attentionHeads 4',
      ],
      [
        { arch: 'unet', dataset: 'cifar10' },
        "dataset 'cifar10' has images of 3x32x32, but this U-Net's are 1x28x28",
      ],
      [
        { arch: 'unet', dataset: 'imagenet' },
        'dataset ("imagenet") must be one of "mnist", "cifar10"',
      ],
      [
        { imageChannels: 3 },
        "imageChannels is a U-Net field; an MLP config (arch 'mlp') leaves it out",
      ],
      [
        { attentionResolutions: [4], dataset: 'mnist' },
        'attentionResolutions, dataset are U-Net fields',
      ],
      [{ dataDim: 65537 }, "dataDim (65537) must be at most 65536 for points (arch 'mlp')"],
      [{ arch: 'unet', channels: [12, 16, 16] }, 'divisible by groups 8'],
      [{ arch: 'unet', attentionHeads: 3 }, 'channels[2] 64 must be divisible by attentionHeads 3'],
      [{ timestep: 10 }, 'has unknown field(s) timestep'],
      [{ hidden: 65536, layers: 1024 }, 'parameters'],
      [{ arch: 'unet', channels: [4096, 4096, 4096] }, 'over the limit'],
    ];
    for (const [partial, message] of cases) {
      expect(() => resolveConfig(partial as never), JSON.stringify(partial)).toThrow(
        DiffusionError,
      );
      expect(() => resolveConfig(partial as never), JSON.stringify(partial)).toThrow(message);
    }
    for (const stored of [5, null, [1, 2], true])
      expect(() => resolveConfig(stored as never), String(stored)).toThrow(DiffusionError);
    expect(() => resolveConfig(5 as never)).toThrow(
      'diffusion config: the config (5) must be an object',
    );
  });

  it('refuses crafted stored configs (T = 1e9, channels null) with the family error', async () => {
    const d = join(dir, 'crafted');
    await Diffusion.create(rt, TINY_MLP, { seed: 0 }).save(d);
    const stored = JSON.parse(await readFile(join(d, 'config.json'), 'utf8'));
    const bytes = await readFile(join(d, 'model.safetensors'));
    // config.json is what counts once the checkpoint's metadata holds no config.
    const files = (config: Record<string, unknown>) => ({
      'model.safetensors': withoutStoredConfig(bytes),
      'config.json': JSON.stringify({ ...stored, config: { ...stored.config, ...config } }),
    });
    await expect(Diffusion.load(rt, files({}))).resolves.toBeDefined();
    await expect(Diffusion.load(rt, files({ timesteps: 1e9 }))).rejects.toThrow(
      'diffusion config: timesteps (1000000000) must be at most 100000',
    );
    await expect(Diffusion.load(rt, files({ arch: 'unet', channels: null }))).rejects.toThrow(
      'diffusion config: channels (null) must be an array',
    );
    await expect(Diffusion.load(rt, files({ channels: null }))).rejects.toThrow(DiffusionError);
  });

  it('still loads what save has always written: every preset, an MLP and a U-Net with EMA', async () => {
    const models = [
      ...Object.keys(DIFFUSION_PRESETS).map((p) => Diffusion.create(rt, p, { seed: 0 })),
      Diffusion.create(rt, { ...TINY_MLP, toy: 'moons', prediction: 'v' }, { seed: 1 }),
      Diffusion.create(rt, { ...TINY_UNET, schedule: 'cosine', emaDecay: 0.5 }, { seed: 2 }),
    ];
    for (const m of models) {
      const back = await Diffusion.load(rt, m.toFiles());
      expect(back.config).toEqual(m.config);
      expect(Object.keys(back.config)).toEqual(Object.keys(m.config));
      expect(back.preset).toBe(m.preset);
    }
  });

  it('refuses a stored config that describes more parameters than the file holds, before building', async () => {
    const d = join(dir, 'big');
    await Diffusion.create(rt, TINY_MLP, { seed: 0 }).save(d);
    const config = JSON.parse(await readFile(join(d, 'config.json'), 'utf8'));
    // In range but far larger than the weights: without the check, building it would
    // allocate about 5 x 4000 x 4000 x 4 bytes (and the EMA copy) before comparing.
    config.config.hidden = 4000;
    await writeFile(join(d, 'config.json'), JSON.stringify(config));
    const bytes = await readFile(join(d, 'model.safetensors'));
    const files = {
      'model.safetensors': bytes,
      'config.json': JSON.stringify(config),
    };
    const before = process.memoryUsage().rss;
    await expect(Diffusion.load(rt, files)).resolves.toBeDefined(); // the metadata config wins
    const err = await Diffusion.load(rt, {
      ...files,
      'model.safetensors': withoutStoredConfig(bytes),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(DiffusionError);
    expect(err.message).toMatch(
      /^model files: model.safetensors does not match its config: the config describes a diffusion of \d+ parameters but model.safetensors holds \d+ values/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });
});

/** The attention modules of the network of `cfg` (state-dict keys two levels below `denoiser`), in key order. */
function attentionModules(cfg: DiffusionConfig): string[] {
  const keys = Object.keys(new DiffusionNetwork(cfg, new Rng(0)).stateDict());
  return [
    ...new Set(
      keys.filter((k) => k.includes('Attn.')).map((k) => k.split('.').slice(1, 3).join('.')),
    ),
  ];
}

describe('U-Net image shape, levels and attention', () => {
  it('cifar-unet: 3x32x32, base 64 x [1, 2, 2], attention at 16 (and 8 in the middle), the MNIST U-Net training settings', () => {
    const cfg = resolveConfig('cifar-unet');
    const mnist = resolveConfig('mnist-unet');
    expect(cfg).toMatchObject({
      arch: 'unet',
      dataDim: 3072,
      channels: [64, 128, 128],
      imageChannels: 3,
      imageHeight: 32,
      imageWidth: 32,
      attentionResolutions: [16],
      dataset: 'cifar10',
    });
    expect(diffusionImageShape(cfg)).toEqual([3, 32, 32]);
    expect(exampleShape(cfg)).toEqual([3, 32, 32]);
    for (const k of [
      'timesteps',
      'schedule',
      'betaStart',
      'betaEnd',
      'prediction',
      'sampler',
      'sampleSteps',
      'guidance',
      'lr',
      'batchSize',
      'emaDecay',
      'groups',
      'attentionHeads',
      'numClasses',
    ] as const)
      expect(cfg[k], k).toEqual(mnist[k]);
    expect(diffusionParameterCount(cfg)).toBe(3_302_083);
    expect(attentionModules(cfg)).toEqual([
      'downAttn.1',
      'midAttn.norm',
      'midAttn.attn',
      'upAttn.1',
    ]);
  });

  it('the defaults are MNIST: old configs keep their keys, default-valued new fields are not written', async () => {
    const old = [
      'arch',
      'dataDim',
      'timesteps',
      'schedule',
      'betaStart',
      'betaEnd',
      'prediction',
      'hidden',
      'layers',
      'channels',
      'groups',
      'attentionHeads',
      'numClasses',
      'labelDropout',
      'lr',
      'batchSize',
      'emaDecay',
      'clipDenoised',
      'sampler',
      'sampleSteps',
      'guidance',
    ];
    for (const p of ['mnist-unet', 'mnist-unet-tiny']) {
      expect(Object.keys(resolveConfig(p))).toEqual(old);
      const stored = JSON.parse(Diffusion.create(rt, p).toFiles()['config.json']);
      expect(Object.keys(stored.config)).toEqual(old);
    }
    const spelled = resolveConfig({
      arch: 'unet',
      imageChannels: 1,
      imageHeight: 28,
      imageWidth: 28,
      attentionResolutions: [],
      dataset: 'mnist',
    });
    expect(JSON.stringify(spelled)).toBe(JSON.stringify(resolveConfig('mnist-unet')));
    expect(diffusionImageShape(spelled)).toEqual([1, 28, 28]);
    // dataDim follows the shape when left out; attention sides are written once, largest first.
    const own = resolveConfig({
      arch: 'unet',
      channels: [8, 16],
      groups: 4,
      imageChannels: 3,
      imageHeight: 8,
      imageWidth: 16,
      attentionResolutions: [4, 8, 4],
    });
    expect(own).toMatchObject({
      dataDim: 384,
      imageHeight: 8,
      imageWidth: 16,
      attentionResolutions: [8, 4],
    });
    expect(resolveConfig(own)).toEqual(own);
    expect(Object.keys(resolveConfig(own))).toEqual(Object.keys(own));
  });

  it('builds the levels the config names: attention down and up at the named sides, no others', () => {
    const cfg = resolveConfig({
      arch: 'unet',
      channels: [4, 8, 8, 8],
      groups: 4,
      attentionHeads: 2,
      imageChannels: 3,
      imageHeight: 16,
      imageWidth: 32,
      attentionResolutions: [8, 2],
    });
    // Levels 16x32, 8x16, 4x8, 2x4: shorter sides 16, 8, 4, 2.
    expect(attentionModules(cfg)).toEqual([
      'downAttn.1',
      'downAttn.3',
      'midAttn.norm',
      'midAttn.attn',
      'upAttn.1',
      'upAttn.3',
    ]);
    expect(attentionModules(resolveConfig('mnist-unet'))).toEqual(['midAttn.norm', 'midAttn.attn']);
    const net = new DiffusionNetwork(cfg, new Rng(0)).stateDict();
    expect(net['denoiser.convIn.weight'].shape).toEqual([4, 3, 3, 3]);
    expect(net['denoiser.convOut.weight'].shape).toEqual([3, 4, 3, 3]);
    expect(net['denoiser.downsample.2.weight'].shape).toEqual([8, 8, 3, 3]);
    expect(net['denoiser.downsample.3.weight']).toBeUndefined();
    expect(net['denoiser.up.0.conv1.weight'].shape).toEqual([8, 16, 3, 3]);
  });
});
