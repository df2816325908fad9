import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compileInference,
  decodeSafetensors,
  ops,
  Runtime,
  sameTensor,
  type Tensor,
} from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGpt2Files, gpt2Network, gpt2StateDict, readGpt2, writeGpt2Dir } from './gpt2-io.js';
import type { GptNetwork } from './network.js';

/** From scripts/gpt2_roundtrip.py make-fixture: a 2-layer, 32-wide GPT-2 trained 100 steps. */
const FIXTURE = fileURLToPath(new URL('./fixtures/gpt2_tiny', import.meta.url));

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'gpt2-io-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const fixtureFile = async (name: string) => decodeSafetensors(await readFile(join(FIXTURE, name)));

/** `net`'s logits for ids [B, T] (int64). */
async function logits(net: GptNetwork, ids: Tensor): Promise<Tensor> {
  const [, T] = ids.shape;
  const exe = await compileInference(
    rt,
    net,
    { ids: { dtype: 'int64', shape: ids.shape } },
    (i) => net.call(i.ids, ops.arange(i.ids.graph, T)).logits,
  );
  return (await exe.runHost({ ids })).output;
}

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [a.data as Float32Array, b.data as Float32Array];
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
}

describe('GPT-2 checkpoints (fixture from scripts/gpt2_roundtrip.py)', () => {
  it('reads the architecture from the weights and config.json, and the tokenizer files', async () => {
    const { cfg, lmHeadInFile, tokenizer, hfConfig } = await readGpt2(FIXTURE);
    expect(cfg).toMatchObject({
      vocabSize: 280,
      nLayer: 2,
      nHead: 2,
      nEmbd: 32,
      blockSize: 32,
      tieEmbeddings: true,
      activation: 'gelu_tanh',
    });
    expect(lmHeadInFile).toBe(false);
    expect(hfConfig?.eos_token_id).toBe(279);
    expect(JSON.parse(tokenizer?.vocab ?? '{}')['<|endoftext|>']).toBe(279);
    expect(tokenizer?.merges.startsWith('#version: 0.2\n')).toBe(true);
  });

  it("computes PyTorch's logits within 1e-4", async () => {
    const { net } = await readGpt2(FIXTURE);
    const expected = (await fixtureFile('logits.safetensors')).tensors;
    const diff = maxDiff(await logits(net, expected.ids), expected.logits);
    expect(diff).toBeLessThan(1e-4);
  });

  it("saves back in GPT-2 names: the file's tensors bit for bit, its config.json", async () => {
    const { net, hfConfig } = await readGpt2(FIXTURE);
    const files = encodeGpt2Files(net, { config: hfConfig });
    const original = (await fixtureFile('model.safetensors')).tensors;
    const saved = decodeSafetensors(files['model.safetensors']);
    expect(Object.keys(saved.tensors).sort()).toEqual(Object.keys(original).sort());
    for (const [k, t] of Object.entries(original))
      expect(sameTensor(saved.tensors[k], t), k).toBe(true);
    expect(saved.metadata).toEqual({ format: 'pt' });
    const config = JSON.parse(await readFile(join(FIXTURE, 'config.json'), 'utf8'));
    expect(JSON.parse(files['config.json'])).toEqual(config);
  });

  it('writes a directory that reads back to the same network', async () => {
    const { net, hfConfig } = await readGpt2(FIXTURE);
    const out = join(dir, 'saved');
    await writeGpt2Dir(out, net, { config: hfConfig });
    const again = await readGpt2(out);
    expect(again.cfg).toEqual(net.cfg);
    expect(again.tokenizer).toBeNull();
    for (const [k, t] of Object.entries(net.stateDict()))
      expect(sameTensor(again.net.stateDict()[k], t), k).toBe(true);
  });

  it('keeps lm_head.weight as the file had it: a tied copy, or a head of its own', async () => {
    const { net, hfConfig } = await readGpt2(FIXTURE);
    const tensors = gpt2StateDict(net, { lmHead: true });
    expect(sameTensor(tensors['lm_head.weight'], tensors['transformer.wte.weight'])).toBe(true);
    const copy = gpt2Network(tensors, hfConfig);
    expect([copy.lmHeadInFile, copy.cfg.tieEmbeddings]).toEqual([true, true]);
    expect(Object.keys(gpt2StateDict(copy.net, { lmHead: true }))).toContain('lm_head.weight');
    // A head that differs from the embedding, with no config saying it is tied: untied.
    const head = tensors['transformer.wte.weight'].clone();
    (head.data as Float32Array)[0] += 1;
    const { tie_word_embeddings: _, ...untiedConfig } = hfConfig ?? {};
    const own = gpt2Network({ ...tensors, 'lm_head.weight': head }, untiedConfig);
    expect(own.cfg.tieEmbeddings).toBe(false);
    expect(own.net.lm_head.weight).not.toBe(own.net.wte.weight);
    const back = gpt2StateDict(own.net);
    expect(sameTensor(back['lm_head.weight'], head)).toBe(true);
    expect(JSON.parse(encodeGpt2Files(own.net)['config.json']).tie_word_embeddings).toBe(false);
  });

  it('reads the files as bytes, and names a missing model and a bad config.json', async () => {
    const model = await readFile(join(FIXTURE, 'model.safetensors'));
    // No config.json: the heads must be given; GPT-2's defaults (tied, gelu_new) apply.
    const loaded = await readGpt2({ 'model.safetensors': model }, { nHead: 2 });
    expect([loaded.cfg.tieEmbeddings, loaded.cfg.activation, loaded.hfConfig]).toEqual([
      true,
      'gelu_tanh',
      null,
    ]);
    await expect(readGpt2({})).rejects.toThrow(
      'model files: no model.safetensors (a GPT-2 checkpoint) found',
    );
    await expect(readGpt2({ 'model.safetensors': model, 'config.json': '[1]' })).rejects.toThrow(
      'model files: config.json must hold an object of GPT-2 config fields',
    );
    await expect(readGpt2({ 'model.safetensors': model, 'config.json': '{' })).rejects.toThrow(
      'model files: config.json is not valid JSON',
    );
    await expect(readGpt2(join(dir, 'none'))).rejects.toThrow('no model.safetensors');
  });

  it("reads GPT2Model files (no 'transformer.' prefix) and ignores saved causal-mask buffers", async () => {
    const { net, hfConfig } = await readGpt2(FIXTURE);
    const tensors = gpt2StateDict(net);
    const bare = Object.fromEntries(
      Object.entries(tensors).map(([k, t]) => [k.replace(/^transformer\./, ''), t]),
    );
    const mask = decodeSafetensors(encodeGpt2Files(net)['model.safetensors']).tensors[
      'transformer.ln_f.bias'
    ];
    bare['h.0.attn.bias'] = mask;
    bare['h.1.attn.masked_bias'] = mask;
    const loaded = gpt2Network(bare, hfConfig);
    for (const [k, t] of Object.entries(net.stateDict()))
      expect(sameTensor(loaded.net.stateDict()[k], t), k).toBe(true);
  });
});
