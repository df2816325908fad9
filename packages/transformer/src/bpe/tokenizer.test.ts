import { describe, expect, it } from 'vitest';
import { BYTE_TO_CHAR } from './bytes.js';
import { BpeError } from './errors.js';
import { byteVocab, encodings, fixture } from './testing.js';
import { BpeTokenizer } from './tokenizer.js';

const fromGpt2 = () => BpeTokenizer.fromGpt2Files(fixture('vocab.json'), fixture('merges.txt'));
const fromHf = () => BpeTokenizer.fromTokenizerJson(fixture('tokenizer.json'));

describe('BpeTokenizer against the Python reference (scripts/bpe_reference.py)', () => {
  const { cases } = encodings();

  it.each([
    ['vocab.json + merges.txt', fromGpt2],
    ['tokenizer.json', fromHf],
  ])('encodes every test text to the reference ids, from %s', (_, make) => {
    const tok = make();
    expect(cases.map((c) => c.name)).toContain('multilingual');
    for (const c of cases) {
      expect(tok.encode(c.text), c.name).toEqual(c.ids);
      expect(tok.encode(c.text, { allowSpecial: false }), c.name).toEqual(c.ids_no_special);
      expect(tok.decode(c.ids), c.name).toBe(c.text);
      expect(tok.decode(c.ids_no_special), c.name).toBe(c.text);
    }
  });

  it('reads the same tokenizer from both sources and from its JSON form', () => {
    const a = fromGpt2();
    const b = fromHf();
    const json = JSON.parse(JSON.stringify(a.toJSON()));
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(BpeTokenizer.fromJSON(json).toJSON()).toEqual(a.toJSON());
    expect(a.size).toBe(657);
    expect(a.specialTokens).toEqual(['<|endoftext|>']);
    expect(a.tokenToId('<|endoftext|>')).toBe(656);
    expect(a.idToToken(32)).toBe('Ġ');
    expect(a.idToToken(657)).toBeUndefined();
    const text = cases[0].text;
    expect(BpeTokenizer.fromJSON(json).encode(text)).toEqual(cases[0].ids);
  });

  it("reads tokenizer.json's merges as 'a b' strings too", () => {
    const hf = JSON.parse(fixture('tokenizer.json'));
    hf.model.merges = hf.model.merges.map(([a, b]: string[]) => `${a} ${b}`);
    const tok = BpeTokenizer.fromTokenizerJson(JSON.stringify(hf));
    expect(tok.encode(cases[0].text)).toEqual(cases[0].ids);
  });

  it('picks its files from a model directory', () => {
    const bytes = new TextEncoder().encode(fixture('tokenizer.json'));
    const viaHf = BpeTokenizer.fromFiles({ 'tokenizer.json': bytes, 'vocab.json': 'ignored' });
    const viaGpt2 = BpeTokenizer.fromFiles({
      'vocab.json': fixture('vocab.json'),
      'merges.txt': fixture('merges.txt'),
    });
    expect(viaHf.encode(cases[0].text)).toEqual(cases[0].ids);
    expect(viaGpt2.encode(cases[0].text)).toEqual(cases[0].ids);
    expect(() => BpeTokenizer.fromFiles({ 'vocab.json': '{}' })).toThrow(
      'no tokenizer among the files (vocab.json); expected tokenizer.json, or vocab.json and merges.txt',
    );
  });
});

describe('BpeTokenizer', () => {
  it('round-trips text through encode and decode', () => {
    const tok = fromGpt2();
    const texts = [
      '',
      ' ',
      '\ufeffBOM first',
      'mixed 😀👨‍👩‍👧‍👦 عربى हिन्दी 中文 \u2028 line sep',
      String.fromCodePoint(0x10ffff, 0xe000, 0x7f, 0),
    ];
    for (const t of texts) expect(tok.decode(tok.encode(t))).toBe(t);
    expect(tok.decode(Int32Array.from(tok.encode('typed ids')))).toBe('typed ids');
  });

  it('applies merges by rank on a hand-made vocabulary', () => {
    const vocab = byteVocab('bc', 'ab', 'abc', 'Ġa');
    const tok = new BpeTokenizer({
      vocab,
      merges: [
        ['b', 'c'],
        ['a', 'b'],
        ['Ġ', 'a'],
      ],
    });
    // 'abc': (b, c) has the lower rank, after it a and b are no longer adjacent; ' ab':
    // (a, b) ranks before (Ġ, a); ' aab': a b first, then Ġ a.
    expect(tok.tokenize('abc ab aab')).toEqual(['a', 'bc', 'Ġ', 'ab', 'Ġa', 'ab']);
    expect(tok.encode('abc')).toEqual([97, 256]);
    const merged = new BpeTokenizer({
      vocab,
      merges: [
        ['a', 'b'],
        ['b', 'c'],
        ['ab', 'c'],
      ],
    });
    expect(merged.tokenize('abc')).toEqual(['abc']);
  });

  it('matches special tokens whole, unless told not to', () => {
    const tok = new BpeTokenizer(
      { vocab: byteVocab('<s>', '</s>'), merges: [] },
      { specialTokens: ['<s>', '</s>'] },
    );
    expect(tok.encode('<s>a</s>')).toEqual([256, 97, 257]);
    expect(tok.encode('<s>', { allowSpecial: false })).toEqual([60, 115, 62]);
    expect(tok.decode([256, 257])).toBe('<s></s>');
    // No special tokens by default without <|endoftext|> in the vocabulary.
    expect(new BpeTokenizer({ vocab: byteVocab('<s>'), merges: [] }).encode('<s>')).toEqual([
      60, 115, 62,
    ]);
  });

  it('decodes special tokens outside the byte alphabet as their text', () => {
    const tok = new BpeTokenizer(
      { vocab: byteVocab('<｜pad｜>'), merges: [] },
      {
        specialTokens: ['<｜pad｜>'],
      },
    );
    expect(tok.encode('x<｜pad｜>')).toEqual([120, 256]);
    expect(tok.decode([256, 120])).toBe('<｜pad｜>x');
  });

  it('gives the same ids with the cache off, small or full', () => {
    const text = encodings().cases[0].text;
    const want = fromGpt2().encode(text);
    for (const cacheSize of [0, 1, 3]) {
      const tok = BpeTokenizer.fromGpt2Files(fixture('vocab.json'), fixture('merges.txt'), {
        cacheSize,
      });
      expect(tok.encode(text + text), String(cacheSize)).toEqual([...want, ...want]);
    }
    expect(() => new BpeTokenizer({ vocab: byteVocab(), merges: [] }, { cacheSize: -1 })).toThrow(
      'cacheSize is -1; expected an integer >= 0',
    );
  });

  it('sizes itself by the largest id, gaps allowed', () => {
    const vocab = byteVocab();
    vocab.set('<|endoftext|>', 300);
    const tok = new BpeTokenizer({ vocab, merges: [] });
    expect(tok.size).toBe(301);
    expect(tok.toJSON().tokens.slice(255, 258)).toEqual([BYTE_TO_CHAR[255], null, null]);
    expect(BpeTokenizer.fromJSON(tok.toJSON()).encode('a<|endoftext|>')).toEqual([97, 300]);
    expect(() => tok.decode([97, 280])).toThrow(
      'decode: ids[1] = 280 is not a token id; expected an integer in [0, 301) that the vocabulary has',
    );
  });

  it('refuses ids out of range in decode, and bytes without a token in encode', () => {
    const tok = fromGpt2();
    for (const id of [-1, 657, 1.5, Number.NaN])
      expect(() => tok.decode([0, id]), String(id)).toThrow(BpeError);
    expect(() => tok.decode([657])).toThrow('decode: ids[0] = 657 is not a token id');
    const vocab = byteVocab();
    vocab.delete('Ċ');
    const noNewline = new BpeTokenizer({ vocab, merges: [] });
    expect(() => noNewline.encode('a\nb')).toThrow(
      'vocab has no token for byte 0x0a ("Ċ"), needed by "\\n"; expected all 256 byte tokens in a byte-level vocabulary',
    );
    expect(() => tok.encode(5 as never)).toThrow('encode: expected a string, got number');
  });
});
