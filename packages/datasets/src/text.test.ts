import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenmodelsError, Rng } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { CharTokenizer, CorpusError, TextCorpus, TokenizerError } from './text.js';

const TEXT =
  'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n';
const SHAKESPEARE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/data/tinyshakespeare.txt',
);

describe('CharTokenizer', () => {
  it('builds a sorted, deterministic vocabulary after the special tokens', () => {
    const tok = CharTokenizer.fromText('banana!', { specials: ['<pad>', '<unk>'] });
    expect(tok.chars).toEqual(['!', 'a', 'b', 'n']);
    expect(tok.vocabSize).toBe(6);
    expect(tok.id('<pad>')).toBe(0);
    expect(tok.id('<unk>')).toBe(1);
    expect(tok.id('a')).toBe(3);
    expect(Array.from(tok.encode('ban'))).toEqual([4, 3, 5]);
    expect(CharTokenizer.fromText('nab!anana').toJSON()).toEqual(
      CharTokenizer.fromText('banana!').toJSON(),
    );
  });

  it('sorts by code point and treats astral characters as one token', () => {
    const tok = CharTokenizer.fromText('b😀a\u00e9');
    expect(tok.chars).toEqual(['a', 'b', '\u00e9', '😀']);
    const ids = tok.encode('😀a');
    expect(Array.from(ids)).toEqual([3, 0]);
    expect(tok.decode(ids)).toBe('😀a');
  });

  it('round-trips encode/decode and maps unknown characters to <unk>', () => {
    const tok = CharTokenizer.fromText(TEXT, { specials: ['<pad>', '<bos>', '<eos>', '<unk>'] });
    expect(tok.decode(tok.encode(TEXT))).toBe(TEXT);
    const ids = tok.encode('speak?');
    expect(ids[5]).toBe(tok.id('<unk>'));
    expect(tok.decode(ids)).toBe('speak<unk>');
    expect(tok.decode([tok.id('<bos>'), ...tok.encode('All'), 2], { skipSpecial: true })).toBe(
      'All',
    );
    expect(tok.decode(new BigInt64Array([BigInt(tok.id('A'))]))).toBe('A');
  });

  it('names the unknown character and its position when there is no <unk>', () => {
    const tok = CharTokenizer.fromText('abc');
    expect(() => tok.encode('abzc')).toThrow(TokenizerError);
    expect(() => tok.encode('abzc')).toThrow(/"z" \(U\+007A\) at position 2/);
    expect(() => tok.decode([0, 3])).toThrow(/id 3 at position 1 is outside \[0, 3\)/);
    expect(() => tok.id('<eos>')).toThrow(/'?"<eos>"'? is not in the vocabulary/);
  });

  it('rejects duplicate or malformed vocabularies', () => {
    expect(() => new CharTokenizer(['a', 'a'])).toThrow(/appears twice/);
    expect(() => new CharTokenizer(['ab'])).toThrow(/exactly one code point/);
    expect(() => new CharTokenizer(['a'], ['<pad>', '<pad>'])).toThrow(/appears twice/);
    expect(() => new CharTokenizer(['a'], ['a'])).toThrow(/appears twice/);
    // A one-character special token keeps its special id and is not duplicated as a char.
    const tok = CharTokenizer.fromText('a\nb', { specials: ['\n'] });
    expect(tok.chars).toEqual(['a', 'b']);
    expect(Array.from(tok.encode('a\n'))).toEqual([1, 0]);
  });

  it('serializes to JSON and back with identical ids', () => {
    const tok = CharTokenizer.fromText(TEXT, { specials: ['<pad>', '<unk>'] });
    const back = CharTokenizer.fromJSON(JSON.stringify(tok));
    expect(back.toJSON()).toEqual(tok.toJSON());
    expect(Array.from(back.encode(TEXT))).toEqual(Array.from(tok.encode(TEXT)));
    expect(CharTokenizer.fromJSON(tok.toJSON()).vocabSize).toBe(tok.vocabSize);
    expect(() => CharTokenizer.fromJSON('{nope')).toThrow(/invalid JSON/);
    expect(() => CharTokenizer.fromJSON({ ...tok.toJSON(), version: 2 as 1 })).toThrow(
      /expected 'genmodels.char-tokenizer' version 1/,
    );
    expect(() => CharTokenizer.fromJSON({ ...tok.toJSON(), chars: [1 as never] })).toThrow(
      TokenizerError,
    );
  });
});

describe('TextCorpus', () => {
  it('splits first fraction / rest, sharing the whole-text vocabulary', () => {
    const corpus = new TextCorpus('abcdefghiz');
    const { train, val } = corpus.split(0.9);
    expect(train.text).toBe('abcdefghi');
    expect(val.text).toBe('z');
    expect(val.tokenizer).toBe(corpus.tokenizer);
    expect(corpus.split().train.length).toBe(9);
    expect(new TextCorpus('abcdefghij').split(0.25).train.text).toBe('ab');
    expect(() => corpus.split(1)).toThrow(CorpusError);
    expect(() => new TextCorpus('ab').split(0.1)).toThrow(/leaves an empty part/);
  });

  it('draws seeded random blocks with y = x shifted by one', () => {
    const corpus = new TextCorpus(TEXT);
    const a = corpus.randomBatch(new Rng(7), 4, 8);
    const b = corpus.randomBatch(new Rng(7), 4, 8);
    const c = corpus.randomBatch(new Rng(8), 4, 8);
    expect(a.x.dtype).toBe('int64');
    expect(a.x.shape).toEqual([4, 8]);
    expect(a.y.shape).toEqual([4, 8]);
    expect(a.x.toArray()).toEqual(b.x.toArray());
    expect(a.x.toArray()).not.toEqual(c.x.toArray());
    const ids = Array.from(corpus.ids);
    const x = a.x.toArray();
    const y = a.y.toArray();
    for (let r = 0; r < 4; r++) {
      const row = x.slice(r * 8, r * 8 + 8);
      const start = ids.findIndex((_, i) => ids.slice(i, i + 8).every((v, t) => v === row[t]));
      expect(start).toBeGreaterThanOrEqual(0);
      expect(y.slice(r * 8, r * 8 + 8)).toEqual(ids.slice(start + 1, start + 9));
    }
  });

  it('uses every offset in [0, length - blockSize) and never runs past the end', () => {
    const corpus = new TextCorpus('abcdef'); // 6 tokens, T = 3: offsets 0, 1, 2
    const { x, y } = corpus.randomBatch(new Rng(3), 300, 3);
    const firsts = new Set(x.toArray().filter((_, i) => i % 3 === 0));
    expect([...firsts].sort()).toEqual([0, 1, 2]);
    expect(Math.max(...y.toArray())).toBeLessThanOrEqual(5);
    expect(() => corpus.randomBatch(new Rng(0), 1, 6)).toThrow(
      /needs at least 7 tokens, corpus has 6/,
    );
    expect(() => corpus.randomBatch(new Rng(0), 0, 2)).toThrow(/batchSize \(0\)/);
  });

  it('iterates the whole stream once with non-overlapping blocks and a masked tail', () => {
    const corpus = new TextCorpus('abcdefghijk'); // ids 0..10, 10 targets
    const batches = [...corpus.sequentialBatches(2, 4)]; // blocks: [0,4) [4,8) tail of 2
    expect(batches.length).toBe(corpus.sequentialBatchCount(2, 4));
    expect(batches.map((b) => b.x.shape)).toEqual([
      [2, 4],
      [1, 4],
    ]);
    expect(batches[0].x.toArray()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(batches[0].y.toArray()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(batches[1].x.toArray()).toEqual([6, 7, 8, 9]);
    expect(batches[1].y.toArray()).toEqual([7, 8, 9, 10]);
    expect(batches[1].mask.toArray()).toEqual([0, 0, 1, 1]);
    const counted = batches.flatMap((b) => b.y.toArray().filter((_, i) => b.mask.data[i] === 1));
    expect(counted).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('has no tail when length - 1 is a multiple of the block size', () => {
    const batches = [...new TextCorpus('abcdefghi').sequentialBatches(3, 4)]; // 8 targets
    expect(batches.length).toBe(1);
    expect(batches[0].x.shape).toEqual([2, 4]);
    expect(batches[0].mask.toArray().every((m) => m === 1)).toBe(true);
    expect(() => [...new TextCorpus('abc').sequentialBatches(1, 3)]).toThrow(CorpusError);
  });

  it('reads a file and reports a missing one by path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'genmodels-text-'));
    try {
      const path = join(dir, 'tiny.txt');
      await writeFile(path, TEXT, 'utf8');
      const corpus = await TextCorpus.fromFile(path);
      expect(corpus.text).toBe(TEXT);
      const missing = join(dir, 'absent.txt');
      await expect(TextCorpus.fromFile(missing)).rejects.toThrow(CorpusError);
      await expect(TextCorpus.fromFile(missing)).rejects.toThrow(`no file at '${missing}'`);
      await expect(TextCorpus.fromFile(missing)).rejects.toBeInstanceOf(GenmodelsError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('needs a tokenizer when built from ids', () => {
    expect(() => new TextCorpus(new Int32Array([0, 1]))).toThrow(/needs options.tokenizer/);
  });

  // The shared data folder is outside the repo and absent in some checkouts (CI).
  it.skipIf(!existsSync(SHAKESPEARE))(
    'tiny-shakespeare has nanoGPT vocabulary 65 (runs only when ../shared/data/tinyshakespeare.txt exists)',
    async () => {
      const corpus = await TextCorpus.fromFile(SHAKESPEARE);
      expect(corpus.tokenizer.vocabSize).toBe(65);
      expect(corpus.tokenizer.chars.slice(0, 3)).toEqual(['\n', ' ', '!']);
      const { train, val } = corpus.split();
      expect(train.length).toBe(Math.floor(corpus.length * 0.9));
      expect(train.length + val.length).toBe(corpus.length);
    },
  );
});
