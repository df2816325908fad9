import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@genmodels/runtime';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  CIFAR10_CLASSES,
  cifar10,
  DataLoader,
  mmd,
  mnist,
  modeMetrics,
  npyToTensor,
  readImageFolder,
  readNpz,
  readPointTable,
  scaleTo01,
  scatterPlot,
  seq2seqTask,
  TextCorpus,
  toyData,
  toyMixture,
} from './index.js';
import { makeJpeg, makeNpy, makePng } from './own-data/testing.js';

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

  it('CIFAR-10 + DataLoader (the binary test batch as option files)', async () => {
    const testBatch = new Uint8Array(10_000 * 3073); // real size: 10,000 records of 1 + 3072 bytes
    for (let i = 0; i < 10_000; i++) testBatch[i * 3073] = i % 10;
    const test = await cifar10.test({ files: { testBatch }, limit: 256 });
    expect(test.images.shape).toEqual([256, 3, 32, 32]);
    const loader = new DataLoader(
      { x: test.images, y: test.labels },
      { batchSize: 128, shuffle: true, seed: 0, transforms: { x: [scaleTo01()] } },
    );
    for (const { x, y } of loader) {
      expect([x.dtype, x.shape]).toEqual(['float32', [128, 3, 32, 32]]);
      expect(y.dtype).toBe('int64');
    }
    expect(test.classes[Number(test.labels.data[1])]).toBe('automobile');
    expect(CIFAR10_CLASSES[9]).toBe('truck');
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

  it('your own data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genmodels-readme-'));
    const at = (rel: string) => join(dir, rel);
    try {
      mkdirSync(at('pets/cat'), { recursive: true });
      mkdirSync(at('pets/dog'), { recursive: true });
      mkdirSync(at('poems'));
      writeFileSync(
        at('pets/cat/a.png'),
        makePng(40, 30, 3, () => [200, 10, 10]),
      );
      writeFileSync(
        at('pets/dog/b.jpg'),
        makeJpeg(20, 50, () => [10, 10, 200]),
      );
      writeFileSync(
        at('faces.npz'),
        zipSync({
          'x.npy': makeNpy('<f8', [2, 1, 2, 2], new Float64Array(8).fill(0.5)),
          'y.npy': makeNpy('<i8', [2], new BigInt64Array([0n, 1n])),
        }),
      );
      writeFileSync(at('points.csv'), 'x,y\n0.5,1\n-1,2\n');
      writeFileSync(at('poems/a.txt'), 'roses are red');

      const { images, labels, classes, skipped } = await readImageFolder(at('pets'), {
        size: 32,
        skipUndecodable: true,
      });
      expect(images.shape).toEqual([2, 3, 32, 32]);
      expect(classes).toEqual(['cat', 'dog']);
      expect(skipped).toEqual([]);
      const loader = new DataLoader(
        { x: images, y: labels ?? images },
        { batchSize: 64, shuffle: true, seed: 0 },
      );
      expect(loader.length).toBe(1);
      const { x, y } = await readNpz(at('faces.npz'));
      const faces = npyToTensor(x);
      expect([faces.dtype, faces.shape]).toEqual(['float32', [2, 1, 2, 2]]);
      expect(npyToTensor(y).dtype).toBe('int64');
      const { points, columns } = await readPointTable(at('points.csv'));
      expect(points.shape).toEqual([2, 2]);
      expect(columns).toEqual(['x', 'y']);
      const corpus = await TextCorpus.fromFiles(at('poems'));
      expect(corpus.text).toBe('roses are red');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
