import { compileInference, type Executable, Rng, Runtime, type Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSeq2seqConfig } from './config.js';
import { padIds, partFn, partInputs } from './graphs.js';
import { Seq2seqNetwork } from './network.js';
import { sinusoidalTable } from './positional.js';
import { TINY } from './testing.js';

let rt: Runtime;
let net: Seq2seqNetwork;
let model: Executable;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  net = new Seq2seqNetwork(resolveSeq2seqConfig(TINY), new Rng(0));
  model = await compileInference(rt, net, partInputs(net.cfg, 'model'), partFn(net, 'model'));
});

const run = async (src: number[][], tgt: number[][]): Promise<Tensor> =>
  (await model.runHost({ src: padIds(src), tgt_in: padIds(tgt) })).logits;

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Logits of row b at positions [from, to), flattened. */
const rows = (t: Tensor, b: number, from: number, to: number) => {
  const [, T, V] = t.shape;
  return (t.data as Float32Array).slice((b * T + from) * V, (b * T + to) * V);
};

describe('Seq2seqNetwork', () => {
  it("has nn.Transformer's state-dict keys and parameter count", () => {
    const cfg = resolveSeq2seqConfig('seq2seq-reverse');
    const big = new Seq2seqNetwork(cfg, new Rng(0));
    const keys = Object.keys(big.stateDict());
    for (const k of [
      'src_embed.weight',
      'tgt_embed.weight',
      'encoder.layers.0.self_attn.in_proj_weight',
      'encoder.layers.1.linear1.weight',
      'encoder.layers.1.norm2.bias',
      'encoder.norm.weight',
      'decoder.layers.1.multihead_attn.in_proj_weight',
      'decoder.layers.0.multihead_attn.out_proj.bias',
      'decoder.layers.0.norm3.weight',
      'decoder.norm.bias',
      'generator.weight',
    ])
      expect(keys).toContain(k);
    const [E, F, V] = [64, 256, 13];
    const attn = 4 * E * E + 4 * E;
    const ff = 2 * E * F + F + E;
    const enc = attn + ff + 4 * E;
    const dec = 2 * attn + ff + 6 * E;
    expect(big.numParameters()).toBe(2 * V * E + 2 * enc + 2 * dec + 4 * E + V * E + V);
  });

  it('gives logits [B, T, vocab] for any batch and lengths', async () => {
    const out = await run(
      [
        [3, 4],
        [5, 6, 7, 3],
      ],
      [
        [1, 4, 3],
        [1, 2, 2],
      ],
    );
    expect(out.shape).toEqual([2, 3, 8]);
    expect((await run([[3]], [[1]])).shape).toEqual([1, 1, 8]);
  });

  it('is invariant to PAD appended to a source', async () => {
    const tgt = [[1, 5, 4, 3]];
    const a = await run([[3, 4, 5]], tgt);
    const b = await run([[3, 4, 5, 0]], tgt);
    expect(maxDiff(a.data as Float32Array, b.data as Float32Array)).toBeLessThan(1e-5);
    // ...while a real token there changes them (so the test can fail).
    const c = await run([[3, 4, 5, 6]], tgt);
    expect(maxDiff(a.data as Float32Array, c.data as Float32Array)).toBeGreaterThan(1e-3);
  });

  it('is causal: a decoder input changes no logits before it', async () => {
    const src = [
      [3, 4, 5],
      [3, 4, 5],
    ];
    const out = await run(src, [
      [1, 5, 4, 3],
      [1, 5, 7, 7],
    ]);
    expect(maxDiff(rows(out, 0, 0, 2), rows(out, 1, 0, 2))).toBeLessThan(1e-5);
    expect(maxDiff(rows(out, 0, 2, 4), rows(out, 1, 2, 4))).toBeGreaterThan(1e-3);
  });

  it('encodes positions with the sinusoids of the original Transformer', () => {
    const t = sinusoidalTable(3, 4).data as Float32Array;
    const want = [0, 1, 0, 1, Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)];
    for (const [i, w] of want.entries()) expect(t[i]).toBeCloseTo(w, 6);
    expect(t[2 * 4 + 2]).toBeCloseTo(Math.sin(2 / 100), 6);
  });
});
