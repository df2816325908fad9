import { describe, expect, it } from 'vitest';
import { applyMerges, mergePair, pairKey } from './merge.js';

function ranks(...pairs: [string, string][]): Map<string, number> {
  return new Map(pairs.map(([a, b], r) => [pairKey(a, b), r]));
}

describe('applyMerges (worked by hand)', () => {
  it.each<[string, [string, string][], string[]]>([
    [
      'abc',
      [
        ['a', 'b'],
        ['b', 'c'],
        ['ab', 'c'],
      ],
      ['abc'],
    ],
    [
      'abc',
      [
        ['b', 'c'],
        ['a', 'b'],
      ],
      ['a', 'bc'],
    ], // once b and c merge, a and b are not adjacent
    [
      'abc',
      [
        ['b', 'c'],
        ['a', 'b'],
        ['a', 'bc'],
      ],
      ['abc'],
    ],
    [
      'abcd',
      [
        ['c', 'd'],
        ['a', 'b'],
      ],
      ['ab', 'cd'],
    ],
    ['aaa', [['a', 'a']], ['aa', 'a']], // left to right, without overlaps
    [
      'aaaa',
      [
        ['a', 'a'],
        ['aa', 'aa'],
      ],
      ['aaaa'],
    ],
    [
      'aba',
      [
        ['b', 'a'],
        ['a', 'b'],
      ],
      ['a', 'ba'],
    ], // the rank decides, not the position
    [
      'abab',
      [
        ['a', 'b'],
        ['ab', 'ab'],
      ],
      ['abab'],
    ], // all occurrences merge in one round
    ['xyz', [['a', 'b']], ['x', 'y', 'z']],
    ['x', [['x', 'x']], ['x']],
  ])('%s with %j', (word, merges, want) => {
    expect(applyMerges([...word], ranks(...merges))).toEqual(want);
  });

  it('merges every occurrence of a pair', () => {
    expect(mergePair(['a', 'b', 'c', 'a', 'b'], 'a', 'b')).toEqual(['ab', 'c', 'ab']);
    expect(mergePair([], 'a', 'b')).toEqual([]);
  });
});
