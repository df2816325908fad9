import {
  KeyMapError,
  Rng,
  ShapeError,
  StateDictKeyError,
  sameTensor,
  Tensor,
} from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { resolveGptConfig } from './config.js';
import { GptError } from './errors.js';
import { type Gpt2HfConfig, gpt2HfConfig } from './gpt2-format.js';
import { gpt2Network, gpt2StateDict } from './gpt2-io.js';
import { GptNetwork } from './network.js';

const cfg = resolveGptConfig({
  vocabSize: 11,
  nLayer: 2,
  nHead: 2,
  nEmbd: 8,
  blockSize: 6,
  tieEmbeddings: true,
  activation: 'gelu_tanh',
});
const net = new GptNetwork(cfg, new Rng(3));
const tensors = gpt2StateDict(net);
const hf: Gpt2HfConfig = gpt2HfConfig(cfg);

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('the GPT-2 key format', () => {
  it('has GPT-2 names and Conv1D layouts ([in, out]), the tied head once', () => {
    expect(Object.keys(tensors)).toEqual(
      expect.arrayContaining([
        'transformer.wte.weight',
        'transformer.wpe.weight',
        'transformer.h.1.attn.c_attn.weight',
        'transformer.h.1.mlp.c_proj.bias',
        'transformer.ln_f.weight',
      ]),
    );
    expect(Object.keys(tensors)).toHaveLength(2 + 2 * 12 + 2);
    expect(tensors['transformer.h.0.attn.c_attn.weight'].shape).toEqual([8, 24]);
    expect(tensors['transformer.h.0.mlp.c_fc.weight'].shape).toEqual([8, 32]);
    expect(tensors['transformer.h.0.mlp.c_proj.weight'].shape).toEqual([32, 8]);
    // c_attn column j is in_proj row j: q, k, v in that order.
    const w = net.h[0].attn.in_proj_weight!.data.toArray();
    const c = tensors['transformer.h.0.attn.c_attn.weight'].toArray();
    expect(c[3 * 24 + 17]).toBe(w[17 * 8 + 3]);
    const back = gpt2Network(tensors, hf).net.stateDict();
    for (const [k, t] of Object.entries(net.stateDict()))
      expect(sameTensor(back[k], t), k).toBe(true);
  });

  it('lists every missing and unexpected tensor in GPT-2 names', () => {
    const partial = { ...tensors };
    delete partial['transformer.h.1.ln_2.bias'];
    delete partial['transformer.ln_f.weight'];
    partial['transformer.h.0.attn.rotary'] = tensors['transformer.ln_f.bias'];
    partial['transformer.h.2.ln_1.weight'] = tensors['transformer.ln_f.bias'];
    const e = thrown(() => gpt2Network(partial, { ...hf, n_layer: undefined }));
    expect(e).toBeInstanceOf(StateDictKeyError);
    expect((e as StateDictKeyError).missing).toEqual(
      expect.arrayContaining(['transformer.h.1.ln_2.bias', 'transformer.ln_f.weight']),
    );
    // The blocks are counted from the names: h.2 makes 3 layers, so all of block 2 but ln_1 is missing.
    expect((e as StateDictKeyError).missing).toContain('transformer.h.2.attn.c_attn.weight');
    expect((e as StateDictKeyError).unexpected).toEqual(['transformer.h.0.attn.rotary']);
    expect(e.message).toMatch(
      /^GPT-2 import: missing .*transformer\.ln_f\.weight.*; unexpected transformer\.h\.0\.attn\.rotary$/,
    );
  });

  it('names a tensor of the wrong shape with both shapes', () => {
    const wrong = { ...tensors, 'transformer.h.0.attn.c_attn.weight': Tensor.zeros([24, 8]) };
    const e = thrown(() => gpt2Network(wrong, hf));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe(
      "GPT-2 import: 'h.0.attn.in_proj_weight' (from transformer.h.0.attn.c_attn.weight [24,8]) is [8,24] but [24,8] is expected",
    );
  });

  it('refuses a tied head that differs from the embedding when the config says tied', () => {
    const head = tensors['transformer.wte.weight'].clone();
    (head.data as Float32Array)[5] = 7;
    expect(() => gpt2Network({ ...tensors, 'lm_head.weight': head }, hf)).toThrow(KeyMapError);
    expect(() => gpt2Network({ ...tensors, 'lm_head.weight': head }, hf)).toThrow(
      "'lm_head.weight' and 'transformer.wte.weight' are one tied tensor but differ",
    );
  });

  it('names each config problem', () => {
    const cases: [Record<string, Tensor>, Gpt2HfConfig | null, number | undefined, string][] = [
      [
        tensors,
        null,
        undefined,
        'the number of attention heads is not in the weights; pass nHead or a config.json with n_head',
      ],
      [tensors, null, 3, 'n_embd 8 must be divisible by the number of heads, got 3'],
      [tensors, hf, 4, 'nHead 4 was given but config.json has n_head 2'],
      [
        tensors,
        { ...hf, activation_function: 'relu' },
        undefined,
        "activation_function 'relu' is not supported; expected one of gelu_new, gelu_pytorch_tanh, gelu_fast, gelu",
      ],
      [
        tensors,
        { ...hf, n_embd: 16 },
        undefined,
        'config.json has n_embd 16 but the weights have 8',
      ],
      [
        tensors,
        { ...hf, n_positions: 1024 },
        undefined,
        'config.json has n_positions 1024 but the weights have 6',
      ],
      [
        tensors,
        { ...hf, model_type: 'gpt_neo' },
        undefined,
        "model_type is 'gpt_neo'; expected 'gpt2'",
      ],
      [
        tensors,
        { ...hf, layer_norm_epsilon: 1e-6 },
        undefined,
        'layer_norm_epsilon is 0.000001; only 1e-5',
      ],
      [tensors, { ...hf, n_inner: 12 }, undefined, 'n_inner is 12; only 4 * n_embd (32) or null'],
      [
        tensors,
        { ...hf, scale_attn_by_inverse_layer_idx: true },
        undefined,
        'only attention scaled by 1/sqrt(head size)',
      ],
      [
        { 'transformer.wpe.weight': tensors['transformer.wpe.weight'] },
        hf,
        undefined,
        'not a GPT-2 checkpoint: expected transformer.wte.weight [vocab, n_embd] and transformer.wpe.weight [n_positions, n_embd], found absent and [6, 8]',
      ],
    ];
    for (const [t, config, nHead, message] of cases) {
      const e = thrown(() => gpt2Network(t, config, { nHead }, 'model dir'));
      expect(e, message).toBeInstanceOf(GptError);
      expect(e.message).toContain(`model dir: ${message}`);
    }
  });

  it('writes the config of exact and tanh GELUs, tied or not', () => {
    expect(gpt2HfConfig(cfg)).toMatchObject({
      activation_function: 'gelu_new',
      tie_word_embeddings: true,
      n_layer: 2,
    });
    const plain = resolveGptConfig({ vocabSize: 11, nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 6 });
    expect(gpt2HfConfig(plain, { eos_token_id: 10, n_layer: 7 })).toMatchObject({
      activation_function: 'gelu',
      tie_word_embeddings: false,
      eos_token_id: 10,
      n_layer: 1,
    });
  });
});
