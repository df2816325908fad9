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
      [{ arch: 'dcgan', dataDim: 100 }, 'dcgan images are 28x28 (dataDim 784), got 100'],
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
