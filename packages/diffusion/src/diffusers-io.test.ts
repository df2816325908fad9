import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  decodeSafetensors,
  Runtime,
  ShapeError,
  StateDictKeyError,
  sameTensor,
  Tensor,
} from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffusionParameterCount } from './config.js';
import type { DiffusersUnetConfig } from './diffusers-config.js';
import { DIFFUSERS_MODEL_FILE, diffusersNetwork, diffusersStateDict } from './diffusers-io.js';
import { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';

/** A UNet2DModel written by scripts/diffusers_unet_roundtrip.py make-fixture, with its outputs. */
const FIXTURE = fileURLToPath(new URL('./fixtures/diffusers_tiny', import.meta.url));

let rt: Runtime;
let tensors: Record<string, Tensor>;
let hf: DiffusersUnetConfig;
let expected: Record<string, Tensor>;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  tensors = decodeSafetensors(await readFile(`${FIXTURE}/${DIFFUSERS_MODEL_FILE}`)).tensors;
  hf = JSON.parse(await readFile(`${FIXTURE}/config.json`, 'utf8'));
  expected = decodeSafetensors(await readFile(`${FIXTURE}/outputs.safetensors`)).tensors;
});

const maxDiff = (a: Tensor, b: Tensor) =>
  Math.max(...Array.from(a.data as Float32Array, (v, i) => Math.abs(v - Number(b.data[i]))));

async function outputsOf(model: Diffusion): Promise<Tensor> {
  const { x, t, y } = expected;
  return model.denoise(x, Array.from(t.data as Float32Array), y && Array.from(y.data, Number), {
    ema: false,
  });
}

describe('diffusers UNet2DModel import and export', () => {
  it("reproduces PyTorch's outputs on the fixture's fixed inputs within 1e-4", async () => {
    const model = await Diffusion.fromDiffusers(rt, FIXTURE);
    expect(model.config.diffusers).toMatchObject({ layersPerBlock: 1, midAttention: true });
    expect(model.config.numClasses).toBe(2); // num_class_embeds 3, the last the null class
    const diff = maxDiff(await outputsOf(model), expected.out);
    expect(diff).toBeLessThan(1e-4);
  });

  it('writes back every tensor exactly, under the same names, and the same config.json', async () => {
    const model = await Diffusion.fromDiffusers(rt, FIXTURE);
    const files = model.diffusersFiles();
    const back = decodeSafetensors(files[DIFFUSERS_MODEL_FILE] as Uint8Array).tensors;
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) expect(sameTensor(back[k], t), k).toBe(true);
    expect(JSON.parse(files['config.json'] as string)).toEqual(hf);
  });

  it('counts the parameters it allocates', () => {
    const { net, cfg } = diffusersNetwork(tensors, hf);
    const inFile = Object.values(tensors).reduce((n, t) => n + t.size, 0);
    expect(diffusionParameterCount(cfg)).toBe(inFile);
    expect(net.namedParameters().reduce((n, [, p]) => n + p.data.size, 0)).toBe(inFile);
  });

  it('reads the attention names of checkpoints before diffusers 0.14 (query, key, value, proj_attn)', () => {
    const old: Record<string, Tensor> = {};
    const rename: Record<string, string> = {
      to_q: 'query',
      to_k: 'key',
      to_v: 'value',
      'to_out.0': 'proj_attn',
    };
    for (const [k, t] of Object.entries(tensors))
      old[k.replace(/\.(to_q|to_k|to_v|to_out\.0)\./, (_, n: string) => `.${rename[n]}.`)] = t;
    expect(Object.keys(old).some((k) => k.includes('.proj_attn.'))).toBe(true);
    const { net } = diffusersNetwork(old, hf);
    const back = diffusersStateDict(net); // written in today's names
    for (const [k, t] of Object.entries(tensors)) expect(sameTensor(back[k], t), k).toBe(true);
  });

  it('lists every missing and unexpected tensor in one strict error', () => {
    const { 'down_blocks.1.attentions.0.to_k.weight': _, ...rest } = tensors;
    const broken = { ...rest, 'down_blocks.0.resnets.0.extra.weight': tensors['conv_in.bias'] };
    let err: unknown;
    try {
      diffusersNetwork(broken, hf);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictKeyError);
    const e = err as StateDictKeyError;
    expect(e.missing).toEqual(['down_blocks.1.attentions.0.to_k.weight']);
    expect(e.unexpected).toEqual(['down_blocks.0.resnets.0.extra.weight']);
  });

  it('names a tensor of the wrong shape', () => {
    const t = tensors['conv_out.weight'];
    const wrong = new Tensor('float32', [t.shape[0], t.shape[1] * 2, 3, 3]);
    expect(() => diffusersNetwork({ ...tensors, 'conv_out.weight': wrong }, hf)).toThrow(
      ShapeError,
    );
    expect(() => diffusersNetwork({ ...tensors, 'conv_out.weight': wrong }, hf)).toThrow(
      /conv_out\.weight/,
    );
  });

  it('refuses block types and settings it does not have, naming them', () => {
    const cross = { ...hf, down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D'] };
    expect(() => diffusersNetwork(tensors, cross)).toThrow(DiffusionError);
    expect(() => diffusersNetwork(tensors, cross)).toThrow(
      /'CrossAttnDownBlock2D'.*AttnDownBlock2D/,
    );
    expect(() =>
      diffusersNetwork(tensors, { ...hf, resnet_time_scale_shift: 'scale_shift' }),
    ).toThrow(/resnet_time_scale_shift/);
    expect(() => diffusersNetwork(tensors, { ...hf, _class_name: 'UNet2DConditionModel' })).toThrow(
      /UNet2DConditionModel/,
    );
    expect(() => diffusersNetwork(tensors, { ...hf, out_channels: 2 })).toThrow(/out_channels 2/);
  });

  it('refuses to write a U-Net of this package’s own layout as diffusers', () => {
    const own = Diffusion.create(rt, 'mnist-unet-tiny');
    expect(() => own.diffusersFiles()).toThrow(/diffusers layout/);
  });

  it('fine-tunes and saves back what it computes', async () => {
    const model = await Diffusion.fromDiffusers(rt, FIXTURE, { batchSize: 4, emaDecay: 0 });
    const before = await outputsOf(model);
    const images = new Tensor(
      'float32',
      [8, 1, 16, 16],
      Float32Array.from({ length: 8 * 256 }, (_, i) => (i % 16 < 4 ? 1 : -1)),
    );
    await model.fit(images, { labels: [0, 1, 0, 1, 0, 1, 0, 1], steps: 2, seed: 0 });
    const after = await outputsOf(model);
    expect(maxDiff(after, before)).toBeGreaterThan(1e-5);
    const reread = await Diffusion.fromDiffusers(rt, model.diffusersFiles());
    expect(maxDiff(await outputsOf(reread), after)).toBe(0);
  });
});
