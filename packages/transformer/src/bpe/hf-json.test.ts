import { describe, expect, it } from 'vitest';
import { expectBpeError, fixture } from './testing.js';
import { BpeTokenizer } from './tokenizer.js';

/** The parts of tokenizer.json the tests edit. */
interface HfJson {
  model: Record<string, unknown> & { merges: unknown[] };
  pre_tokenizer: Record<string, unknown>;
  normalizer: unknown;
  added_tokens: { id: number; content: string; special?: boolean }[];
}

describe('tokenizer.json', () => {
  const base: HfJson = JSON.parse(fixture('tokenizer.json'));
  const edit = (change: (t: HfJson) => void) => () => {
    const t = structuredClone(base);
    change(t);
    return BpeTokenizer.fromTokenizerJson(JSON.stringify(t));
  };

  it.each<[string, (t: HfJson) => void, string]>([
    [
      'model type',
      (t) => (t.model.type = 'WordPiece'),
      `tokenizer.json model is "WordPiece"; expected an object with type 'BPE'`,
    ],
    [
      'no model',
      (t) => delete (t as Partial<HfJson>).model,
      `tokenizer.json model is missing; expected an object with type 'BPE'`,
    ],
    [
      'prefix space',
      (t) => (t.pre_tokenizer.add_prefix_space = true),
      'tokenizer.json pre_tokenizer is ',
    ],
    [
      'pre-tokenizer',
      (t) => (t.pre_tokenizer = { type: 'Metaspace' }),
      "expected GPT-2's { type: 'ByteLevel', add_prefix_space: false, use_regex: true }",
    ],
    [
      'normalizer',
      (t) => (t.normalizer = { type: 'NFC' }),
      'tokenizer.json normalizer is {"type":"NFC"}; expected null (no normalization)',
    ],
    [
      'subword prefix',
      (t) => (t.model.continuing_subword_prefix = '##'),
      `tokenizer.json model.continuing_subword_prefix is "##"; expected '' or null`,
    ],
    [
      'ignore_merges',
      (t) => (t.model.ignore_merges = true),
      'tokenizer.json model.ignore_merges is true; expected false',
    ],
    [
      'byte_fallback',
      (t) => (t.model.byte_fallback = true),
      'tokenizer.json model.byte_fallback is true; expected false',
    ],
    [
      'vocab',
      (t) => (t.model.vocab = ['a']),
      'tokenizer.json model.vocab must be an object of token -> id, got an array',
    ],
    [
      'merges',
      (t) => (t.model.merges = 'a b' as never),
      'tokenizer.json model.merges must be an array of merges, got string',
    ],
    [
      'a merge',
      (t) => (t.model.merges[3] = ['a', 'b', 'c']),
      `tokenizer.json model.merges[3] is ["a","b","c"]; expected 'a b' or ["a", "b"]`,
    ],
    ['a merge string', (t) => (t.model.merges[4] = 'ab'), 'tokenizer.json model.merges[4] is "ab"'],
    [
      'merge not in vocab',
      (t) => (t.model.merges[5] = ['q', 'z']),
      'tokenizer.json model.merges[5]: merge "q z" needs "qz", which is not a byte-level token of tokenizer.json model.vocab (with added_tokens)',
    ],
    [
      'added_tokens',
      (t) => (t.added_tokens = {} as never),
      'tokenizer.json added_tokens must be an array, got object',
    ],
    [
      'an added token',
      (t) => (t.added_tokens[0] = { content: 5 } as never),
      'tokenizer.json added_tokens[0] is {"content":5}; expected { id: number, content: string }',
    ],
    [
      'added token id',
      (t) => (t.added_tokens[0].id = 3),
      'tokenizer.json added_tokens[0]: "<|endoftext|>" has id 3 but model.vocab gives it 656; expected one id',
    ],
    [
      'added token clash',
      (t) => t.added_tokens.push({ id: 3, content: '<pad>' }),
      'tokenizer.json model.vocab (with added_tokens): id 3 is given to both',
    ],
  ])('%s', (_, change, message) => {
    expectBpeError(edit(change), message);
  });

  it('refuses text that is not a tokenizer', () => {
    expectBpeError(() => BpeTokenizer.fromTokenizerJson('{'), 'tokenizer.json is not valid JSON (');
    expectBpeError(
      () => BpeTokenizer.fromTokenizerJson('[]'),
      'tokenizer.json must be a JSON object, got an array',
    );
    expectBpeError(
      () => BpeTokenizer.fromTokenizerJson(undefined as never),
      'tokenizer.json: expected its text',
    );
  });

  it('adds added tokens the vocabulary lacks', () => {
    const tok = edit((t) => t.added_tokens.push({ id: 700, content: '<pad>', special: true }))();
    expect([tok.size, tok.specialTokens]).toEqual([701, ['<|endoftext|>', '<pad>']]);
    expect(tok.encode('a<pad>')).toEqual([tok.tokenToId('a'), 700]);
  });
});
