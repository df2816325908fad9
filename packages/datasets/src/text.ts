/**
 * Character-level text data: a serializable tokenizer, a corpus with a nanoGPT-style
 * train/val split, random training blocks and a sequential pass over a validation stream.
 * Characters are Unicode code points (not UTF-16 units), so astral characters are one token.
 */

import { GenmodelsError, type Rng, Tensor } from '@genmodels/runtime';
import { readBytes } from '@genmodels/runtime/internal';
import type { NamedData } from './own-data/source.js';
import {
  DEFAULT_TEXT_MAX_BYTES,
  readTextFiles,
  type TextFilesOptions,
} from './own-data/text-files.js';

/**
 * A tokenizer was built, used or deserialized incorrectly (unknown char, bad id, bad JSON).
 * @example try { tok.encode('?'); } catch (e) { if (e instanceof TokenizerError) ... }
 */
export class TokenizerError extends GenmodelsError {}

/**
 * A corpus could not be read, split or batched (missing file, too short, bad sizes).
 * @example await TextCorpus.fromFile('missing.txt').catch((e) => e instanceof CorpusError) // true
 */
export class CorpusError extends GenmodelsError {}

/**
 * Conventional special-token strings. Nothing is special unless passed in `specials`.
 * @example CharTokenizer.fromText(text, { specials: Object.values(SPECIAL_TOKENS) }) // pad 0 .. unk 3
 */
export const SPECIAL_TOKENS = { pad: '<pad>', bos: '<bos>', eos: '<eos>', unk: '<unk>' } as const;

/** Serialized form of a {@link CharTokenizer} (plain JSON, safe to embed in a checkpoint). */
export interface CharTokenizerJSON {
  format: 'genmodels.char-tokenizer';
  version: 1;
  /** Special tokens in id order: ids 0..specials.length-1. */
  specials: string[];
  /** One code point per entry, in id order after the specials. */
  chars: string[];
}

const FORMAT = 'genmodels.char-tokenizer';
const codePoint = (c: string): number => c.codePointAt(0) ?? -1;
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Character tokenizer. Ids: the special tokens first, in the order given (so with
 * `specials: ['<pad>', '<bos>', '<eos>', '<unk>']`, pad = 0, bos = 1, eos = 2, unk = 3), then
 * the corpus's unique code points sorted by code point (Python's `sorted(set(text))`, so
 * tiny-shakespeare gives nanoGPT's 65-symbol vocabulary and ids when there are no specials).
 * `encode` reads text as plain characters: the string '<eos>' in a text is five characters;
 * use {@link CharTokenizer.id} for special ids. A one-character special token (e.g. '\n' as a
 * separator) is the exception: that character encodes to the special id.
 *
 * @example
 * const tok = CharTokenizer.fromText('hello', { specials: ['<pad>', '<unk>'] });
 * tok.vocabSize;                // 6: '<pad>', '<unk>', 'e', 'h', 'l', 'o'
 * tok.encode('hole?');          // Int32Array [3, 5, 4, 2, 1] ('?' -> <unk>)
 * tok.decode([3, 2, 4, 4, 5]);  // 'hello'
 */
export class CharTokenizer {
  /** Special tokens, ids 0..specials.length-1. */
  readonly specials: readonly string[];
  /** Ordinary characters, ids specials.length.. in order. */
  readonly chars: readonly string[];
  private readonly toId = new Map<number, number>();
  private readonly specialIds = new Map<string, number>();
  private readonly unk: number;

  /**
   * Prefer {@link CharTokenizer.fromText}. `chars` must be single, distinct code points;
   * `specials` distinct non-empty strings that are not also in `chars`.
   * @example new CharTokenizer(['a', 'b'], ['<pad>']).encode('ba') // Int32Array [2, 1]
   */
  constructor(chars: readonly string[], specials: readonly string[] = []) {
    specials.forEach((s, i) => {
      if (typeof s !== 'string' || s.length === 0)
        throw new TokenizerError(`CharTokenizer: special token ${i} must be a non-empty string`);
      if (this.specialIds.has(s))
        throw new TokenizerError(`CharTokenizer: special token '${s}' appears twice`);
      this.specialIds.set(s, i);
      // A one-character special token is also what `encode` maps that character to.
      if ([...s].length === 1) this.toId.set(codePoint(s), i);
    });
    chars.forEach((c, i) => {
      const id = specials.length + i;
      if (typeof c !== 'string' || [...c].length !== 1)
        throw new TokenizerError(
          `CharTokenizer: chars[${i}] (${JSON.stringify(c)}) must be exactly one code point`,
        );
      if (this.toId.has(codePoint(c)) || this.specialIds.has(c))
        throw new TokenizerError(`CharTokenizer: character ${JSON.stringify(c)} appears twice`);
      this.toId.set(codePoint(c), id);
    });
    this.specials = Object.freeze([...specials]);
    this.chars = Object.freeze([...chars]);
    this.unk = this.specialIds.get(SPECIAL_TOKENS.unk) ?? -1;
  }

  /**
   * Vocabulary of the sorted unique code points of `text`, after `specials`.
   * @example CharTokenizer.fromText('abca').chars // ['a', 'b', 'c']
   */
  static fromText(text: string, options: { specials?: readonly string[] } = {}): CharTokenizer {
    if (typeof text !== 'string')
      throw new TokenizerError(`CharTokenizer.fromText: text must be a string, got ${typeof text}`);
    const specials = options.specials ?? [];
    const singles = new Set(specials.filter((s) => [...s].length === 1).map(codePoint));
    const points = new Set<number>();
    for (const c of text) points.add(codePoint(c));
    // A one-character special token keeps its special id; it is not also an ordinary char.
    const sorted = [...points].filter((p) => !singles.has(p)).sort((a, b) => a - b);
    return new CharTokenizer(
      sorted.map((p) => String.fromCodePoint(p)),
      specials,
    );
  }

  /**
   * Rebuilds a tokenizer from {@link CharTokenizer.toJSON} output (object or JSON string).
   * @example CharTokenizer.fromJSON(JSON.stringify(tok)).encode('hi')
   */
  static fromJSON(json: CharTokenizerJSON | string): CharTokenizer {
    let v: unknown = json;
    if (typeof json === 'string') {
      try {
        v = JSON.parse(json);
      } catch (e) {
        throw new TokenizerError(`CharTokenizer.fromJSON: invalid JSON (${(e as Error).message})`);
      }
    }
    const o = (v ?? {}) as Partial<CharTokenizerJSON>;
    if (o.format !== FORMAT || o.version !== 1)
      throw new TokenizerError(
        `CharTokenizer.fromJSON: format ${JSON.stringify(o.format)} version ${JSON.stringify(o.version)}; expected '${FORMAT}' version 1`,
      );
    if (!isStringArray(o.specials) || !isStringArray(o.chars))
      throw new TokenizerError(
        'CharTokenizer.fromJSON: `specials` and `chars` must be string arrays',
      );
    return new CharTokenizer(o.chars, o.specials);
  }

  /** Plain-JSON form; `JSON.stringify(tokenizer)` uses it. @example tok.toJSON().chars */
  toJSON(): CharTokenizerJSON {
    return { format: FORMAT, version: 1, specials: [...this.specials], chars: [...this.chars] };
  }

  /** Number of ids: specials plus characters. @example CharTokenizer.fromText('ab').vocabSize // 2 */
  get vocabSize(): number {
    return this.specials.length + this.chars.length;
  }

  /**
   * Id of a special token or a single character; throws if absent.
   * @example tok.id('<eos>'); tok.id('a');
   */
  id(token: string): number {
    const id =
      this.specialIds.get(token) ??
      ([...token].length === 1 ? this.toId.get(codePoint(token)) : undefined);
    if (id === undefined)
      throw new TokenizerError(
        `CharTokenizer.id: token ${JSON.stringify(token)} is not in the vocabulary`,
      );
    return id;
  }

  /** True when `token` is a special token or a known character. @example tok.has('<unk>') */
  has(token: string): boolean {
    return (
      this.specialIds.has(token) || ([...token].length === 1 && this.toId.has(codePoint(token)))
    );
  }

  /**
   * Ids of the code points of `text`, shape [text length in code points]. Unknown characters
   * become '<unk>' when it is a special token, otherwise throw naming the char and position.
   * @example CharTokenizer.fromText('ab').encode('ba') // Int32Array [1, 0]
   */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length); // >= code point count; trimmed below
    let n = 0;
    for (const c of text) {
      const id = this.toId.get(codePoint(c)) ?? this.unk;
      if (id < 0)
        throw new TokenizerError(
          `CharTokenizer.encode: character ${JSON.stringify(c)} (U+${codePoint(c).toString(16).toUpperCase().padStart(4, '0')}) at position ${n} is not in the vocabulary and there is no '${SPECIAL_TOKENS.unk}' token`,
        );
      out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /**
   * Text of `ids` (special tokens written as themselves unless `skipSpecial`).
   * @example tok.decode(tok.encode('hi')) // 'hi'
   */
  decode(ids: ArrayLike<number | bigint>, options: { skipSpecial?: boolean } = {}): string {
    const parts: string[] = [];
    const k = this.specials.length;
    for (let i = 0; i < ids.length; i++) {
      const id = Number(ids[i]);
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
        throw new TokenizerError(
          `CharTokenizer.decode: id ${String(ids[i])} at position ${i} is outside [0, ${this.vocabSize})`,
        );
      if (id >= k) parts.push(this.chars[id - k]);
      else if (!options.skipSpecial) parts.push(this.specials[id]);
    }
    return parts.join('');
  }
}

/** Options of {@link TextCorpus}. */
export interface TextCorpusOptions {
  /** Tokenizer to use; default: `CharTokenizer.fromText(text, { specials })`. */
  tokenizer?: CharTokenizer;
  /** Special tokens for the default tokenizer. */
  specials?: readonly string[];
  /** `fromFile` / `fromFiles`: refuse more than this many bytes of text. Default 64 MiB. */
  maxBytes?: number;
}

/** One block batch: inputs and next-token targets, both int64 [B, T]. */
export interface TextBatch {
  x: Tensor<'int64'>;
  y: Tensor<'int64'>;
}

/** A sequential batch; `mask` bool [B, T] is true where a target is counted (see below). */
export interface SequentialTextBatch extends TextBatch {
  mask: Tensor<'bool'>;
}

function checkSize(method: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new CorpusError(`TextCorpus.${method}: ${name} (${v}) must be a positive integer`);
}

/**
 * A token stream: `ids` int32 [N] plus the tokenizer that made it.
 *
 * @example
 * const corpus = new TextCorpus('to be or not to be');
 * const { train, val } = corpus.split(0.9);
 * const { x, y } = train.randomBatch(new Rng(0), 4, 8); // int64 [4, 8] each
 */
export class TextCorpus {
  readonly tokenizer: CharTokenizer;
  /** Token ids, int32 [length]. */
  readonly ids: Int32Array;

  /**
   * Encodes `text` (a string) or wraps already-encoded `ids` with their tokenizer.
   * @example new TextCorpus('abc').ids // Int32Array [0, 1, 2]
   */
  constructor(text: string | Int32Array, options: TextCorpusOptions = {}) {
    if (typeof text === 'string') {
      this.tokenizer =
        options.tokenizer ?? CharTokenizer.fromText(text, { specials: options.specials });
      this.ids = this.tokenizer.encode(text);
    } else {
      if (!options.tokenizer)
        throw new CorpusError('TextCorpus: building from ids needs options.tokenizer');
      this.tokenizer = options.tokenizer;
      this.ids = text;
    }
  }

  /**
   * Reads a UTF-8 text file: a path on Node.js, a URL in browsers (fetched). Text already in
   * memory (a pasted string, `await file.text()` of a `File`) goes to `new TextCorpus(text)`.
   * A missing or unreadable file (a FIFO, a device, more than `maxBytes`, default 64 MiB)
   * throws a {@link CorpusError} naming it. A folder of text files: {@link TextCorpus.fromFiles}.
   * @example const corpus = await TextCorpus.fromFile('data/tinyshakespeare.txt');
   */
  static async fromFile(path: string, options: TextCorpusOptions = {}): Promise<TextCorpus> {
    let bytes: Uint8Array | null;
    try {
      bytes = await readBytes(path, { maxBytes: options.maxBytes ?? DEFAULT_TEXT_MAX_BYTES });
    } catch (e) {
      throw new CorpusError(`TextCorpus.fromFile: ${(e as Error).message}`);
    }
    if (!bytes)
      throw new CorpusError(
        `TextCorpus.fromFile: no file at '${path}'; pass the path (or, in a browser, the URL) of a UTF-8 text file, or build the corpus from a string with new TextCorpus(text)`,
      );
    return new TextCorpus(new TextDecoder().decode(bytes), options);
  }

  /**
   * A corpus of the user's own text: a file, a folder of `.txt` files (recursively, sorted,
   * joined by a newline; Node.js) or a list of `File` / `{ name, bytes }` entries, read by
   * {@link readTextFiles} (whose errors, DataReadError and its kinds, pass through).
   * @example const corpus = await TextCorpus.fromFiles('data/poems', { separator: '\n\n' });
   */
  static async fromFiles(
    source: string | readonly (File | NamedData)[],
    options: TextCorpusOptions & Omit<TextFilesOptions, 'maxBytes'> = {},
  ): Promise<TextCorpus> {
    const { text } = await readTextFiles(source, options);
    return new TextCorpus(text, options);
  }

  /** Number of tokens. @example new TextCorpus('abc').length // 3 */
  get length(): number {
    return this.ids.length;
  }

  /** The corpus decoded back to text. @example new TextCorpus('abc').text // 'abc' */
  get text(): string {
    return this.tokenizer.decode(this.ids);
  }

  /**
   * First `floor(length * fraction)` tokens as train, the rest as val (nanoGPT's
   * shakespeare_char split); both share this corpus's tokenizer (vocabulary of the whole text).
   * @example const { train, val } = new TextCorpus('abcdefghij').split(0.8); // 8 / 2 tokens
   */
  split(fraction = 0.9): { train: TextCorpus; val: TextCorpus } {
    const cut = Math.floor(this.length * fraction);
    if (!(fraction > 0 && fraction < 1) || cut < 1 || cut >= this.length)
      throw new CorpusError(
        `TextCorpus.split: fraction ${fraction} of ${this.length} tokens leaves an empty part; expected 0 < fraction < 1 with both parts non-empty`,
      );
    const opts = { tokenizer: this.tokenizer };
    return {
      train: new TextCorpus(this.ids.subarray(0, cut), opts),
      val: new TextCorpus(this.ids.subarray(cut), opts),
    };
  }

  private needBlock(method: string, blockSize: number): void {
    if (this.length < blockSize + 1)
      throw new CorpusError(
        `TextCorpus.${method}: blockSize ${blockSize} needs at least ${blockSize + 1} tokens, corpus has ${this.length}`,
      );
  }

  /**
   * `batchSize` blocks at uniform random offsets in [0, length - blockSize), as nanoGPT's
   * get_batch: x[b] = ids[o .. o+T), y[b] = ids[o+1 .. o+T+1). Draws batchSize integers from `rng`.
   * @example const { x, y } = corpus.randomBatch(new Rng(1), 32, 128); // int64 [32, 128]
   */
  randomBatch(rng: Rng, batchSize: number, blockSize: number): TextBatch {
    checkSize('randomBatch', 'batchSize', batchSize);
    checkSize('randomBatch', 'blockSize', blockSize);
    this.needBlock('randomBatch', blockSize);
    const starts = rng.integers(batchSize, 0, this.length - blockSize);
    const x = new BigInt64Array(batchSize * blockSize);
    const y = new BigInt64Array(batchSize * blockSize);
    for (let b = 0; b < batchSize; b++) this.fillRow(x, y, b * blockSize, starts[b], blockSize);
    const shape = [batchSize, blockSize];
    return { x: new Tensor('int64', shape, x), y: new Tensor('int64', shape, y) };
  }

  private fillRow(x: BigInt64Array, y: BigInt64Array, at: number, start: number, T: number): void {
    const ids = this.ids;
    for (let t = 0; t < T; t++) {
      x[at + t] = BigInt(ids[start + t]);
      y[at + t] = BigInt(ids[start + t + 1]);
    }
  }

  /**
   * Number of batches {@link TextCorpus.sequentialBatches} yields.
   * @example new TextCorpus('abcdefghij').sequentialBatchCount(2, 4) // 2 (3 blocks)
   */
  sequentialBatchCount(batchSize: number, blockSize: number): number {
    checkSize('sequentialBatchCount', 'batchSize', batchSize);
    checkSize('sequentialBatchCount', 'blockSize', blockSize);
    this.needBlock('sequentialBatchCount', blockSize);
    return Math.ceil(Math.ceil((this.length - 1) / blockSize) / batchSize);
  }

  /**
   * One pass over the whole stream for evaluation: every target ids[1..length-1] is counted
   * exactly once. Blocks start at 0, T, 2T, ...; when (length - 1) is not a multiple of T, the
   * last block is the final T + 1 tokens (overlapping its predecessor, so it keeps full context
   * and shape [., T]) and its `mask` is true only on the r = (length - 1) mod T new targets.
   * Batches hold batchSize blocks; the last batch may hold fewer rows. Average a loss with
   * sum(loss * mask) / sum(mask).
   * @example for (const { x, y, mask } of val.sequentialBatches(32, 128)) { ... } // int64 [<=32, 128]
   */
  *sequentialBatches(batchSize: number, blockSize: number): Generator<SequentialTextBatch> {
    const count = this.sequentialBatchCount(batchSize, blockSize);
    const T = blockSize;
    const targets = this.length - 1;
    const blocks = Math.ceil(targets / T);
    const tail = targets % T; // 0 means the last block is full
    for (let k = 0; k < count; k++) {
      const rows = Math.min(batchSize, blocks - k * batchSize);
      const x = new BigInt64Array(rows * T);
      const y = new BigInt64Array(rows * T);
      const mask = new Uint8Array(rows * T).fill(1);
      for (let r = 0; r < rows; r++) {
        const block = k * batchSize + r;
        const last = block === blocks - 1 && tail > 0;
        this.fillRow(x, y, r * T, last ? targets - T : block * T, T);
        if (last) mask.fill(0, r * T, r * T + T - tail);
      }
      const shape = [rows, T];
      yield {
        x: new Tensor('int64', shape, x),
        y: new Tensor('int64', shape, y),
        mask: new Tensor('bool', shape, mask),
      };
    }
  }
}
