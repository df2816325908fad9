import { Rng, Runtime } from '@genmodels/runtime';
import { withoutStoredConfig } from '@genmodels/runtime/testing';
import { describe, expect, it } from 'vitest';
import {
  FLOW_PRESETS,
  Flow,
  type FlowConfig,
  FlowError,
  FlowNetwork,
  flowConfigSchema,
  flowParameterCount,
  resolveConfig,
} from './index.js';

const rt = await Runtime.create({ device: 'cpu' });

/** Values a built network's state dict really holds (parameters and buffers). */
function heldValues(net: FlowNetwork): number {
  return Object.values(net.stateDict()).reduce((n, t) => n + t.size, 0);
}

describe('flow config schema', () => {
  it('resolves every preset to exactly its config, in its key order', () => {
    for (const [name, preset] of Object.entries(FLOW_PRESETS)) {
      const cfg = resolveConfig(name);
      expect(cfg).toEqual(preset.config);
      expect(Object.keys(cfg)).toEqual(Object.keys(preset.config));
      expect(cfg).not.toBe(preset.config);
      expect(flowConfigSchema.parse(cfg)).toEqual(cfg);
    }
    const partial = resolveConfig({ toy: 'ring8', couplings: 4 });
    expect(Object.keys(partial)).toEqual(Object.keys(FLOW_PRESETS.ring8.config));
  });

  it('counts the values of every preset and of varied configs exactly', () => {
    const configs: FlowConfig[] = [
      ...Object.keys(FLOW_PRESETS).map((p) => resolveConfig(p)),
      // odd D, an odd number of alternating couplings, one hidden layer, ActNorm and LU mixing
      resolveConfig({ dim: 5, couplings: 3, hidden: 4, depth: 1, actnorm: true, mixing: 'lu' }),
      resolveConfig({ dim: 7, couplings: 3, hidden: 6, depth: 3, mask: 'permuted' }),
      resolveConfig({ dim: 9, imageSize: 3, couplings: 5, hidden: 5, mixing: 'lu' }),
      resolveConfig({
        pixels: true,
        dim: 16,
        imageSize: 4,
        couplings: 2,
        hidden: 8,
        actnorm: true,
      }),
      resolveConfig({ dim: 2, couplings: 1, hidden: 3, mask: 'permuted', actnorm: true }),
      // the MLP flow over RGB images; multi-scale flows of 0..2 scales, square and not
      resolveConfig({ pixels: true, imageSize: 4, imageChannels: 3, couplings: 3, hidden: 5 }),
      resolveConfig({ arch: 'multiscale', imageSize: 4, imageChannels: 1, scales: 0, hidden: 3 }),
      resolveConfig({ arch: 'multiscale', imageSize: 8, scales: 2, hidden: 5, depth: 3 }),
      resolveConfig({ arch: 'multiscale', imageHeight: 4, imageWidth: 6, scales: 1, hidden: 2 }),
    ];
    for (const cfg of configs)
      expect(flowParameterCount(cfg), JSON.stringify(cfg)).toBe(
        heldValues(new FlowNetwork(cfg, new Rng(0))),
      );
  });

  it('names each wrong field, its value and what it must be', () => {
    const cases: [unknown, string][] = [
      [{ couplings: 1e308 }, 'flow config: couplings (1e+308) must be at most 1024'],
      [{ couplings: 2.5 }, 'couplings (2.5) must be a positive integer'],
      [{ couplings: -1 }, 'couplings (-1) must be a positive integer'],
      [{ hidden: 0 }, 'hidden (0) must be a positive integer'],
      [{ hidden: null }, 'hidden (null) must be a number'],
      [{ hidden: 1e5 }, 'hidden (100000) must be at most 65536'],
      [{ dim: '2' }, 'dim ("2") must be a number'],
      [{ dim: 2 ** 25 }, 'dim (33554432) must be at most 16777216'],
      [{ depth: [2] }, 'depth ([2]) must be a number'],
      [{ depth: 2000 }, 'depth (2000) must be at most 1024'],
      [{ imageSize: -1 }, 'imageSize (-1) must be at least 0'],
      [{ imageSize: 5000 }, 'imageSize (5000) must be at most 4096'],
      [{ imageSize: 1.5 }, 'imageSize (1.5) must be an integer'],
      [{ mask: 'random' }, 'mask ("random") must be one of "alternating", "permuted"'],
      [{ mixing: 'glow' }, 'mixing ("glow") must be one of "none", "lu"'],
      [{ actnorm: 'yes' }, 'actnorm ("yes") must be true or false'],
      [{ pixels: 1 }, 'pixels (1) must be true or false'],
      [{ logitAlpha: 0.5 }, 'logitAlpha (0.5) must be below 0.5'],
      [{ logitAlpha: -1e-6 }, 'logitAlpha (-0.000001) must be at least 0'],
      [{ lr: -1 }, 'lr (-1) must be > 0'],
      [{ lr: '1e-3' }, 'lr ("1e-3") must be a number'],
      [{ batchSize: 2 ** 21 }, 'batchSize (2097152) must be at most 1048576'],
      [{ clipNorm: -1 }, 'clipNorm (-1) must be at least 0'],
      [
        { toy: 'spiral' },
        'toy ("spiral") must be one of "moons", "8gaussians", "ring8", "checkerboard"',
      ],
      [{ coupling: 4 }, 'has unknown field(s) coupling'],
      [{ dim: 1 }, 'flow config: dim (1) must be >= 2 for couplings'],
      [{ dim: 10, imageSize: 3 }, 'imageSize 3 does not match dim 10'],
      [{ toy: 'moons', dim: 3 }, "toy set 'moons' is 2-D, but dim is 3"],
      [{ dim: 2 ** 24, couplings: 1024 }, 'flow config describes 8.84e+12 parameters'],
      [{ dim: 20000, mixing: 'lu' }, 'over the limit of 1.07e+9; make the network smaller'],
      [{ imageChannels: 0 }, 'imageChannels (0) must be a positive integer'],
      [{ imageHeight: 2.5 }, 'imageHeight (2.5) must be a positive integer'],
      [{ arch: 'glow' }, 'arch ("glow") must be one of "mlp", "multiscale"'],
      [{ arch: 'multiscale', scales: 13 }, 'scales (13) must be at most 12'],
      [{ imageChannels: 3 }, 'imageChannels (3) is for images; give imageSize'],
      [{ imageHeight: 4 }, 'imageHeight (4) and imageWidth (undefined) go together'],
      [{ pixels: true, dim: 10, imageChannels: 3, imageSize: 2 }, 'image shape 3x2x2 (C*H*W = 12)'],
      [
        { pixels: true, imageHeight: 4, imageWidth: 8 },
        "non-square images (1x4x8) need arch 'multiscale'",
      ],
      [{ scales: 1 }, "scales (1) is for arch 'multiscale'; the MLP flow has none"],
      [{ arch: 'multiscale', imageSize: 0 }, "arch 'multiscale' models images; give imageSize"],
      [
        { arch: 'multiscale', imageSize: 12, scales: 3 },
        "arch 'multiscale' with scales 3 needs an image size divisible by 8 (2^scales), got 12; use imageSize 8 or 16, or fewer scales",
      ],
      [
        { arch: 'multiscale', imageHeight: 8, imageWidth: 6, scales: 2 },
        'needs imageHeight and imageWidth divisible by 4 (2^scales), got 8x6; use a height of 8 and a width of 4 or 8',
      ],
      [
        { arch: 'multiscale', couplings: 8 },
        "arch 'multiscale' with scales 1 has 10 couplings (3 checkerboard + 3 channel-wise per scale, 4 checkerboard at the end), but couplings is 8",
      ],
      [{ arch: 'multiscale', actnorm: true }, "arch 'multiscale' has its own masks"],
      [{ arch: 'multiscale', mixing: 'lu' }, "mixing 'lu', mask 'alternating'"],
      [{ arch: 'multiscale', hidden: 2 ** 14 }, 'make the network smaller'],
      [5, 'flow config: the config (5) must be an object'],
      [null, 'flow config: the config (null) must be an object'],
    ];
    for (const [given, message] of cases) {
      const resolve = () => resolveConfig(given as never);
      expect(resolve, JSON.stringify(given)).toThrow(FlowError);
      expect(resolve, JSON.stringify(given)).toThrow(message);
    }
  });

  it('writes each image config one way, and derives dim (and multi-scale couplings) when not given', () => {
    // Square: imageSize alone; gray: no imageChannels; 'mlp': no arch. As before these fields.
    const square = resolveConfig({
      arch: 'mlp',
      pixels: true,
      imageHeight: 6,
      imageWidth: 6,
      imageChannels: 1,
      couplings: 2,
    });
    expect(square).toEqual(resolveConfig({ pixels: true, dim: 36, imageSize: 6, couplings: 2 }));
    expect(Object.keys(square)).toEqual(Object.keys(FLOW_PRESETS['mnist-mlp'].config));
    const wide = resolveConfig({ arch: 'multiscale', imageHeight: 4, imageWidth: 8, scales: 2 });
    expect(wide).toMatchObject({ dim: 96, imageSize: 0, imageHeight: 4, imageWidth: 8 });
    expect(wide.couplings).toBe(16);
    expect(Object.keys(wide)).toEqual([
      'dim',
      'imageSize',
      'imageChannels',
      'imageHeight',
      'imageWidth',
      'arch',
      'scales',
      ...Object.keys(FLOW_PRESETS['mnist-mlp'].config).slice(2),
    ]);
    // A stored multi-scale config reads back as it was written.
    expect(resolveConfig(JSON.parse(JSON.stringify(wide)))).toEqual(wide);
    expect(resolveConfig({ imageSize: 3 }).dim).toBe(9); // no dim given: C * H * W
  });

  it('refuses a crafted stored config with a named error, before building', async () => {
    const files = Flow.create(rt, { couplings: 2, hidden: 8 }, { seed: 0 }).toFiles();
    const stored = JSON.parse(files['config.json'] as string);
    const bytes = withoutStoredConfig(files['model.safetensors'] as Uint8Array);
    const load = (config: Record<string, unknown>) =>
      Flow.load(rt, {
        'model.safetensors': bytes,
        'config.json': JSON.stringify({ ...stored, config: { ...stored.config, ...config } }),
      });
    const before = process.memoryUsage().rss;
    // In range (2 x 20000^2 = 8e8 values < 2^30), but building it would allocate 3.2 GB.
    await expect(load({ hidden: 20000 })).rejects.toThrow(
      /model.safetensors does not match its config: the config describes a flow of 800\d+ parameters but model.safetensors holds 234 values: config and weights do not match$/,
    );
    // Out of range or of the wrong type: the schema names the field (no heap exhaustion).
    for (const [config, message] of [
      [{ couplings: 1e308 }, 'flow config: couplings (1e+308) must be at most 1024'],
      [{ hidden: '8' }, 'flow config: hidden ("8") must be a number'],
      [{ depth: null }, 'flow config: depth (null) must be a number'],
      [{ mixing: ['lu'] }, 'flow config: mixing (["lu"]) must be one of "none", "lu"'],
    ] as const) {
      const err = await load(config).catch((e) => e);
      expect(err).toBeInstanceOf(FlowError);
      expect(err.message).toBe(message);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
    // The saved files themselves (config in the metadata too) still load.
    await expect(Flow.load(rt, files)).resolves.toBeDefined();
  });

  it('still loads what save has always written: the toy presets and custom configs', async () => {
    const models = [
      ...Object.keys(FLOW_PRESETS)
        .filter((p) => p !== 'mnist-mlp')
        .map((p) => Flow.create(rt, p, { seed: 0 })),
      Flow.create(rt, { couplings: 3, hidden: 16, actnorm: true, mixing: 'lu', mask: 'permuted' }),
      Flow.create(rt, { pixels: true, dim: 16, imageSize: 4, couplings: 2, hidden: 8 }),
    ];
    for (const flow of models) {
      const back = await Flow.load(rt, flow.toFiles());
      expect(back.config).toEqual(flow.config);
      expect(back.preset).toBe(flow.preset);
    }
  });
});
