import { GenmodelsError } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import {
  SEQ2SEQ_SPECIALS,
  Seq2seqError,
  type Seq2seqTaskName,
  seq2seqBatch,
  seq2seqHash,
  seq2seqTarget,
  seq2seqTask,
  seq2seqVocab,
} from './seq2seq.js';

// Symbol k is id k + 3; for addition '+' is id 13.
const ids = (s: string) => Int32Array.from(s, (c) => (c === '+' ? 13 : Number(c) + 3));
const text = (a: Int32Array) => Array.from(a, (i) => (i === 13 ? '+' : String(i - 3))).join('');
const key = (a: Int32Array) => Array.from(a).join(',');

describe('seq2seq targets', () => {
  it('copies, reverses and sorts hand examples', () => {
    expect(text(seq2seqTarget('copy', ids('3141')))).toBe('3141');
    expect(text(seq2seqTarget('reverse', ids('3141')))).toBe('1413');
    expect(text(seq2seqTarget('sort', ids('3141')))).toBe('1134');
  });

  it('adds 3-digit numbers with the answer reversed and zero-padded to 4 digits', () => {
    expect(text(seq2seqTarget('addition', ids('123+989')))).toBe('2111'); // 1112
    expect(text(seq2seqTarget('addition', ids('005+004')))).toBe('9000'); // 9
    expect(text(seq2seqTarget('addition', ids('999+999')))).toBe('8991'); // 1998
    expect(text(seq2seqTarget('addition', ids('500+500')))).toBe('0001'); // 1000
    expect(() => seq2seqTarget('addition', ids('12+345'))).toThrow(Seq2seqError);
  });

  it('describes each vocabulary', () => {
    const add = seq2seqVocab('addition');
    expect(add.size).toBe(14);
    expect(add.tokens[13]).toBe('+');
    expect(add.tokens.slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', '0']);
    expect(seq2seqVocab('reverse').size).toBe(13);
    expect(seq2seqVocab('copy', { symbols: 4 }).size).toBe(7);
    expect(SEQ2SEQ_SPECIALS).toEqual({ pad: 0, bos: 1, eos: 2 });
    expect(() => seq2seqVocab('rot13' as Seq2seqTaskName)).toThrow(/unknown task 'rot13'/);
  });
});

describe('seq2seqTask', () => {
  const names: Seq2seqTaskName[] = ['copy', 'reverse', 'sort', 'addition'];

  it.each(names)('%s is deterministic per seed and produces correct targets', (name) => {
    const a = seq2seqTask(name, { seed: 5 }).take(50);
    const b = seq2seqTask(name, { seed: 5 }).take(50);
    const c = seq2seqTask(name, { seed: 6 }).take(50);
    expect(a.map((e) => key(e.src))).toEqual(b.map((e) => key(e.src)));
    expect(a.map((e) => key(e.src))).not.toEqual(c.map((e) => key(e.src)));
    for (const { src, tgt } of a) {
      expect(key(tgt)).toBe(key(seq2seqTarget(name, src)));
      expect(Math.min(...src)).toBeGreaterThanOrEqual(3);
    }
  });

  it('draws lengths over the whole [minLen, maxLen] range', () => {
    const lens = seq2seqTask('reverse', { seed: 0 })
      .take(500)
      .map((e) => e.src.length);
    expect(Math.min(...lens)).toBe(1);
    expect(Math.max(...lens)).toBe(10);
    const short = seq2seqTask('copy', { seed: 0, minLen: 2, maxLen: 3, symbols: 4 }).take(100);
    expect(short.every((e) => e.src.length >= 2 && e.src.length <= 3)).toBe(true);
    expect(short.every((e) => Math.max(...e.src) <= 6)).toBe(true);
  });

  it('addition checks its numbers against arithmetic', () => {
    for (const { src, tgt } of seq2seqTask('addition', { seed: 2 }).take(100)) {
      const [a, b] = text(src).split('+').map(Number);
      expect(Number([...text(tgt)].reverse().join(''))).toBe(a + b);
      expect(src.length).toBe(7);
      expect(tgt.length).toBe(4);
    }
  });

  it.each(names)('%s train and test splits never share a source', (name) => {
    const train = new Set(
      seq2seqTask(name, { seed: 1 })
        .take(3000)
        .map((e) => key(e.src)),
    );
    const testTask = seq2seqTask(name, { seed: 1, split: 'test' });
    const test = testTask.take(300);
    for (const e of test) {
      expect(testTask.isTest(e.src)).toBe(true);
      expect(train.has(key(e.src))).toBe(false);
    }
    expect(new Set(test.map((e) => key(e.src))).size).toBeGreaterThan(1);
  });

  it('puts about testFraction of sources in the test split', () => {
    let inTest = 0;
    for (let i = 0; i < 10_000; i++) if (seq2seqHash(Int32Array.of(i, 7, i >> 3)) < 0.1) inTest++;
    expect(inTest).toBeGreaterThan(900);
    expect(inTest).toBeLessThan(1100);
  });

  it('rejects bad options with specific errors', () => {
    expect(() => seq2seqTask('reverse', { seed: 0, minLen: 0 })).toThrow(/minLen \(0\)/);
    expect(() => seq2seqTask('reverse', { seed: 0, minLen: 5, maxLen: 4 })).toThrow(/maxLen \(4\)/);
    expect(() => seq2seqTask('addition', { seed: 0, maxLen: 4 })).toThrow(/takes `digits`/);
    expect(() => seq2seqTask('sort', { seed: 0, digits: 2 })).toThrow(/not digits/);
    expect(() => seq2seqTask('copy', { seed: 0, testFraction: 1 })).toThrow(/testFraction/);
    expect(() => seq2seqTask('copy', { seed: 0, split: 'val' as 'test' })).toThrow(/split 'val'/);
    // Two length-1 sources only: the test split may be empty, which must not loop forever.
    const tiny = seq2seqTask('copy', {
      seed: 0,
      maxLen: 1,
      symbols: 2,
      split: 'test',
      testFraction: 1e-9,
    });
    expect(() => tiny.next()).toThrow(Seq2seqError);
    expect(() => tiny.next()).toThrow(GenmodelsError);
  });
});

describe('seq2seqBatch', () => {
  const examples = [
    { src: ids('31'), tgt: ids('13') },
    { src: ids('5'), tgt: ids('5') },
  ];

  it('pads sources and builds BOS-shifted decoder inputs and EOS-ended targets', () => {
    const b = seq2seqBatch(examples);
    expect(b.src.dtype).toBe('int64');
    expect(b.src.shape).toEqual([2, 2]);
    expect(b.tgtIn.shape).toEqual([2, 3]);
    expect(b.src.toArray()).toEqual([6, 4, 8, 0]);
    expect(b.srcPad.toArray()).toEqual([0, 0, 0, 1]);
    expect(b.tgtIn.toArray()).toEqual([1, 4, 6, 1, 8, 0]);
    expect(b.tgtOut.toArray()).toEqual([4, 6, 2, 8, 2, 0]);
    expect(b.tgtPad.toArray()).toEqual([0, 0, 0, 0, 0, 1]);
    expect(b.tgtPad.dtype).toBe('bool');
  });

  it('pads to fixed lengths and rejects examples that do not fit', () => {
    const b = seq2seqBatch(examples, { srcLen: 4, tgtLen: 5 });
    expect(b.src.shape).toEqual([2, 4]);
    expect(b.tgtOut.shape).toEqual([2, 5]);
    expect(b.srcPad.toArray()).toEqual([0, 0, 1, 1, 0, 1, 1, 1]);
    expect(b.tgtOut.toArray().slice(0, 5)).toEqual([4, 6, 2, 0, 0]);
    expect(() => seq2seqBatch(examples, { tgtLen: 2 })).toThrow(/tgtLen 2 is shorter .* \(3\)/);
    expect(() => seq2seqBatch(examples, { srcLen: 1 })).toThrow(/srcLen 1/);
    expect(() => seq2seqBatch([])).toThrow(/at least one example/);
  });

  it('batches straight from a task', () => {
    const b = seq2seqTask('addition', { seed: 3 }).batch(8);
    expect(b.src.shape).toEqual([8, 7]);
    expect(b.tgtIn.shape).toEqual([8, 5]);
    expect(b.srcPad.toArray().every((m) => m === 0)).toBe(true);
  });
});
