/**
 * The validated tables behind a BpeTokenizer: id <-> token, merge ranks and special tokens.
 * Every check names the entry (through `BpeNames`) and what was expected, so a bad
 * vocab.json, merges.txt or tokenizer.json fails at load time, not in the middle of a text.
 */
import { nonByteChar } from './bytes.js';
import { BpeError, show } from './errors.js';
import { pairKey } from './merge.js';

/** A byte-level BPE: vocabulary, merges in rank order, special tokens. */
export interface BpeTokenizerSpec {
  /** token -> id (GPT-2's vocab.json). Ids need not be dense; the size is the largest + 1. */
  vocab: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  /** Merges, lowest rank (applied first) first: [a, b] makes a + b. */
  merges: readonly (readonly [string, string])[];
  /**
   * Tokens matched whole before pre-tokenization, each in `vocab`, and the only tokens
   * that may hold characters outside the byte alphabet. Default: '<|endoftext|>' when
   * `vocab` has it.
   */
  specialTokens?: readonly string[];
}

/** How messages name the vocabulary and merge i (e.g. 'vocab.json', 'merges.txt line 9'). */
export interface BpeNames {
  vocab: string;
  merge: (i: number) => string;
}

export const END_OF_TEXT = '<|endoftext|>';

export const DEFAULT_NAMES: BpeNames = { vocab: 'vocab', merge: (i) => `merges[${i}]` };

/** The tables of a spec, checked. */
export interface BpeTable {
  /** id -> token (ids may have gaps). */
  tokens: Map<number, string>;
  /** Largest id + 1. */
  size: number;
  ids: Map<string, number>;
  /** pairKey(a, b) -> rank. */
  ranks: Map<string, number>;
  merges: [string, string][];
  /** Special token -> id, in the order given. */
  special: Map<string, number>;
}

function vocabEntries(vocab: BpeTokenizerSpec['vocab'], what: string): [string, number][] {
  if (vocab instanceof Map) return [...vocab.entries()];
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab))
    throw new BpeError(
      `${what} must be an object of token -> id, got ${Array.isArray(vocab) ? 'an array' : typeof vocab}`,
    );
  return Object.entries(vocab);
}

/** Ids stay below this, so a stray huge id cannot make the tokenizer allocate gigabytes. */
export const MAX_BPE_ID = 2 ** 24;

function buildIds(spec: BpeTokenizerSpec, what: string) {
  const tokens = new Map<number, string>();
  const ids = new Map<string, number>();
  for (const [token, id] of vocabEntries(spec.vocab, what)) {
    if (token.length === 0) throw new BpeError(`${what}: a token is empty; expected text`);
    if (!Number.isSafeInteger(id) || id < 0 || id >= MAX_BPE_ID)
      throw new BpeError(
        `${what}: token ${show(token)} has id ${JSON.stringify(id)}; expected an integer in [0, ${MAX_BPE_ID})`,
      );
    const other = tokens.get(id);
    if (other !== undefined)
      throw new BpeError(
        `${what}: id ${id} is given to both ${show(other)} and ${show(token)}; expected each id once`,
      );
    tokens.set(id, token);
    ids.set(token, id);
  }
  if (ids.size === 0) throw new BpeError(`${what} has no tokens; expected token -> id entries`);
  let size = 0;
  for (const id of tokens.keys()) size = Math.max(size, id + 1);
  return { tokens, ids, size };
}

function codePoint(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function buildSpecial(spec: BpeTokenizerSpec, ids: Map<string, number>, what: string) {
  const given = spec.specialTokens ?? (ids.has(END_OF_TEXT) ? [END_OF_TEXT] : []);
  const special = new Map<string, number>();
  for (const t of given) {
    const id = ids.get(t);
    if (typeof t !== 'string' || t.length === 0 || id === undefined)
      throw new BpeError(
        `special token ${show(t)} is not in ${what}; expected a token of the vocabulary`,
      );
    special.set(t, id);
  }
  for (const [token, id] of ids) {
    const c = special.has(token) ? undefined : nonByteChar(token);
    if (c !== undefined)
      throw new BpeError(
        `${what}: token ${show(token)} (id ${id}) holds ${show(c)} (${codePoint(c)}), ` +
          `which is none of GPT-2's 256 byte characters; expected byte-level tokens (or list it as a special token)`,
      );
  }
  return special;
}

function buildRanks(spec: BpeTokenizerSpec, t: Pick<BpeTable, 'ids' | 'special'>, n: BpeNames) {
  const ranks = new Map<string, number>();
  const merges: [string, string][] = [];
  spec.merges.forEach((m, r) => {
    const [a, b] = Array.isArray(m) ? m : [];
    if (!Array.isArray(m) || m.length !== 2 || typeof a !== 'string' || typeof b !== 'string')
      throw new BpeError(`${n.merge(r)}: expected a pair of two tokens, got ${JSON.stringify(m)}`);
    for (const part of [a, b, a + b]) {
      if (!t.ids.has(part) || t.special.has(part))
        throw new BpeError(
          `${n.merge(r)}: merge ${show(`${a} ${b}`)} needs ${show(part)}, which is not a byte-level token of ${n.vocab}; ` +
            'expected both parts and their concatenation in the vocabulary',
        );
    }
    const key = pairKey(a, b);
    const before = ranks.get(key);
    if (before !== undefined)
      throw new BpeError(
        `${n.merge(r)}: merge ${show(key)} repeats ${n.merge(before)}; expected each pair once`,
      );
    ranks.set(key, r);
    merges.push([a, b]);
  });
  return { ranks, merges };
}

/** Check `spec` and build its tables; a BpeError names the first bad entry. */
export function buildTable(spec: BpeTokenizerSpec, names: BpeNames = DEFAULT_NAMES): BpeTable {
  if (!Array.isArray(spec.merges))
    throw new BpeError(`${names.merge(0)}: expected an array of merges`);
  const { tokens, ids, size } = buildIds(spec, names.vocab);
  const special = buildSpecial(spec, ids, names.vocab);
  return { tokens, ids, size, special, ...buildRanks(spec, { ids, special }, names) };
}
