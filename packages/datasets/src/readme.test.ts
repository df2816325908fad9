import { Rng } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import {
  DataLoader,
  mmd,
  mnist,
  modeMetrics,
  scaleTo01,
  scatterPlot,
  seq2seqTask,
  TextCorpus,
  toyData,
  toyMixture,
} from './index.js';

// The README's snippets, kept runnable.
describe('README examples', () => {
  it('MNIST + DataLoader', async () => {
    const train = await mnist.train({ limit: 512 });
    const loader = new DataLoader(
      { x: train.images, y: train.labels },
      { batchSize: 128, shuffle: true, seed: 0, transforms: { x: [scaleTo01()] } },
    );
    let n = 0;
    for await (const { x, y } of loader) {
      expect(x.shape).toEqual([128, 28, 28]);
      expect(y.dtype).toBe('int64');
      n++;
    }
    expect(n).toBe(4);
  });

  it('toy sets, metrics, scatter', () => {
    const x = toyData('8gaussians', 500, 0);
    const { centers, std } = toyMixture('ring8');
    const ring = toyData('ring8', 500, 1);
    expect(modeMetrics(ring, centers, std).modesCovered).toBe(8);
    expect(mmd(x, x)).toBe(0);
    const { png, svg } = scatterPlot(
      [
        { points: x, color: 'blue', label: 'data' },
        { points: ring, color: 'orange', label: 'samples' },
      ],
      {},
    );
    expect(png.length).toBeGreaterThan(100);
    expect(svg.startsWith('<svg')).toBe(true);
  });

  it('text and seq2seq', () => {
    const corpus = new TextCorpus('to be or not to be, that is the question. '.repeat(20));
    const { train, val } = corpus.split(0.9);
    const { x, y } = train.randomBatch(new Rng(0), 4, 16);
    expect(x.shape).toEqual([4, 16]);
    expect((x.data as BigInt64Array)[1]).toBe((y.data as BigInt64Array)[0]);
    expect(val.length).toBeGreaterThan(16);
    const ex = seq2seqTask('reverse', { seed: 0 }).next();
    expect(Array.from(ex.tgt)).toEqual(Array.from(ex.src).reverse());
  });
});
