/**
 * A byte-level BPE tokenizer (GPT-2's algorithm) that reads GPT-2's vocab.json + merges.txt
 * or a Hugging Face tokenizer.json, as text: no file system, so it runs in browsers too.
 */
import { byteOf, decodeUtf8, encodeUtf8, toByteChars } from './bytes.js';
import { BoundedCache } from './cache.js';
import { BpeError, show } from './errors.js';
import { gpt2FilesSpec } from './gpt2-files.js';
import { tokenizerJsonSpec } from './hf-json.js';
import { applyMerges } from './merge.js';
import { pretokenize, specialMatcher, splitSpecial } from './pretokenize.js';
import { type BpeTokenizerJSON, specFromJSON, tableToJSON } from './serialized.js';
import {
  type BpeNames,
  type BpeTable,
  type BpeTokenizerSpec,
  buildTable,
  DEFAULT_NAMES,
} from './table.js';

/** Options of the BpeTokenizer readers. */
export interface BpeTokenizerOptions {
  /**
   * Tokens matched whole in the text before pre-tokenization (each must be in the
   * vocabulary). Default: '<|endoftext|>' when vocab.json has it; tokenizer.json's
   * added_tokens; a serialized tokenizer's own list.
   */
  specialTokens?: readonly string[];
  /** Most distinct pre-tokens whose ids are kept (default 10,000; 0: no cache). */
  cacheSize?: number;
  /** How error messages name the vocabulary and merge i (the readers set them). */
  names?: BpeNames;
}

/** Options of `encode`. */
export interface BpeEncodeOptions {
  /**
   * Match special tokens in the text (default true). false encodes them as ordinary text,
   * for text that must not be able to inject an end-of-text token.
   */
  allowSpecial?: boolean;
}

/** Files a model directory may hold, as text or bytes (UTF-8). */
export type BpeFiles = Partial<
  Record<'tokenizer.json' | 'vocab.json' | 'merges.txt', string | Uint8Array>
>;

/**
 * GPT-2's byte-level BPE: special tokens are cut out whole, the rest is split by GPT-2's
 * pattern, each piece's UTF-8 bytes become byte-alphabet symbols, and merges apply lowest
 * rank first. Decoding maps tokens back to bytes; invalid UTF-8 becomes U+FFFD.
 *
 * @example
 * const tok = BpeTokenizer.fromGpt2Files(vocabJsonText, mergesTxtText);
 * const ids = tok.encode("Hello world!<|endoftext|>"); // e.g. [15496, 995, 0, 50256] with GPT-2's files
 * tok.decode(ids);                                      // "Hello world!<|endoftext|>"
 * const config = { tokenizer: tok.toJSON() };           // BpeTokenizer.fromJSON(config.tokenizer) reads it back
 */
export class BpeTokenizer {
  readonly #t: BpeTable;
  readonly #special: RegExp | null;
  readonly #cache: BoundedCache<number[]>;
  readonly #names: BpeNames;

  /** A tokenizer of `spec`; a BpeError names the first bad vocabulary entry or merge. */
  constructor(spec: BpeTokenizerSpec, opts: BpeTokenizerOptions = {}) {
    const s = opts.specialTokens ? { ...spec, specialTokens: opts.specialTokens } : spec;
    this.#t = buildTable(s, opts.names);
    this.#names = opts.names ?? DEFAULT_NAMES;
    this.#special = specialMatcher([...this.#t.special.keys()]);
    const cacheSize = opts.cacheSize ?? 10_000;
    if (!Number.isInteger(cacheSize) || cacheSize < 0)
      throw new BpeError(`cacheSize is ${cacheSize}; expected an integer >= 0`);
    this.#cache = new BoundedCache(cacheSize);
  }

  /** From the text of GPT-2's vocab.json and merges.txt. */
  static fromGpt2Files(
    vocabJson: string,
    mergesTxt: string,
    opts: BpeTokenizerOptions = {},
  ): BpeTokenizer {
    const { spec, names } = gpt2FilesSpec(vocabJson, mergesTxt, opts.specialTokens);
    return new BpeTokenizer(spec, { ...opts, names });
  }

  /** From the text of a Hugging Face tokenizer.json (a byte-level BPE, GPT-2's layout). */
  static fromTokenizerJson(json: string, opts: BpeTokenizerOptions = {}): BpeTokenizer {
    const { spec, names } = tokenizerJsonSpec(json, opts.specialTokens);
    return new BpeTokenizer(spec, { ...opts, names });
  }

  /**
   * From a model directory's files: tokenizer.json if there is one, else vocab.json and
   * merges.txt.
   *
   * @example BpeTokenizer.fromFiles({ 'vocab.json': await (await fetch(base + 'vocab.json')).text(), 'merges.txt': ... })
   */
  static fromFiles(files: BpeFiles, opts: BpeTokenizerOptions = {}): BpeTokenizer {
    const text = (f: string | Uint8Array) => (typeof f === 'string' ? f : decodeUtf8(f));
    const hf = files['tokenizer.json'];
    if (hf !== undefined) return BpeTokenizer.fromTokenizerJson(text(hf), opts);
    const vocab = files['vocab.json'];
    const merges = files['merges.txt'];
    if (vocab === undefined || merges === undefined)
      throw new BpeError(
        `no tokenizer among the files (${Object.keys(files).join(', ') || 'none'}); expected tokenizer.json, or vocab.json and merges.txt`,
      );
    return BpeTokenizer.fromGpt2Files(text(vocab), text(merges), opts);
  }

  /** From `toJSON()`'s object (e.g. a model config's `tokenizer` field); `what` names it in errors. */
  static fromJSON(
    value: unknown,
    opts: BpeTokenizerOptions & { what?: string } = {},
  ): BpeTokenizer {
    const { spec, names } = specFromJSON(value, opts.what ?? 'tokenizer');
    return new BpeTokenizer(spec, { ...opts, names });
  }

  /** Number of ids: the largest id + 1 (the rows an embedding needs). */
  get size(): number {
    return this.#t.size;
  }

  /** The special tokens, in the order given. */
  get specialTokens(): readonly string[] {
    return [...this.#t.special.keys()];
  }

  /** The id of `token` (a vocabulary string such as 'Ġthe'), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.#t.ids.get(token);
  }

  /** The vocabulary string of `id`, or undefined. */
  idToToken(id: number): string | undefined {
    return this.#t.tokens.get(id);
  }

  /** The ids of `text`. */
  encode(text: string, opts: BpeEncodeOptions = {}): number[] {
    if (typeof text !== 'string')
      throw new BpeError(`encode: expected a string, got ${typeof text}`);
    const ids: number[] = [];
    for (const piece of splitSpecial(text, opts.allowSpecial === false ? null : this.#special)) {
      if (piece.special) ids.push(this.#t.special.get(piece.text)!);
      else
        for (const word of pretokenize(piece.text))
          for (const id of this.#encodeWord(word)) ids.push(id);
    }
    return ids;
  }

  /** The vocabulary strings of `text`'s tokens (`encode` as tokens, e.g. ['Hello', 'Ġworld']). */
  tokenize(text: string, opts: BpeEncodeOptions = {}): string[] {
    return this.encode(text, opts).map((id) => this.#t.tokens.get(id)!);
  }

  /** The text of `ids`; bytes that are not valid UTF-8 decode as U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    const bytes: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const token = this.#t.tokens.get(id);
      if (token === undefined)
        throw new BpeError(
          `decode: ids[${i}] = ${id} is not a token id; expected an integer in [0, ${this.size}) that the vocabulary has`,
        );
      if (this.#t.special.has(token)) bytes.push(...encodeUtf8(token));
      else for (const c of token) bytes.push(byteOf(c)!);
    }
    return decodeUtf8(Uint8Array.from(bytes));
  }

  /** The JSON form (tokens in id order, merges, special tokens); `fromJSON` reads it back. */
  toJSON(): BpeTokenizerJSON {
    return tableToJSON(this.#t);
  }

  #encodeWord(word: string): number[] {
    const hit = this.#cache.get(word);
    if (hit !== undefined) return hit;
    const symbols = applyMerges([...toByteChars(word)], this.#t.ranks);
    const ids = symbols.map((s) => {
      const id = this.#t.ids.get(s);
      if (id !== undefined) return id;
      // Merge results are checked at load time, so only a single byte can be missing.
      const b = byteOf(s)!.toString(16).padStart(2, '0');
      throw new BpeError(
        `${this.#names.vocab} has no token for byte 0x${b} (${show(s)}), needed by ${show(word)}; ` +
          'expected all 256 byte tokens in a byte-level vocabulary',
      );
    });
    this.#cache.set(word, ids);
    return ids;
  }
}
