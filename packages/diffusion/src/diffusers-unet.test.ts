import { Rng, Runtime, sameTensor, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DIFFUSION_PRESETS,
  type DiffusersUnetLayout,
  type DiffusionConfig,
  diffusionParameterCount,
  resolveConfig,
} from './config.js';
import { diffusersConfigJson } from './diffusers-config.js';
import { Diffusion } from './diffusion.js';
import { embeddingFrequencies } from './embedding.js';
import { DiffusionError } from './errors.js';
import { DiffusionNetwork } from './network.js';

const LAYOUT: DiffusersUnetLayout = {
  layersPerBlock: 2,
  downAttention: [false, true],
  upAttention: [true, false],
  midAttention: true,
  attentionHeadDim: 8,
  normEps: 1e-6,
  flipSinToCos: true,
  freqShift: 1,
};

const SMALL: Partial<DiffusionConfig> = {
  arch: 'unet',
  imageChannels: 3,
  imageHeight: 8,
  imageWidth: 8,
  channels: [8, 16],
  groups: 4,
  attentionHeads: 0,
  numClasses: 0,
  diffusers: LAYOUT,
};

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
});

describe('the diffusers-layout U-Net', () => {
  it('leaves every preset without the layout (their networks and checkpoints unchanged)', () => {
    for (const name of Object.keys(DIFFUSION_PRESETS))
      expect(resolveConfig(name).diffusers, name).toBeUndefined();
  });

  it('allocates the parameters it counts, in diffusers’ module tree', () => {
    const cfg = resolveConfig(SMALL);
    const net = new DiffusionNetwork(cfg, new Rng(0));
    const n = net.namedParameters().reduce((s, [, p]) => s + p.data.size, 0);
    expect(diffusionParameterCount(cfg)).toBe(n);
    const keys = net.namedParameters().map(([k]) => k);
    expect(keys).toContain('denoiser.down.1.attn.1.attn.in_proj_weight');
    expect(keys).toContain('denoiser.up.0.res.2.skip.weight'); // layersPerBlock + 1 per up block
    expect(keys).not.toContain('denoiser.down.1.downsample.weight'); // the last level keeps its size
    const norm = (net.denoiser as unknown as { normOut: { eps: number } }).normOut;
    expect(norm.eps).toBe(1e-6);
  });

  it('trains, samples and writes its diffusers config from a fresh config', async () => {
    const model = Diffusion.create(rt, { ...SMALL, batchSize: 4, timesteps: 20, sampleSteps: 5 });
    const images = new Tensor('float32', [4, 3, 8, 8], new Float32Array(4 * 192).fill(0.5));
    const r = await model.fit(images, { steps: 1, seed: 0 });
    expect(Number.isFinite(r.loss)).toBe(true);
    const x = await model.sampleFlat(2, { seed: 0 });
    expect(x.shape).toEqual([2, 3, 8, 8]);
    expect(diffusersConfigJson(model.config)).toMatchObject({
      sample_size: 8,
      in_channels: 3,
      block_out_channels: [8, 16],
      layers_per_block: 2,
      down_block_types: ['DownBlock2D', 'AttnDownBlock2D'],
      up_block_types: ['AttnUpBlock2D', 'UpBlock2D'],
      norm_eps: 1e-6,
      freq_shift: 1,
      num_class_embeds: null,
    });
  });

  it('saves and loads in this package’s own format too (config.json keeps the layout)', async () => {
    const model = Diffusion.create(rt, SMALL, { seed: 3 });
    const back = await Diffusion.load(rt, model.toFiles());
    expect(back.config).toEqual(model.config);
    const a = model.net.stateDict();
    const b = back.net.stateDict();
    for (const k of Object.keys(a)) expect(sameTensor(b[k], a[k]), k).toBe(true);
  });

  it('refuses layouts that do not fit the levels or the heads, saying why', () => {
    const bad = (over: Partial<DiffusionConfig>) => () => resolveConfig({ ...SMALL, ...over });
    expect(bad({ diffusers: { ...LAYOUT, downAttention: [true] } })).toThrow(
      /downAttention has 1 entries.*2 levels/,
    );
    expect(bad({ attentionHeads: 4 })).toThrow(/attentionHeads must be 0/);
    expect(bad({ diffusers: { ...LAYOUT, attentionHeadDim: 6 } })).toThrow(
      /attentionHeadDim 6 must divide.*16/,
    );
    expect(bad({ arch: 'mlp', dataDim: 2 })).toThrow(DiffusionError);
  });
});

describe('timestepEmbedding options', () => {
  it('shifts the frequencies as diffusers’ downscale_freq_shift (the flip: the fixture test)', () => {
    const f = embeddingFrequencies(8, 1);
    expect(f[1]).toBeCloseTo(Math.exp(-Math.log(10_000) / 3), 6);
    expect(embeddingFrequencies(8)[1]).toBeCloseTo(Math.exp(-Math.log(10_000) / 4), 6);
  });
});
