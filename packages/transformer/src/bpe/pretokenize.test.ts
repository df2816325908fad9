import { describe, expect, it } from 'vitest';
import { pretokenize, specialMatcher, splitSpecial } from './pretokenize.js';
import { encodings } from './testing.js';

describe('pretokenize (GPT-2 pattern)', () => {
  it.each([
    ['Hello world', ['Hello', ' world']],
    ["I'm  here's 42!!\n\n x", ['I', "'m", ' ', ' here', "'s", ' 42', '!!', '\n\n', ' x']],
    ['a   ', ['a', '   ']],
    ['x\ty', ['x', '\t', 'y']],
    [' \u00a0b', [' ', '\u00a0', 'b']],
    ["don't DON'T", ['don', "'t", ' DON', "'", 'T']],
    ['3.14', ['3', '.', '14']],
    ["''s", ["''", 's']],
    ['a \n b', ['a', ' \n', ' b']],
    ['Größe 42€', ['Größe', ' 42', '€']],
    ['', []],
  ])('%j', (text, want) => {
    expect(pretokenize(text)).toEqual(want);
  });

  it("gives the Python reference's pre-tokens of every test text", () => {
    for (const c of encodings().cases) {
      expect(pretokenize(c.text), c.name).toEqual(c.pretokens);
      expect(pretokenize(c.text).join('')).toBe(c.text);
    }
  });

  it("uses the \\s the Python reference emulates (JavaScript's)", () => {
    const space: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp < 0xe000) continue;
      if (/^\s$/u.test(String.fromCodePoint(cp))) space.push(cp);
    }
    expect(space).toEqual(encodings().js_whitespace);
  });
});

describe('splitSpecial', () => {
  it('cuts out whole special tokens, the longest first', () => {
    const m = specialMatcher(['<|endoftext|>', '<|end|>', '<|endoftext|>x']);
    expect(splitSpecial('a<|endoftext|>xb<|end|><|endoftext|<|end', m)).toEqual([
      { text: 'a', special: false },
      { text: '<|endoftext|>x', special: true },
      { text: 'b', special: false },
      { text: '<|end|>', special: true },
      { text: '<|endoftext|<|end', special: false },
    ]);
    expect(splitSpecial('', m)).toEqual([]);
    expect(splitSpecial('a.b', null)).toEqual([{ text: 'a.b', special: false }]);
  });

  it('escapes regular-expression characters in special tokens', () => {
    const m = specialMatcher(['[.*]', '(a|b)/']);
    expect(splitSpecial('x[.*]y(a|b)/z[..]a', m).filter((p) => p.special)).toEqual([
      { text: '[.*]', special: true },
      { text: '(a|b)/', special: true },
    ]);
    expect(specialMatcher([])).toBeNull();
  });
});
