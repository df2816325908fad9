import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Runtime } from '@genmodels/runtime';
import { withoutStoredConfig } from '@genmodels/runtime/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DIFFUSION_PRESETS,
  Diffusion,
  DiffusionError,
  DiffusionNetwork,
  diffusionConfigSchema,
  diffusionParameterCount,
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
      [{ arch: 'unet', channels: [8, 8] }, 'channels'],
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
      [{ arch: 'unet', dataDim: 2 }, 'the U-Net takes 28x28 images (dataDim 784), got 2'],
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
