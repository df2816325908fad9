import { Rng } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import {
  beamDecode,
  beamScore,
  EOS,
  greedyDecode,
  logSoftmax,
  type NextTokenFn,
} from './decode.js';

/** A seeded random "model": the logits are a fixed function of (example, prefix). */
function randomModel(vocab: number, seed: number, sharpness = 2): NextTokenFn {
  const memo = new Map<string, Float32Array>();
  return async (prefixes, examples) =>
    prefixes.map((p, r) => {
      const key = `${examples[r]}:${p.join(',')}`;
      let l = memo.get(key);
      if (!l) {
        const h = [...key].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, seed);
        l = Float32Array.from(new Rng(h).normal(vocab, 0, sharpness));
        memo.set(key, l);
      }
      return l;
    });
}

/** log P(tokens, EOS) under `next` for example `ex`. */
async function sequenceLogProb(next: NextTokenFn, ex: number, tokens: number[]): Promise<number> {
  let s = 0;
  const seq = [...tokens, EOS];
  for (let t = 0; t < seq.length; t++) {
    const [l] = await next([[1, ...seq.slice(0, t)]], [ex]);
    s += logSoftmax(l)[seq[t]];
  }
  return s;
}

describe('greedy and beam decoding', () => {
  it('beam width 1 is exactly greedy', async () => {
    const next = randomModel(6, 1);
    const greedy = await greedyDecode(next, 40, 8);
    const beam1 = await beamDecode(next, 40, 8, { beam: 1 });
    expect(beam1).toEqual(greedy);
    // Some end with EOS, some run into the length limit: both paths are covered.
    expect(greedy.some((h) => h.finished)).toBe(true);
    expect(greedy.some((h) => !h.finished && h.tokens.length === 8)).toBe(true);
  });

  it('reports the log-probability of what it returns', async () => {
    const next = randomModel(5, 2);
    const hyps = await beamDecode(next, 10, 6, { beam: 3 });
    for (const [ex, h] of hyps.entries())
      if (h.finished) expect(h.logProb).toBeCloseTo(await sequenceLogProb(next, ex, h.tokens), 9);
  });

  it('finds a more likely sequence than greedy where greedy is short-sighted', async () => {
    // Step 1: token 3 (0.6) or 4 (0.4). After 3 everything is flat (EOS 0.25);
    // after 4, EOS is almost certain. Best: [4] (0.4 * ~1) vs greedy's [3, ...] (<= 0.6 * 0.25).
    const next: NextTokenFn = async (prefixes) =>
      prefixes.map((p) => {
        const last = p[p.length - 1];
        if (p.length === 1) return Float32Array.from([-30, -30, -30, Math.log(0.6), Math.log(0.4)]);
        if (last === 4) return Float32Array.from([-30, -30, 0, -30, -30]);
        return Float32Array.from([-30, -30, 0, 0, 0]).map((v, i) => (i < 2 ? -30 : v));
      });
    const [g] = await greedyDecode(next, 1, 5);
    const [b] = await beamDecode(next, 1, 5, { beam: 2 });
    expect(g.tokens[0]).toBe(3);
    expect(b.tokens).toEqual([4]);
    expect(b.finished).toBe(true);
    expect(b.logProb).toBeGreaterThan(g.logProb + 0.5);
  });

  it('never returns a less likely sequence than greedy on random models (alpha 0)', async () => {
    for (const seed of [3, 4, 5]) {
      const next = randomModel(5, seed, 1.5);
      const g = await greedyDecode(next, 30, 6);
      const b = await beamDecode(next, 30, 6, { beam: 4 });
      b.forEach((h, i) => {
        if (g[i].finished) expect(h.logProb).toBeGreaterThanOrEqual(g[i].logProb - 1e-9);
      });
    }
  });

  it('ranks with a GNMT length penalty and checks its options', async () => {
    const h = { tokens: [3, 4], logProb: -2, finished: true };
    expect(beamScore(h, 0)).toBe(-2);
    expect(beamScore(h, 1)).toBeCloseTo(-2 / (8 / 6), 12);
    const next = randomModel(5, 6);
    await expect(beamDecode(next, 1, 4, { beam: 0 })).rejects.toThrow(
      'beam width (0) must be a positive integer',
    );
    await expect(beamDecode(next, 1, 4, { beam: 2, lengthPenalty: -1 })).rejects.toThrow(
      'lengthPenalty (-1) must be a finite number >= 0',
    );
    expect((await beamDecode(next, 3, 4, { beam: 3, lengthPenalty: 0.6 })).length).toBe(3);
  });
});
