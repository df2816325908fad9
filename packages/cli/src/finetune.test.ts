/**
 * `genmodels finetune transformer --from-pytorch DIR` and `export --format gpt2`, with the
 * real transformer family on the tiny GPT-2 fixture (2 layers, 32 wide, BPE of 280 ids).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
        /finetune diffusion is not available yet/,
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
