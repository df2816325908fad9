import { readFile } from 'node:fs/promises';
import { compileInference, ops, Rng, Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveGptConfig } from './config.js';
import { idsTensor, positionsTensor } from './decoder.js';
import { GptNetwork } from './network.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const TINY_TIED = { vocabSize: 7, nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 4 };

interface Fixture {
  config: { vocabSize: number; nEmbd: number; nHead: number; nLayer: number; blockSize: number };
  state_dict: Record<string, { shape: number[]; data: number[] }>;
  ids: number[][];
  logits: number[];
}

describe('GptNetwork', () => {
  it('has PyTorch state-dict keys and the shakespeare-char parameter count', () => {
    const cfg = resolveGptConfig('shakespeare-char');
    const net = new GptNetwork(cfg, new Rng(0));
    const keys = Object.keys(net.stateDict());
    expect(keys.slice(0, 14)).toEqual([
      'wte.weight',
      'wpe.weight',
      'h.0.ln_1.weight',
      'h.0.ln_1.bias',
      'h.0.attn.in_proj_weight',
      'h.0.attn.in_proj_bias',
      'h.0.attn.out_proj.weight',
      'h.0.attn.out_proj.bias',
      'h.0.ln_2.weight',
      'h.0.ln_2.bias',
      'h.0.mlp.c_fc.weight',
      'h.0.mlp.c_fc.bias',
      'h.0.mlp.c_proj.weight',
      'h.0.mlp.c_proj.bias',
    ]);
    expect(keys.slice(-3)).toEqual(['ln_f.weight', 'ln_f.bias', 'lm_head.weight']);
    // Per block 12 E^2 + 13 E; plus embeddings, final LayerNorm and the untied head.
    const E = 128;
    expect(net.numParameters()).toBe(4 * (12 * E * E + 13 * E) + 65 * E + 128 * E + 2 * E + 65 * E);
    // nanoGPT's init: N(0, 0.02) weights, residual projections scaled by 1 / sqrt(2 nLayer).
    const std = (t: Tensor) => {
      const d = t.data as Float32Array;
      return Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    };
    const sd = net.stateDict();
    expect(std(sd['h.0.mlp.c_fc.weight'])).toBeCloseTo(0.02, 3);
    expect(std(sd['h.0.mlp.c_proj.weight'])).toBeCloseTo(0.02 / Math.sqrt(8), 3);
    expect(std(sd['h.0.attn.in_proj_bias'])).toBe(0);
  });

  it('ties the LM head to the token embedding: one parameter, saved once', () => {
    const cfg = resolveGptConfig({ ...TINY_TIED, tieEmbeddings: true, activation: 'gelu_tanh' });
    const net = new GptNetwork(cfg, new Rng(0));
    expect(net.lm_head.weight).toBe(net.wte.weight);
    expect(net.tiedKeys()).toEqual({ 'lm_head.weight': 'wte.weight' });
    expect(Object.keys(net.stateDict())).not.toContain('lm_head.weight');
    expect(net.h[0].mlp.act.approximate).toBe('tanh');
    const untied = new GptNetwork(resolveGptConfig(TINY_TIED), new Rng(0));
    expect(untied.numParameters() - net.numParameters()).toBe(cfg.vocabSize * cfg.nEmbd);
    expect(untied.h[0].mlp.act.approximate).toBe('none');
    expect(Object.keys(untied.stateDict()).at(-1)).toBe('lm_head.weight');
  });

  it('computes the logits of the same model in PyTorch (fixture from scripts/gpt-parity.py)', async () => {
    const fx = JSON.parse(
      await readFile(new URL('./fixtures/gpt_parity.json', import.meta.url), 'utf8'),
    ) as Fixture;
    const cfg = resolveGptConfig({ ...fx.config, batchSize: 2 });
    const net = new GptNetwork(cfg, new Rng(1));
    net.loadStateDict(
      Object.fromEntries(
        Object.entries(fx.state_dict).map(([k, t]) => [
          k,
          new Tensor('float32', t.shape, Float32Array.from(t.data)),
        ]),
      ),
    );
    const [B, T] = [fx.ids.length, fx.ids[0].length];
    const exe = await compileInference(
      rt,
      net,
      { ids: { dtype: 'int64', shape: [B, T] } },
      (i) => net.call(i.ids, ops.arange(i.ids.graph, T)).logits,
    );
    const out = (await exe.runHost({ ids: idsTensor(fx.ids) })).output;
    expect(out.shape).toEqual([B, T, cfg.vocabSize]);
    const got = out.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(got[i] - fx.logits[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    // Positions given per row ([B, T]) are the same as one shared [T] range.
    const exe2 = await compileInference(
      rt,
      net,
      {
        ids: { dtype: 'int64', shape: ['batch', 'seq'] },
        pos: { dtype: 'int64', shape: ['batch', 'seq'] },
      },
      (i) => net.call(i.ids, i.pos).logits,
    );
    const out2 = await exe2.runHost({ ids: idsTensor(fx.ids), pos: positionsTensor(B, T, 0) });
    expect(out2.output.shape).toEqual([B, T, cfg.vocabSize]);
    const got2 = out2.output.data as Float32Array;
    for (let i = 0; i < got.length; i++) expect(Math.abs(got2[i] - got[i])).toBeLessThan(1e-6);
    await exe.dispose();
    await exe2.dispose();
  });
});
