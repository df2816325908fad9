/**
 * Greedy and beam-search decoding over a next-token function, batched over examples.
 * The function sees every live prefix at once (all of one length per call), so a
 * decoder graph without a KV cache reruns over the prefix; the encoder output is
 * computed once per source by the caller and looked up by example index.
 */
import { Seq2seqModelError } from './errors.js';

/** BOS starts every prefix; EOS ends a hypothesis. */
export const BOS = 1;
export const EOS = 2;

/**
 * Next-token logits for each prefix (BOS first, all the same length), where prefix r
 * continues example `examples[r]`; one Float32Array of vocabulary size per row.
 */
export type NextTokenFn = (
  prefixes: readonly (readonly number[])[],
  examples: readonly number[],
) => Promise<Float32Array[]>;

/** A decoded sequence. */
export interface Hypothesis {
  /** Tokens after BOS, without EOS. */
  tokens: number[];
  /** Sum of log-probabilities of the tokens and of EOS when finished (nats). */
  logProb: number;
  /** Ended with EOS (else the length limit stopped it). */
  finished: boolean;
}

/** Options of beam search. */
export interface BeamOptions {
  /** Beam width k (1 gives exactly greedy). */
  beam: number;
  /**
   * Length normalisation exponent alpha (default 0: plain log-probability): hypotheses
   * are ranked by logProb / ((5 + len) / 6)^alpha (GNMT), len counting EOS.
   */
  lengthPenalty?: number;
}

/** log-softmax in float64. */
export function logSoftmax(logits: Float32Array): Float64Array {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of logits) m = Math.max(m, v);
  let s = 0;
  for (const v of logits) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return Float64Array.from(logits, (v) => v - lse);
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/**
 * Greedy decoding of `n` examples, at most `maxLen` decoder positions each (maxLen - 1
 * tokens and EOS, or maxLen tokens without one).
 *
 * @example const hyps = await greedyDecode(next, 64, 11);
 */
export async function greedyDecode(
  next: NextTokenFn,
  n: number,
  maxLen: number,
  onToken?: (example: number, token: number) => void,
): Promise<Hypothesis[]> {
  const hyps: Hypothesis[] = Array.from({ length: n }, () => ({
    tokens: [],
    logProb: 0,
    finished: false,
  }));
  for (let t = 0; t < maxLen; t++) {
    const live = hyps.flatMap((h, i) => (h.finished ? [] : [i]));
    if (live.length === 0) break;
    const logits = await next(
      live.map((i) => [BOS, ...hyps[i].tokens]),
      live,
    );
    live.forEach((i, r) => {
      const lp = logSoftmax(logits[r]);
      const tok = argmax(lp);
      hyps[i].logProb += lp[tok];
      if (tok === EOS) hyps[i].finished = true;
      else {
        hyps[i].tokens.push(tok);
        onToken?.(i, tok);
      }
    });
  }
  return hyps;
}

/** Ranking score of a hypothesis under length penalty alpha. */
export function beamScore(h: Hypothesis, alpha: number): number {
  if (alpha === 0) return h.logProb;
  const len = h.tokens.length + (h.finished ? 1 : 0);
  return h.logProb / ((5 + len) / 6) ** alpha;
}

interface Beam {
  tokens: number[];
  logProb: number;
}

/**
 * Beam search of width k for `n` examples, batched: every live beam of every example is
 * one row of each call. A step ranks each beam's extensions by total log-probability;
 * those ending in EOS (ranked above the k-th live one) become finished hypotheses, the
 * best k others stay live. A live beam is dropped once even its best possible final
 * score (its log-probability, normalised at the length limit) cannot beat the best
 * finished hypothesis, so an example stops when none is left; at the length limit live
 * beams count as unfinished hypotheses. Returns the best hypothesis per example
 * (finished ones first). Width 1 is exactly greedy.
 *
 * @example const hyps = await beamDecode(next, 64, 11, { beam: 4 });
 */
export async function beamDecode(
  next: NextTokenFn,
  n: number,
  maxLen: number,
  opts: BeamOptions,
): Promise<Hypothesis[]> {
  const k = opts.beam;
  const alpha = opts.lengthPenalty ?? 0;
  if (!(Number.isInteger(k) && k >= 1))
    throw new Seq2seqModelError(`beam width (${k}) must be a positive integer`);
  if (!(alpha >= 0 && Number.isFinite(alpha)))
    throw new Seq2seqModelError(`lengthPenalty (${alpha}) must be a finite number >= 0`);
  let live: Beam[][] = Array.from({ length: n }, () => [{ tokens: [], logProb: 0 }]);
  const done: Hypothesis[][] = Array.from({ length: n }, () => []);
  const bound = alpha === 0 ? 1 : ((5 + maxLen) / 6) ** alpha;
  for (let t = 0; t < maxLen; t++) {
    const rows: { ex: number; beam: Beam }[] = [];
    live.forEach((beams, ex) => {
      for (const beam of beams) rows.push({ ex, beam });
    });
    if (rows.length === 0) break;
    const logits = await next(
      rows.map((r) => [BOS, ...r.beam.tokens]),
      rows.map((r) => r.ex),
    );
    const cands: { ex: number; beam: Beam; tok: number; logProb: number }[][] = live.map(() => []);
    rows.forEach((r, i) => {
      const lp = logSoftmax(logits[i]);
      for (let tok = 0; tok < lp.length; tok++)
        cands[r.ex].push({ ex: r.ex, beam: r.beam, tok, logProb: r.beam.logProb + lp[tok] });
    });
    live = cands.map((c, ex) => {
      if (c.length === 0) return [];
      c.sort((a, b) => b.logProb - a.logProb); // stable: ties keep beam, then token order
      const kept: Beam[] = [];
      for (const cand of c) {
        if (kept.length === k) break;
        const tokens = [...cand.beam.tokens];
        if (cand.tok === EOS) done[ex].push({ tokens, logProb: cand.logProb, finished: true });
        else kept.push({ tokens: [...tokens, cand.tok], logProb: cand.logProb });
      }
      // A live beam's log-probability can only fall, so its best possible score is at
      // the longest length; beams that cannot beat the best finished one are dropped.
      const best = Math.max(...done[ex].map((h) => beamScore(h, alpha)));
      return kept.filter((b) => b.logProb / bound > best);
    });
  }
  live.forEach((beams, ex) => {
    for (const b of beams) done[ex].push({ ...b, finished: false });
  });
  return done.map((hs) => {
    const pool = hs.some((h) => h.finished) ? hs.filter((h) => h.finished) : hs;
    let best = pool[0];
    for (const h of pool) if (beamScore(h, alpha) > beamScore(best, alpha)) best = h;
    return best;
  });
}
