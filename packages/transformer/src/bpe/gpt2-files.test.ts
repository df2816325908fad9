import { describe, expect, it } from 'vitest';
import { parseMergesTxt } from './gpt2-files.js';
import { expectBpeError, vocabJson } from './testing.js';
import { BpeTokenizer } from './tokenizer.js';

const gpt2 = (vocab: string, merges: string) => () => BpeTokenizer.fromGpt2Files(vocab, merges);

describe('merges.txt', () => {
  it('takes an optional #version line, CRLF line ends and blank lines at the end', () => {
    expect(parseMergesTxt('#version: 0.2\r\nĠ t\r\nh e\r\n\r\n\n')).toEqual({
      merges: [
        ['Ġ', 't'],
        ['h', 'e'],
      ],
      lines: [2, 3],
    });
    expect(parseMergesTxt('a b').merges).toEqual([['a', 'b']]);
    expect(parseMergesTxt('').merges).toEqual([]);
  });

  it('names the line of a malformed merge', () => {
    expectBpeError(
      () => parseMergesTxt('#version: 0.2\na b\na b c\n'),
      `merges.txt line 3: "a b c"; expected two tokens separated by one space ('Ġ t')`,
    );
    expectBpeError(
      () => parseMergesTxt('a b\n\nc d\n'),
      'merges.txt line 2: ""; expected two tokens',
    );
    expectBpeError(() => parseMergesTxt('a b\n\nc d\n'), '(blank lines only at the end)');
    expectBpeError(() => parseMergesTxt('a  b'), 'merges.txt line 1: "a  b"');
    expectBpeError(
      () => parseMergesTxt(5 as never),
      'merges.txt: expected its text (a string), got number',
    );
  });

  it('refuses merges whose parts or result the vocabulary lacks, and repeats', () => {
    expectBpeError(
      gpt2(vocabJson('ab'), '#version: 0.2\na b\nab c\n'),
      'merges.txt line 3: merge "ab c" needs "abc", which is not a byte-level token of vocab.json; expected both parts and their concatenation in the vocabulary',
    );
    expectBpeError(gpt2(vocabJson('xy'), 'xy z\n'), 'merges.txt line 1: merge "xy z" needs "xyz"');
    expectBpeError(
      gpt2(vocabJson('ab'), 'a b\na b\n'),
      'merges.txt line 2: merge "a b" repeats merges.txt line 1',
    );
    expectBpeError(
      gpt2(vocabJson('<|endoftext|>', '<|endoftext|>a'), '<|endoftext|> a\n'),
      'needs "<|endoftext|>", which is not a byte-level token',
    );
  });
});

describe('vocab.json', () => {
  it.each([
    ['{"a": 0,', 'vocab.json is not valid JSON ('],
    ['[1, 2]', 'vocab.json must be an object of token -> id, got an array'],
    ['null', 'vocab.json must be an object of token -> id, got null'],
    ['{}', 'vocab.json has no tokens; expected token -> id entries'],
    ['{"a": "0"}', 'vocab.json: token "a" has id "0"; expected a number'],
    ['{"a": -1}', 'vocab.json: token "a" has id -1; expected an integer in [0, 16777216)'],
    ['{"a": 0.5}', 'vocab.json: token "a" has id 0.5; expected an integer'],
    [
      '{"a": 16777216}',
      'vocab.json: token "a" has id 16777216; expected an integer in [0, 16777216)',
    ],
    ['{"a": 0, "b": 0}', 'vocab.json: id 0 is given to both "a" and "b"; expected each id once'],
    ['{"": 0}', 'vocab.json: a token is empty; expected text'],
    [
      '{"a": 0, "a b": 1}',
      `vocab.json: token "a b" (id 1) holds " " (U+0020), which is none of GPT-2's 256 byte characters; expected byte-level tokens (or list it as a special token)`,
    ],
  ])('%s', (text, message) => {
    expectBpeError(gpt2(text, ''), message);
  });

  it('names a special token the vocabulary lacks', () => {
    expectBpeError(
      () => BpeTokenizer.fromGpt2Files(vocabJson(), '', { specialTokens: ['<pad>'] }),
      'special token "<pad>" is not in vocab.json; expected a token of the vocabulary',
    );
  });
});
