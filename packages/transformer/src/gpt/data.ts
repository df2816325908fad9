/**
 * Training text: read through the runtime's platform (a file on Node.js, a URL in
 * browsers), tokenized by @genmodels/datasets (imported on demand, so loading a model and
 * generating work without it), split nanoGPT-style, and the windows that score a whole
 * validation stream.
 */
import { type Rng, Tensor } from '@genmodels/runtime';
import { importOptional, readBytes } from '@genmodels/runtime/internal';
import { GptError } from './errors.js';
import { encodeWith, type GptTokenizer } from './tokenizer.js';
import { Vocabulary } from './vocab.js';

const datasets = () =>
  importOptional(
    () => import('@genmodels/datasets'),
    (why) =>
      new GptError(
        `training and evaluating on a corpus need @genmodels/datasets: install it next to @genmodels/transformer (${why})`,
      ),
  );

/**
 * A token stream as the GPT trains and is scored on it: what it needs of a corpus split.
 * `TextCorpus` of @genmodels/datasets (what {@link corpusFromText} and {@link readCorpus}
 * return) satisfies it structurally; declaring it here keeps the transformer's public
 * types whole without @genmodels/datasets installed.
 *
 * @example const { x, y } = corpus.train.randomBatch(new Rng(0), 32, 256); // int64 [32, 256]
 */
export interface TokenizedCorpus {
  /** Token ids, int32 [length]. */
  readonly ids: Int32Array;
  /** Number of tokens. */
  readonly length: number;
  /**
   * `batchSize` windows at random offsets o in [0, length - blockSize) (nanoGPT's get_batch):
   * x[b] = ids[o .. o+T), y[b] = ids[o+1 .. o+T+1), both int64 [batchSize, blockSize].
   */
  randomBatch(rng: Rng, batchSize: number, blockSize: number): { x: Tensor; y: Tensor };
}

/** A corpus split into train (first 90%) and validation (last 10%) token streams. */
export interface GptCorpus {
  /** Where the text came from (a file path, or a URL in browsers, as given), if known. */
  source?: string;
  /**
   * The character vocabulary (id = index): the text's sorted unique code points, or the
   * vocabulary it was encoded with; empty for a corpus encoded by a BPE `tokenizer`.
   */
  chars: readonly string[];
  /** The tokenizer that encoded it, when given one ({@link tokenizeCorpus}). */
  tokenizer?: GptTokenizer;
  train: TokenizedCorpus;
  val: TokenizedCorpus;
}

/** A token stream of given ids (what {@link tokenizeCorpus} splits into). */
class IdStream implements TokenizedCorpus {
  constructor(readonly ids: Int32Array) {}

  get length(): number {
    return this.ids.length;
  }

  randomBatch(rng: Rng, batchSize: number, blockSize: number): { x: Tensor; y: Tensor } {
    if (this.length < blockSize + 1)
      throw new GptError(
        `randomBatch: blockSize ${blockSize} needs at least ${blockSize + 1} tokens, the stream has ${this.length}`,
      );
    const starts = rng.integers(batchSize, 0, this.length - blockSize);
    const x = new BigInt64Array(batchSize * blockSize);
    const y = new BigInt64Array(batchSize * blockSize);
    for (let b = 0; b < batchSize; b++)
      for (let t = 0; t < blockSize; t++) {
        x[b * blockSize + t] = BigInt(this.ids[starts[b] + t]);
        y[b * blockSize + t] = BigInt(this.ids[starts[b] + t + 1]);
      }
    const shape = [batchSize, blockSize];
    return { x: new Tensor('int64', shape, x), y: new Tensor('int64', shape, y) };
  }
}

/**
 * `text` encoded by a given tokenizer (a model's: BPE, or its character vocabulary, which
 * must hold every character of the text), split into train (first 90%) and validation
 * tokens. Needs no @genmodels/datasets.
 *
 * @example const c = tokenizeCorpus(text, gpt.tokenizer, { source: 'poems.txt' });
 */
export function tokenizeCorpus(
  text: string,
  tokenizer: GptTokenizer,
  opts: { source?: string; trainFraction?: number } = {},
): GptCorpus {
  const what = opts.source ? `corpus '${opts.source}'` : 'corpus';
  if (text.length === 0) throw new GptError(`${what} is empty; expected some UTF-8 text`);
  const ids = Int32Array.from(encodeWith(tokenizer, text, what));
  if (ids.length < 20)
    throw new GptError(
      `${what} has only ${ids.length} tokens; expected at least 20 (so both splits hold text)`,
    );
  const f = opts.trainFraction ?? 0.9;
  if (!(f > 0 && f < 1)) throw new GptError(`trainFraction (${f}) must be in (0, 1)`);
  const cut = Math.floor(ids.length * f);
  return {
    source: opts.source,
    chars: tokenizer instanceof Vocabulary ? tokenizer.chars : [],
    tokenizer,
    train: new IdStream(ids.subarray(0, cut)),
    val: new IdStream(ids.subarray(cut)),
  };
}

/**
 * Split `text` into train and validation streams over the vocabulary of the whole text.
 *
 * @example const c = await corpusFromText('to be or not to be\n'.repeat(50));
 */
export async function corpusFromText(
  text: string,
  opts: { source?: string; trainFraction?: number } = {},
): Promise<GptCorpus> {
  const what = opts.source ? `corpus '${opts.source}'` : 'corpus';
  if (text.length === 0) throw new GptError(`${what} is empty; expected some UTF-8 text`);
  const { TextCorpus } = await datasets();
  const all = new TextCorpus(text);
  if (all.length < 20)
    throw new GptError(
      `${what} has only ${all.length} characters; expected at least 20 (so both splits hold text)`,
    );
  const { train, val } = all.split(opts.trainFraction ?? 0.9);
  return { source: opts.source, chars: all.tokenizer.chars, train, val };
}

/** The largest corpus file `readCorpus` reads unless told otherwise (64 MiB: a corpus that size tokenizes into about 0.5 GB). */
export const CORPUS_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Read a UTF-8 corpus file (a path on Node.js, a URL in browsers); a missing, empty or
 * special file (FIFO, device), or one over `maxBytes` (default {@link CORPUS_MAX_BYTES}, 64 MiB), is
 * a GptError naming it. The path is recorded as given (`source`), for information. With
 * `tokenizer` (a model's), the text is encoded by it ({@link tokenizeCorpus}); else its
 * characters are the vocabulary.
 */
export async function readCorpus(
  path: string,
  opts: { maxBytes?: number; tokenizer?: GptTokenizer } = {},
): Promise<GptCorpus> {
  let bytes: Uint8Array | null;
  try {
    bytes = await readBytes(path, { maxBytes: opts.maxBytes ?? CORPUS_MAX_BYTES });
  } catch (e) {
    throw new GptError(`cannot read the corpus: ${(e as Error).message}`);
  }
  if (!bytes)
    throw new GptError(
      `no corpus file at '${path}'; pass the path (in a browser, the URL) of a UTF-8 text file`,
    );
  const text = new TextDecoder().decode(bytes);
  if (opts.tokenizer) return tokenizeCorpus(text, opts.tokenizer, { source: path });
  return corpusFromText(text, { source: path });
}

/** A window of a token stream: inputs ids[start .. start+L), scored from offset `first` on. */
export interface ScoredWindow {
  start: number;
  first: number;
}

/**
 * Windows of length `len` that score every target of a stream of `n` tokens exactly once
 * (targets are ids[1..n-1]). Windows start every `stride` tokens; each scores only the
 * targets the previous ones did not, so after the first window every scored token sees at
 * least `len - stride` tokens of context (stride 1: the full `len - 1` for all of them).
 * The last window is moved back to end at the stream's last token.
 *
 * @example scoringWindows(10, 4, 2)   // starts 0, 2, 4, 5; firsts 0, 2, 2, 3
 */
export function scoringWindows(n: number, len: number, stride: number): ScoredWindow[] {
  if (!(len >= 1 && n >= len + 1))
    throw new GptError(
      `scoring windows: a stream of ${n} tokens is too short for windows of ${len}`,
    );
  if (!(Number.isInteger(stride) && stride >= 1 && stride <= len))
    throw new GptError(`scoring windows: stride (${stride}) must be an integer in [1, ${len}]`);
  const out: ScoredWindow[] = [];
  let done = 0; // targets 1..done are scored
  for (let s = 0; done < n - 1; s += stride) {
    const start = Math.min(s, n - 1 - len);
    const end = start + len; // last target of this window
    if (end > done) {
      out.push({ start, first: done - start });
      done = end;
    }
  }
  return out;
}
