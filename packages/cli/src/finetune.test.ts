/**
 * `genmodels finetune transformer --from-pytorch DIR` and `export --format gpt2`, with the
 * real transformer family on the tiny GPT-2 fixture (2 layers, 32 wide, BPE of 280 ids).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng } from '@genmodels/datasets';
import { decodeSafetensors } from '@genmodels/runtime';
import { readGpt2 } from '@genmodels/transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext } from '../test/fake-family.js';
import { main } from './main.js';
import { families } from './registry.js';

const FIXTURE = fileURLToPath(
  new URL('../../transformer/src/gpt/fixtures/gpt2_tiny', import.meta.url),
);
const TEXT = 'the quick brown fox jumps over the lazy dog. '.repeat(40);

let tmp: string;
let corpus: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'genmodels-finetune-'));
  corpus = join(tmp, 'fox.txt');
  await writeFile(corpus, TEXT);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function cli(argv: string[]): Promise<{ code: number; err: string; out: string }> {
  const ctx = testContext(families);
  const code = await main(argv, ctx);
  return { code, err: ctx.stderr.text.trim(), out: ctx.stdout.text };
}

describe('finetune transformer', () => {
  it('fine-tunes all weights, writes a run with the losses before and after, and exports GPT-2', async () => {
    const out = join(tmp, 'full');
    const argv = ['finetune', 'transformer', '--from-pytorch', FIXTURE, '--corpus', corpus];
    const r = await cli([...argv, '--steps', '20', '--lr', '3e-3', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/fine-tuning 2-layer GPT-2 \(all weights\)/);
    expect(r.out).toMatch(/step 20\/20 .*loss/);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.val_loss_after).toBeLessThan(metrics.val_loss_before - 0.3);
    expect(metrics.tokens_per_sec).toBeGreaterThan(0);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ family: 'transformer', model: 'gpt', steps: 20, lora: null });
    expect(config.tokenizer.type).toBe('byte-level-bpe');

    // The run is an ordinary transformer run: sample, eval, and export in GPT-2 naming.
    const s = await cli([
      'sample',
      'transformer',
      '--from',
      out,
      '--prompt',
      'the ',
      '--tokens',
      '4',
    ]);
    expect(s.code).toBe(0);
    expect(s.out.startsWith('the ')).toBe(true);
    const gpt2 = join(tmp, 'full-gpt2');
    const e = await cli([
      'export',
      'transformer',
      '--from',
      out,
      '--format',
      'gpt2',
      '--out',
      gpt2,
    ]);
    expect(e.err).toBe('');
    expect(e.out).toMatch(/GPT-2 format .*vocab\.json, merges\.txt/);
    const back = await readGpt2(gpt2);
    expect(back.cfg.nLayer).toBe(2);
    expect(back.tokenizer).not.toBeNull();
  });

  it('with --lora-rank trains adapters, merges them and records them', async () => {
    const out = join(tmp, 'lora');
    const r = await cli([
      'finetune',
      'transformer',
      '--from-pytorch',
      FIXTURE,
      '--corpus',
      corpus,
      '--lora-rank',
      '4',
      '--steps',
      '20',
      '--lr',
      '1e-2',
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/LoRA rank 4, alpha 4/);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.val_loss_after).toBeLessThan(metrics.val_loss_before);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.lora).toEqual({ rank: 4, alpha: 4, dropout: 0 });
    // Merged: the state dict has the plain GPT's keys only.
    const st = await readFile(join(out, 'model.safetensors'));
    expect(st.toString('latin1')).not.toMatch(/lora/i);
    // The adapters on their own, in PEFT's names and config for GPT-2 (Conv1D: fan_in_fan_out).
    const peft = JSON.parse(await readFile(join(out, 'adapter', 'adapter_config.json'), 'utf8'));
    expect(peft).toMatchObject({
      peft_type: 'LORA',
      r: 4,
      lora_alpha: 4,
      fan_in_fan_out: true,
      task_type: 'CAUSAL_LM',
    });
    expect(peft.target_modules).toEqual(['c_attn']);
    const adapters = decodeSafetensors(
      await readFile(join(out, 'adapter', 'adapter_model.safetensors')),
    ).tensors;
    expect(Object.keys(adapters).sort()).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_B.weight',
    ]);
    expect(adapters['base_model.model.transformer.h.0.attn.c_attn.lora_A.weight'].shape).toEqual([
      4, 32,
    ]);
    expect(adapters['base_model.model.transformer.h.0.attn.c_attn.lora_B.weight'].shape).toEqual([
      96, 4,
    ]);
  });

  it('with --train-only fine-tunes only the named parameters', async () => {
    const out = join(tmp, 'partial');
    const argv = ['finetune', 'transformer', '--from-pytorch', FIXTURE, '--corpus', corpus];
    const bad = await cli([...argv, '--train-only', 'h.1', '--lora-rank', '2', '--out', out]);
    expect(bad.err).toMatch(/does not go with --lora-rank/);
    const r = await cli([
      ...argv,
      '--train-only',
      'h.1,ln_f',
      '--steps',
      '10',
      '--lr',
      '3e-3',
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/only h\.1, ln_f/);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.train_only).toEqual(['h.1', 'ln_f']);
    const base = await readGpt2(FIXTURE);
    const tuned = decodeSafetensors(await readFile(join(out, 'model.safetensors'))).tensors;
    const sd = base.net.stateDict();
    expect(Array.from(tuned['h.0.attn.in_proj_weight'].data as Float32Array)).toEqual(
      Array.from(sd['h.0.attn.in_proj_weight'].data as Float32Array),
    );
    expect(Array.from(tuned['h.1.attn.in_proj_weight'].data as Float32Array)).not.toEqual(
      Array.from(sd['h.1.attn.in_proj_weight'].data as Float32Array),
    );
  });

  it('names a missing or corrupt directory, a missing corpus and unsupported families', async () => {
    const bad = join(tmp, 'bad');
    await mkdir(bad, { recursive: true });
    for (const f of ['config.json', 'vocab.json', 'merges.txt'])
      await copyFile(join(FIXTURE, f), join(bad, f));
    await writeFile(join(bad, 'model.safetensors'), 'not a safetensors file');
    const base = ['finetune', 'transformer', '--corpus', corpus, '--steps', '1'];
    for (const [argv, pattern] of [
      [[...base, '--from-pytorch', join(tmp, 'nope')], /--from-pytorch '.*nope' does not exist/],
      [[...base, '--from-pytorch', corpus], /is not a directory; expected a GPT-2 model directory/],
      [[...base, '--from-pytorch', bad, '--out', join(tmp, 'o1')], /model\.safetensors/],
      [
        ['finetune', 'transformer', '--from-pytorch', FIXTURE, '--out', join(tmp, 'o2')],
        /needs the text to fine-tune on: --corpus FILE/,
      ],
      [
        [...base, '--from-pytorch', FIXTURE, '--lora-alpha', '8'],
        /--lora-alpha and --lora-dropout go with --lora-rank N/,
      ],
      [
        ['finetune', 'transformer', '--from-pytorch', FIXTURE, '--corpus', join(tmp, 'none.txt')],
        /no corpus file/,
      ],
      [
        ['finetune', 'diffusion', '--from-pytorch', FIXTURE],
        /finetune diffusion needs the images to fine-tune on: --data DIR/,
      ],
      [
        ['finetune', 'diffusion', '--from-pytorch', FIXTURE, '--data', tmp],
        /diffusion_pytorch_model\.safetensors/,
      ],
      [['finetune', 'vae', '--from-pytorch', FIXTURE], /vae cannot be fine-tuned/],
    ] as const) {
      const r = await cli([...argv]);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toMatch(pattern);
    }
    // No run directory was left behind by the failures.
    await expect(readFile(join(tmp, 'o1', 'config.json'))).rejects.toThrow();
  });
});

const UNET = fileURLToPath(new URL('../../diffusion/src/fixtures/diffusers_tiny', import.meta.url));

/** 24 gray 16x16 PNGs in two class folders: vertical bars (a) and horizontal bars (b). */
async function barImages(dir: string): Promise<void> {
  for (const [cls, vertical] of [
    ['a', true],
    ['b', false],
  ] as const) {
    await mkdir(join(dir, cls), { recursive: true });
    for (let k = 0; k < 12; k++) {
      const data = new Uint8Array(256);
      for (let i = 0; i < 256; i++) data[i] = ((vertical ? i % 16 : i >> 4) + k) % 8 < 3 ? 255 : 0;
      await writeFile(
        join(dir, cls, `${k}.png`),
        encodePng({ width: 16, height: 16, channels: 1, data }),
      );
    }
  }
}

describe('finetune diffusion', () => {
  it('fine-tunes a diffusers UNet2DModel on a folder, lowers its held-out loss, and exports diffusers names', async () => {
    const images = join(tmp, 'bars');
    await barImages(images);
    const out = join(tmp, 'unet');
    const r = await cli([
      'finetune',
      'diffusion',
      '--from-pytorch',
      UNET,
      '--data',
      images,
      '--steps',
      '40',
      '--lr',
      '2e-3',
      '--batch-size',
      '8',
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/fine-tuning a diffusers U-Net .* on 22 images: 40 steps/);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.held_out_images).toBe(2);
    expect(metrics.denoising_loss_after).toBeLessThan(metrics.denoising_loss_before);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ family: 'diffusion', steps: 40, finetuned_from: UNET });

    const exported = join(tmp, 'unet-diffusers');
    const e = await cli([
      'export',
      'diffusion',
      '--from',
      out,
      '--format',
      'diffusers',
      '--out',
      exported,
    ]);
    expect(e.err).toBe('');
    expect(e.code).toBe(0);
    const hf = JSON.parse(await readFile(join(exported, 'config.json'), 'utf8'));
    const original = JSON.parse(await readFile(join(UNET, 'config.json'), 'utf8'));
    expect(hf.block_out_channels).toEqual(original.block_out_channels);
  });

  it('refuses transformer-only flags, a missing folder and a non-diffusers export', async () => {
    const base = ['finetune', 'diffusion', '--from-pytorch', UNET];
    const lora = await cli([...base, '--data', tmp, '--lora-rank', '4', '--out', join(tmp, 'x')]);
    expect(lora.code).not.toBe(0);
    expect(lora.err).toMatch(/--lora-rank is for finetune transformer/);
    const noData = await cli([...base, '--out', join(tmp, 'y')]);
    expect(noData.err).toMatch(/--data DIR/);
    const missing = await cli([...base, '--data', join(tmp, 'nope'), '--out', join(tmp, 'z')]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/nope/);
  });
});
