import { describe, it } from 'vitest';
import { expectBpeError, vocabJson } from './testing.js';
import { BpeTokenizer } from './tokenizer.js';

describe('the JSON form', () => {
  const good = () => BpeTokenizer.fromGpt2Files(vocabJson('ab'), 'a b\n').toJSON();

  it.each<[string, unknown, string]>([
    [
      'not an object',
      'x',
      `tokenizer is not a serialized BPE tokenizer; expected an object with type 'byte-level-bpe', got "x"`,
    ],
    ['another type', { ...good(), type: 'chars' }, 'got "chars"'],
    ['tokens', { ...good(), tokens: 'ab' }, 'tokenizer.tokens must be an array, got string'],
    [
      'a token',
      { ...good(), tokens: [...good().tokens, 7] },
      'tokenizer.tokens[257] is 7; expected a string or null',
    ],
    [
      'a repeated token',
      { ...good(), tokens: [...good().tokens, 'a'] },
      'tokenizer.tokens: "a" appears at ids 97 and 257; expected each token once',
    ],
    ['a merge', { ...good(), merges: ['ab'] }, `tokenizer.merges[0] is "ab"; expected 'a b'`],
    [
      'specialTokens',
      { ...good(), specialTokens: undefined },
      'tokenizer.specialTokens must be an array, got undefined',
    ],
    [
      'an unknown merge',
      { ...good(), merges: ['a c'] },
      'tokenizer.merges[0]: merge "a c" needs "ac", which is not a byte-level token of tokenizer.tokens',
    ],
  ])('%s', (_, value, message) => {
    expectBpeError(() => BpeTokenizer.fromJSON(value), message);
  });

  it('names the field it came from', () => {
    expectBpeError(
      () => BpeTokenizer.fromJSON({ ...good(), merges: [1] }, { what: 'config.json tokenizer' }),
      'config.json tokenizer.merges[0] is 1; expected a string',
    );
  });
});
