/**
 * What turns a GPT's text into ids and back: its own character {@link Vocabulary}, or a
 * byte-level {@link BpeTokenizer} (GPT-2's, for a model read from a GPT-2 directory). Both
 * are stored in the model directory's config.json: `vocab: string[]` (characters) or
 * `tokenizer: BpeTokenizerJSON` (`type: 'byte-level-bpe'`).
 */
import { BpeTokenizer, type BpeTokenizerJSON } from '../bpe/index.js';
import { GptError } from './errors.js';
import { Vocabulary } from './vocab.js';

/** A GPT's tokenizer. */
export type GptTokenizer = Vocabulary | BpeTokenizer;

/** config.json's tokenizer fields: one of `vocab` (characters) or `tokenizer` (BPE). */
export interface StoredTokenizer {
  vocab?: string[];
  tokenizer?: BpeTokenizerJSON;
}

/** The config.json fields of `tok`. */
export function storeTokenizer(tok: GptTokenizer): StoredTokenizer {
  return tok instanceof Vocabulary ? { vocab: [...tok.chars] } : { tokenizer: tok.toJSON() };
}

/** The tokenizer of config.json's fields; `where` names the model in errors. */
export function loadTokenizer(
  stored: Readonly<Record<string, unknown>>,
  where: string,
): GptTokenizer {
  if (stored.tokenizer !== undefined) {
    try {
      return BpeTokenizer.fromJSON(stored.tokenizer, { what: 'config.json tokenizer' });
    } catch (e) {
      throw new GptError(`${where}: ${(e as Error).message}`);
    }
  }
  if (!Array.isArray(stored.vocab))
    throw new GptError(
      `${where}: the GPT config has neither a vocabulary ('vocab') nor a tokenizer ('tokenizer')`,
    );
  return new Vocabulary(stored.vocab as string[]);
}

/** A short description for messages: '65-character vocabulary' or '50257-token BPE tokenizer'. */
export function describeTokenizer(tok: GptTokenizer): string {
  return tok instanceof Vocabulary
    ? `${tok.size}-character vocabulary`
    : `${tok.size}-token BPE tokenizer`;
}

/**
 * The tokenizer must fit the network's embedding: a vocabulary has exactly one character
 * per row; a BPE tokenizer's ids must all have a row (checkpoints may pad the embedding).
 */
export function checkTokenizerSize(tok: GptTokenizer, vocabSize: number, where: string): void {
  const ok = tok instanceof Vocabulary ? tok.size === vocabSize : tok.size <= vocabSize;
  if (!ok)
    throw new GptError(
      `${where}: the ${describeTokenizer(tok)} does not fit the network's vocabSize ${vocabSize}`,
    );
}

/** The ids of `text`; `what` names it in errors (a GptError lists characters a vocabulary lacks). */
export function encodeWith(tok: GptTokenizer, text: string, what: string): number[] {
  if (tok instanceof Vocabulary) return tok.encode(text, what);
  try {
    return tok.encode(text);
  } catch (e) {
    throw new GptError(`${what}: ${(e as Error).message}`);
  }
}

/** The id a generation from an empty prompt starts at: '\n' if it is one token, else id 0. */
export function startId(tok: GptTokenizer): number {
  if (tok instanceof Vocabulary) return tok.has('\n') ? tok.encode('\n')[0] : 0;
  const nl = tok.encode('\n');
  return nl.length === 1 ? nl[0] : 0;
}

/**
 * Text of a stream of ids, piece by piece: a BPE token may end inside a UTF-8 character,
 * so a piece is held back while its text ends in an incomplete character (at most 3 tokens).
 */
export class TextStream {
  #pending: number[] = [];

  constructor(private readonly tok: GptTokenizer) {}

  /** The new text that `id` completes ('' while it is held back). */
  push(id: number): string {
    if (this.tok instanceof Vocabulary) return this.tok.decode([id]);
    this.#pending.push(id);
    const text = this.tok.decode(this.#pending);
    if (text.endsWith('\uFFFD') && this.#pending.length < 4) return '';
    this.#pending = [];
    return text;
  }
}
