/**
 * Autoregressive generation with or without a KV cache. Context policy: the model sees
 * the tokens of the current window at positions 0..len-1. When a new token would make the
 * window longer than blockSize, the window slides: it keeps its last `windowKeep` tokens
 * (default blockSize / 2) and they are prefilled again at positions from 0 (learned
 * absolute positions make the old cache useless after a shift). Both paths follow this
 * same policy, so they produce the same tokens; with the cache each token costs one
 * position except at a slide.
 */
import { type Executable, Rng } from '@genmodels/runtime';
import type { GptConfig } from './config.js';
import { type Cache, runDecoder } from './decoder.js';
import { GptError } from './errors.js';
import { checkSampling, pickToken, type SamplingOptions, StopScanner } from './sampling.js';
import { encodeWith, type GptTokenizer, startId, TextStream } from './tokenizer.js';
import { Vocabulary } from './vocab.js';

/** Options of `GPT.generate`. */
export interface GenerateOptions extends SamplingOptions {
  /** Text to continue (at most blockSize tokens; for a character model, all in its vocabulary). Default ''. */
  prompt?: string;
  /** New tokens per sample (default 256). */
  tokens?: number;
  /** Samples drawn together as one batch (default 1). */
  n?: number;
  /** Seeds the draws (default 0). */
  seed?: number;
  /** A sample ends when its new text contains one of these (the text is cut before it). */
  stop?: readonly string[];
  /** New text of the first sample as it is generated (held back while it may be a stop string's start). */
  onText?: (text: string) => void;
  /** Use the KV cache (default true); false re-runs the whole window for every token. */
  kvCache?: boolean;
  /** Tokens kept when the window slides (default floor(blockSize / 2)). */
  windowKeep?: number;
  signal?: AbortSignal;
}

export interface GenerateResult {
  /** Prompt plus new text, per sample. */
  texts: string[];
  /** New text only, per sample. */
  completions: string[];
  /** New token ids, per sample (up to a stop; with BPE, up to the token that holds its start). */
  tokens: number[][];
  /** Decoder calls made (prefills and steps). */
  calls: number;
}

/** The first window: the prompt's ids, or '\n' (else id 0) to start from nothing. */
export function promptIds(tok: GptTokenizer, cfg: GptConfig, prompt: string): number[] {
  const ids = encodeWith(tok, prompt, 'prompt');
  const unit = tok instanceof Vocabulary ? 'characters' : 'tokens';
  if (ids.length > cfg.blockSize)
    throw new GptError(
      `prompt has ${ids.length} ${unit} but the model's context (blockSize) is ${cfg.blockSize}; shorten it to its last ${cfg.blockSize} ${unit}`,
    );
  if (ids.length > 0) return ids;
  return [startId(tok)];
}

/** Generate with the compiled decoder `exe` (see decoder.ts). */
export async function generate(
  exe: Executable,
  cfg: GptConfig,
  tok: GptTokenizer,
  o: GenerateOptions = {},
): Promise<GenerateResult> {
  const { prompt = '', tokens = 256, n = 1, seed = 0, kvCache = true } = o;
  checkSampling(o);
  if (!(Number.isInteger(tokens) && tokens >= 1))
    throw new GptError(`tokens (${tokens}) must be a positive integer`);
  if (!(Number.isInteger(n) && n >= 1)) throw new GptError(`n (${n}) must be a positive integer`);
  const keep = o.windowKeep ?? Math.floor(cfg.blockSize / 2);
  if (!(Number.isInteger(keep) && keep >= 1 && keep <= cfg.blockSize))
    throw new GptError(`windowKeep (${keep}) must be an integer in [1, ${cfg.blockSize}]`);
  const start = promptIds(tok, cfg, prompt);
  const rng = new Rng(seed);
  const made: number[][] = Array.from({ length: n }, () => []);
  const scanners = Array.from({ length: n }, () => new StopScanner(o.stop ?? []));
  const streams = Array.from({ length: n }, () => new TextStream(tok));
  // The current window of each row: the shared prompt, then the row's own tokens.
  let ctx: number[][] = Array.from({ length: n }, () => start.slice());
  let calls = 1;
  let r = await runDecoder(exe, cfg, ctx, 0, null);
  let cache: Cache = r.present;
  for (let step = 0; step < tokens; step++) {
    o.signal?.throwIfAborted();
    const u = rng.uniform(n);
    const next = r.last.map((logits, b) => pickToken(logits, o, u[b]));
    next.forEach((t, b) => {
      if (!scanners[b].stopped) {
        made[b].push(t);
        scanners[b].push(streams[b].push(t));
      }
      ctx[b].push(t);
    });
    const piece = scanners[0].flush();
    if (piece) o.onText?.(piece);
    if (step === tokens - 1 || scanners.every((s) => s.stopped)) break;
    calls++;
    if (ctx[0].length > cfg.blockSize) {
      ctx = ctx.map((c) => c.slice(c.length - keep));
      r = await runDecoder(exe, cfg, ctx, 0, null);
    } else if (kvCache) {
      r = await runDecoder(
        exe,
        cfg,
        next.map((t) => [t]),
        ctx[0].length - 1,
        cache,
      );
    } else {
      r = await runDecoder(exe, cfg, ctx, 0, null);
    }
    cache = r.present;
  }
  const tail = scanners[0].flush(true);
  if (tail) o.onText?.(tail);
  const completions = scanners.map((s) => s.text);
  return {
    texts: completions.map((c) => prompt + c),
    completions,
    // A character is one token; a BPE sample keeps every token it made before its stop.
    tokens: made.map((m, b) =>
      tok instanceof Vocabulary ? m.slice(0, [...completions[b]].length) : m,
    ),
    calls,
  };
}
