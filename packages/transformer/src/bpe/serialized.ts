/**
 * The JSON form of a BpeTokenizer (what `toJSON()` returns and `fromJSON()` reads), compact
 * enough to live in a model's config.json: the tokens in id order, the merges as 'a b'
 * strings in rank order, the special tokens.
 */
import { BpeError } from './errors.js';
import type { BpeNames, BpeTable, BpeTokenizerSpec } from './table.js';

export const BPE_JSON_TYPE = 'byte-level-bpe';

/**
 * A serialized byte-level BPE tokenizer.
 *
 * @example { type: 'byte-level-bpe', tokens: ['!', '"', ...], merges: ['Ġ t', ...], specialTokens: ['<|endoftext|>'] }
 */
export interface BpeTokenizerJSON {
  type: typeof BPE_JSON_TYPE;
  /** The token of each id (null for an id no token has). */
  tokens: (string | null)[];
  /** Merges in rank order, 'a b' (byte-level tokens hold no space). */
  merges: string[];
  specialTokens: string[];
}

/** The JSON form of a table. */
export function tableToJSON(t: BpeTable): BpeTokenizerJSON {
  return {
    type: BPE_JSON_TYPE,
    tokens: Array.from({ length: t.size }, (_, id) => t.tokens.get(id) ?? null),
    merges: t.merges.map(([a, b]) => `${a} ${b}`),
    specialTokens: [...t.special.keys()],
  };
}

function stringArray(v: unknown, what: string, nulls: boolean): (string | null)[] {
  if (!Array.isArray(v)) throw new BpeError(`${what} must be an array, got ${typeof v}`);
  v.forEach((x, i) => {
    if (typeof x !== 'string' && !(nulls && x === null))
      throw new BpeError(
        `${what}[${i}] is ${JSON.stringify(x)}; expected a string${nulls ? ' or null' : ''}`,
      );
  });
  return v;
}

/** The spec and message names of a serialized tokenizer; `what` names it ('tokenizer'). */
export function specFromJSON(
  value: unknown,
  what: string,
): { spec: BpeTokenizerSpec; names: BpeNames } {
  const v = value as Partial<BpeTokenizerJSON> | null;
  if (typeof v !== 'object' || v === null || v.type !== BPE_JSON_TYPE)
    throw new BpeError(
      `${what} is not a serialized BPE tokenizer; expected an object with type '${BPE_JSON_TYPE}', got ${JSON.stringify(v?.type ?? v)}`,
    );
  const vocab = new Map<string, number>();
  stringArray(v.tokens, `${what}.tokens`, true).forEach((t, id) => {
    if (t === null) return;
    if (vocab.has(t))
      throw new BpeError(
        `${what}.tokens: ${JSON.stringify(t)} appears at ids ${vocab.get(t)} and ${id}; expected each token once`,
      );
    vocab.set(t, id);
  });
  const merges = stringArray(v.merges, `${what}.merges`, false).map((m, i): [string, string] => {
    const parts = (m as string).split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
      throw new BpeError(`${what}.merges[${i}] is ${JSON.stringify(m)}; expected 'a b'`);
    return [parts[0], parts[1]];
  });
  const specialTokens = stringArray(v.specialTokens, `${what}.specialTokens`, false) as string[];
  return {
    spec: { vocab, merges, specialTokens },
    names: { vocab: `${what}.tokens`, merge: (i) => `${what}.merges[${i}]` },
  };
}
