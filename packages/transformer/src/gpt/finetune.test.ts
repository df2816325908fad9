import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpeTokenizer } from '../bpe/index.js';
import { readCorpus, tokenizeCorpus } from './data.js';
import { GPT } from './gpt.js';
import { readGpt2 } from './gpt2-io.js';
import { Vocabulary } from './vocab.js';

/** From scripts/gpt2_roundtrip.py make-fixture: a 2-layer, 32-wide GPT-2 (BPE of 280 ids). */
const FIXTURE = fileURLToPath(new URL('./fixtures/gpt2_tiny', import.meta.url));

/** A text the fixture never saw: a repetitive rhyme a few steps can learn something of. */
const OTHER = 'the quick brown fox jumps over the lazy dog. '.repeat(40);

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'gpt-ft-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('GPT from a GPT-2 directory', () => {
  it('reads the network and the BPE tokenizer, with the fine-tuning defaults', async () => {
    const gpt = await GPT.fromGpt2(rt, FIXTURE);
    expect(gpt.tokenizer).toBeInstanceOf(BpeTokenizer);
    expect(gpt.config.vocabSize).toBe(280);
    expect(gpt.config.lr).toBe(1e-4);
    expect(gpt.config.tieEmbeddings).toBe(true);
    expect(() => gpt.vocab).toThrow(/BPE tokenizer/);
    const r = await gpt.generate({ prompt: 'the ', tokens: 5, temperature: 0 });
    expect(r.tokens[0]).toHaveLength(5);
    expect(r.texts[0].startsWith('the ')).toBe(true);
    expect(r.texts[0]).toBe(`the ${gpt.tokenizer.decode(r.tokens[0])}`);
  });

  it('fine-tunes on another text (validation loss falls) and saves and loads the BPE model', async () => {
    const gpt = await GPT.fromGpt2(rt, FIXTURE);
    const corpus = tokenizeCorpus(OTHER, gpt.tokenizer, { source: 'fox' });
    const before = await gpt.evaluateOn(corpus.val, { batches: 2 });
    await gpt.fit(corpus, { steps: 30, lr: 3e-3, warmupSteps: 2 });
    const after = await gpt.evaluateOn(corpus.val, { batches: 2 });
    expect(after.val_loss).toBeLessThan(before.val_loss - 0.5);

    const out = join(dir, 'tuned');
    await gpt.save(out);
    const stored = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(stored.tokenizer.type).toBe('byte-level-bpe');
    expect(stored.vocab).toBeUndefined();
    const back = await GPT.load(rt, out);
    expect(back.tokenizer).toBeInstanceOf(BpeTokenizer);
    expect(back.tokenizer.encode(OTHER)).toEqual(gpt.tokenizer.encode(OTHER));
    const again = await back.evaluateOn(tokenizeCorpus(OTHER, back.tokenizer).val, { batches: 2 });
    expect(again.val_loss).toBeCloseTo(after.val_loss, 4);
  });

  it('writes GPT-2 naming and tokenizer files that read back to the same weights and ids', async () => {
    const gpt = await GPT.fromGpt2(rt, FIXTURE);
    const out = join(dir, 'gpt2-back');
    await gpt.saveGpt2(out);
    const back = await readGpt2(out);
    expect(back.tokenizer).not.toBeNull();
    expect(back.cfg.nLayer).toBe(gpt.config.nLayer);
    for (const [k, t] of Object.entries(gpt.net.stateDict()))
      expect(back.net.stateDict()[k].data).toEqual(t.data);
    const tok = BpeTokenizer.fromGpt2Files(back.tokenizer!.vocab, back.tokenizer!.merges);
    expect(tok.encode(OTHER)).toEqual(gpt.tokenizer.encode(OTHER));
    const hf = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(hf.bos_token_id).toBe(279); // kept from the config.json read
  });

  it('LoRA trains only the adapters on c_attn, and merging keeps the function', async () => {
    const gpt = await GPT.fromGpt2(rt, FIXTURE);
    const frozen = gpt.net.stateDict();
    const lora = gpt.addLora({ rank: 4 });
    expect(lora.targets).toEqual(['h.0.attn.in_proj_weight', 'h.1.attn.in_proj_weight']);
    const corpus = tokenizeCorpus(OTHER, gpt.tokenizer);
    const before = await gpt.evaluateOn(corpus.val, { batches: 2 });
    await gpt.fit(corpus, { steps: 30, lr: 1e-2, warmupSteps: 2 });
    const tuned = await gpt.evaluateOn(corpus.val, { batches: 2 });
    expect(tuned.val_loss).toBeLessThan(before.val_loss - 0.2);
    for (const [k, t] of Object.entries(gpt.net.stateDict()))
      if (!k.includes('lora_')) expect(t.data, k).toEqual(frozen[k].data);
    await expect(gpt.save(join(dir, 'unmerged'))).rejects.toThrow(/merge the LoRA adapters first/);
    gpt.mergeLora();
    expect(Object.keys(gpt.net.stateDict()).some((k) => k.includes('lora'))).toBe(false);
    const merged = await gpt.evaluateOn(corpus.val, { batches: 2 });
    expect(merged.val_loss).toBeCloseTo(tuned.val_loss, 4);
    await expect(gpt.fit(corpus, { steps: 1 })).rejects.toThrow(/fit after mergeLora/);
  });

  it('trainOnly fine-tunes the matching parameters and freezes the rest', async () => {
    const start = (await GPT.fromGpt2(rt, FIXTURE)).net.stateDict();
    const withLora = await GPT.fromGpt2(rt, FIXTURE);
    withLora.addLora({ rank: 2 });
    expect(() => withLora.trainOnly('h.1')).toThrow(/LoRA adapters; use one or the other/);

    const partial = await GPT.fromGpt2(rt, FIXTURE);
    expect(() => partial.trainOnly('h.7')).toThrow(/h\.7 match no parameter/);
    partial.trainOnly('h.1', /^ln_f\./);
    expect(() => partial.addLora({ rank: 2 })).toThrow(/trainOnly/);
    const corpus = tokenizeCorpus(OTHER, partial.tokenizer);
    const before = await partial.evaluateOn(corpus.val, { batches: 2 });
    await partial.fit(corpus, { steps: 20, lr: 3e-3, warmupSteps: 2 });
    const after = await partial.evaluateOn(corpus.val, { batches: 2 });
    expect(after.val_loss).toBeLessThan(before.val_loss);
    const changed = Object.entries(partial.net.stateDict())
      .filter(([k, t]) => !t.data.every((v, i) => v === start[k].data[i]))
      .map(([k]) => k);
    expect(changed.length).toBeGreaterThan(0);
    for (const k of changed) expect(k.startsWith('h.1.') || k.startsWith('ln_f.'), k).toBe(true);
    expect(() => partial.trainOnly('h.0')).toThrow(/before the first fit/);
  });

  it('names what is missing or does not fit', async () => {
    await expect(GPT.fromGpt2(rt, join(dir, 'nowhere'))).rejects.toThrow(/model\.safetensors/);
    const files = Object.fromEntries(
      await Promise.all(
        ['model.safetensors', 'config.json'].map(
          async (n) => [n, await readFile(join(FIXTURE, n))] as const,
        ),
      ),
    );
    await expect(GPT.fromGpt2(rt, files)).rejects.toThrow(/vocab\.json and merges\.txt/);
    const gpt = await GPT.fromGpt2(rt, FIXTURE);
    const chars = tokenizeCorpus(OTHER, new Vocabulary([...new Set(OTHER)]));
    await expect(gpt.fit(chars, { steps: 1 })).rejects.toThrow(/not encoded by this model's/);
    expect(() => tokenizeCorpus('abc xyz '.repeat(5), new Vocabulary([...'abc ']))).toThrow(
      /missing from the model's 4-character vocabulary: "x", "y", "z"/,
    );
    await expect(readCorpus(join(dir, 'none.txt'), { tokenizer: gpt.tokenizer })).rejects.toThrow(
      /no corpus file/,
    );
  });
});
