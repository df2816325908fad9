/** Choosing the next token from logits (temperature, top-k, top-p) and stop strings. */
import { GptError } from './errors.js';

/** How the next token is drawn. */
export interface SamplingOptions {
  /** Softmax temperature; 0 is greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: all; 1: greedy). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability is >= topP (1: all). */
  topP?: number;
}

/** Throw a GptError unless the options are usable. */
export function checkSampling(o: SamplingOptions): void {
  const { temperature = 1, topK = 0, topP = 1 } = o;
  if (!(temperature >= 0 && Number.isFinite(temperature)))
    throw new GptError(`temperature (${temperature}) must be a finite number >= 0`);
  if (!(Number.isInteger(topK) && topK >= 0))
    throw new GptError(`topK (${topK}) must be an integer >= 0 (0: no limit)`);
  if (!(topP > 0 && topP <= 1)) throw new GptError(`topP (${topP}) must be in (0, 1]`);
}

/**
 * Draw a token from `logits` (one row [V]) with the uniform number `u` in [0, 1).
 * Candidates are ordered by logit (ties by id), cut to topK, then to the top-p nucleus of
 * the renormalized softmax(logits / temperature); `u` picks by the cumulative mass.
 * Temperature 0 or topK 1 return the argmax (first on ties).
 *
 * @example pickToken(Float32Array.of(0, 3, 1), { topK: 1 }, 0.7)   // 1
 */
export function pickToken(logits: ArrayLike<number>, o: SamplingOptions, u: number): number {
  const { temperature = 1, topK = 0, topP = 1 } = o;
  const v = logits.length;
  if (temperature === 0 || topK === 1) {
    let best = 0;
    for (let i = 1; i < v; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const order = Array.from({ length: v }, (_, i) => i).sort(
    (a, b) => logits[b] - logits[a] || a - b,
  );
  const kept = topK > 0 ? order.slice(0, Math.min(topK, v)) : order;
  const top = logits[kept[0]];
  const w = kept.map((i) => Math.exp((logits[i] - top) / temperature));
  let total = w.reduce((a, b) => a + b, 0);
  let n = kept.length;
  if (topP < 1) {
    let cum = 0;
    for (n = 0; n < kept.length; ) {
      cum += w[n++];
      if (cum >= topP * total) break;
    }
    total = cum;
  }
  let acc = 0;
  const target = u * total;
  for (let j = 0; j < n; j++) {
    acc += w[j];
    if (target < acc) return kept[j];
  }
  return kept[n - 1];
}

/**
 * Generated text of one sample with stop strings: `push` appends a piece and reports
 * whether a stop string has appeared (the text is then cut before it); `flushable` is the
 * text that can no longer turn into a stop string, for streaming.
 */
export class StopScanner {
  text = '';
  stopped = false;
  #emitted = 0;

  constructor(private readonly stops: readonly string[]) {
    if (stops.some((s) => typeof s !== 'string' || s.length === 0))
      throw new GptError('stop strings must be non-empty strings');
  }

  push(piece: string): boolean {
    if (this.stopped) return true;
    this.text += piece;
    let cut = -1;
    for (const s of this.stops) {
      // Only the tail can hold a new match: search from where one could start.
      const i = this.text.indexOf(s, Math.max(0, this.text.length - piece.length - s.length + 1));
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.text = this.text.slice(0, cut);
      this.stopped = true;
    }
    return this.stopped;
  }

  /** New text safe to show: all of it once stopped or at the end, else up to a possible stop prefix. */
  flush(final = false): string {
    let end = this.text.length;
    if (!this.stopped && !final) {
      for (const s of this.stops) {
        for (let k = Math.min(s.length - 1, this.text.length); k > 0; k--) {
          if (this.text.endsWith(s.slice(0, k))) {
            end = Math.min(end, this.text.length - k);
            break;
          }
        }
      }
    }
    const out = this.text.slice(this.#emitted, Math.max(end, this.#emitted));
    this.#emitted = Math.max(end, this.#emitted);
    return out;
  }
}
