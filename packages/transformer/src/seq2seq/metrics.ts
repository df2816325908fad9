/** Held-out figures from teacher-forced logits and decoded hypotheses. */
import type { Tensor } from '@genmodels/runtime';
import { BOS, EOS, type Hypothesis, logSoftmax } from './decode.js';
import type { Seq2seqExample } from './task.js';

/** Teacher-forced logits [B, T, vocab] of sources and decoder inputs (BOS first). */
export type LogitsFn = (
  sources: readonly ArrayLike<number>[],
  tgtIn: readonly ArrayLike<number>[],
) => Promise<Tensor>;

/**
 * Summed cross-entropy (nats) over every target token and EOS of `examples`, and the
 * number of tokens scored, in chunks of `chunk` examples.
 */
export async function targetNll(
  logits: LogitsFn,
  examples: readonly Seq2seqExample[],
  chunk: number,
): Promise<{ nll: number; tokens: number }> {
  let nll = 0;
  let tokens = 0;
  for (let i = 0; i < examples.length; i += chunk) {
    const part = examples.slice(i, i + chunk);
    const out = await logits(
      part.map((e) => e.src),
      part.map((e) => [BOS, ...e.tgt]),
    );
    const [, T, V] = out.shape;
    const data = out.data as Float32Array;
    part.forEach((e, b) => {
      const targets = [...e.tgt, EOS];
      targets.forEach((t, pos) => {
        nll -= logSoftmax(data.subarray((b * T + pos) * V, (b * T + pos + 1) * V))[t];
      });
      tokens += targets.length;
    });
  }
  return { nll, tokens };
}

/** Share of hypotheses that end with EOS and equal their example's target exactly. */
export function exactMatch(
  hyps: readonly Hypothesis[],
  examples: readonly Seq2seqExample[],
): number {
  const same = (h: Hypothesis, i: number) =>
    h.finished &&
    h.tokens.length === examples[i].tgt.length &&
    h.tokens.every((t, j) => t === examples[i].tgt[j]);
  return hyps.filter(same).length / examples.length;
}
