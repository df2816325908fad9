import { TextCorpus } from '@genmodels/datasets';
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusFromText, type GptCorpus, type TokenizedCorpus } from './data.js';
import { GPT } from './gpt.js';
import { RHYME, TINY } from './testing.js';

/** A token stream that is no TextCorpus: only what TokenizedCorpus declares (nanoGPT's get_batch). */
function plainStream(ids: Int32Array): TokenizedCorpus {
  return {
    ids,
    length: ids.length,
    randomBatch(rng, batchSize, blockSize) {
      const starts = rng.integers(batchSize, 0, ids.length - blockSize);
      const x = new BigInt64Array(batchSize * blockSize);
      const y = new BigInt64Array(batchSize * blockSize);
      for (let b = 0; b < batchSize; b++)
        for (let t = 0; t < blockSize; t++) {
          x[b * blockSize + t] = BigInt(ids[starts[b] + t]);
          y[b * blockSize + t] = BigInt(ids[starts[b] + t + 1]);
        }
      const shape = [batchSize, blockSize];
      return { x: new Tensor('int64', shape, x), y: new Tensor('int64', shape, y) };
    },
  };
}

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

describe('TokenizedCorpus', () => {
  it('corpusFromText splits are TextCorpus streams of @genmodels/datasets', async () => {
    const corpus = await corpusFromText(RHYME);
    expect(corpus.train).toBeInstanceOf(TextCorpus);
    expect(corpus.val).toBeInstanceOf(TextCorpus);
    expect(corpus.train.length + corpus.val.length).toBe(RHYME.length);
    expect(corpus.train.ids.length).toBe(corpus.train.length);
    const { x, y } = corpus.train.randomBatch(new Rng(0), 4, 8);
    expect([x.dtype, x.shape, y.dtype, y.shape]).toEqual(['int64', [4, 8], 'int64', [4, 8]]);
    const xs = x.toArray() as number[];
    const ys = y.toArray() as number[];
    expect(ys.filter((_, i) => i % 8 !== 7)).toEqual(xs.filter((_, i) => i % 8 !== 0)); // y = x shifted
  });

  it('trains and evaluates the same on TextCorpus splits and on a plain object with ids, length, randomBatch', async () => {
    const all = new TextCorpus(RHYME);
    const { train, val } = all.split(0.9);
    const fromDatasets: GptCorpus = { chars: all.tokenizer.chars, train, val };
    const plain: GptCorpus = {
      chars: all.tokenizer.chars,
      train: plainStream(train.ids),
      val: plainStream(val.ids),
    };
    const a = GPT.create(rt, TINY, { vocab: all.tokenizer.chars, seed: 0 });
    const b = GPT.create(rt, TINY, { vocab: all.tokenizer.chars, seed: 0 });
    const fa = await a.fit(fromDatasets, { steps: 2, seed: 3 });
    const fb = await b.fit(plain, { steps: 2, seed: 3 });
    expect(fb.lastLoss).toBe(fa.lastLoss);
    const ea = await a.evaluateOn(fromDatasets.val, { batches: 1 });
    expect(await b.evaluateOn(plain.val, { batches: 1 })).toEqual(ea);
    expect(Number.isFinite(ea.val_loss)).toBe(true);
  });
});
