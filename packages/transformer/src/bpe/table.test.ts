import { describe, it } from 'vitest';
import { byteVocab, expectBpeError } from './testing.js';
import { BpeTokenizer } from './tokenizer.js';

describe('a spec given in code', () => {
  it.each<[string, () => unknown, string]>([
    [
      'vocab',
      () => new BpeTokenizer({ vocab: [] as never, merges: [] }),
      'vocab must be an object of token -> id, got an array',
    ],
    [
      'merges',
      () => new BpeTokenizer({ vocab: byteVocab(), merges: {} as never }),
      'merges[0]: expected an array of merges',
    ],
    [
      'a merge',
      () => new BpeTokenizer({ vocab: byteVocab(), merges: [['a']] as never }),
      'merges[0]: expected a pair of two tokens, got ["a"]',
    ],
    [
      'a merge part',
      () => new BpeTokenizer({ vocab: byteVocab(), merges: [['a', 5]] as never }),
      'merges[0]: expected a pair of two tokens, got ["a",5]',
    ],
    [
      'a null merge',
      () => new BpeTokenizer({ vocab: byteVocab(), merges: [null] as never }),
      'merges[0]: expected a pair of two tokens, got null',
    ],
    [
      'file text',
      () => BpeTokenizer.fromGpt2Files(undefined as never, ''),
      'vocab.json: expected its text (a string), got undefined',
    ],
  ])('%s', (_, make, message) => {
    expectBpeError(make, message);
  });
});
