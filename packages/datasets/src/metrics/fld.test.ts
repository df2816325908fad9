import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { mnist } from '../mnist.js';
import { classifierStats, FrechetLeNet } from './fld.js';

let fld: FrechetLeNet;
let test: Tensor;
let labels: BigInt64Array;
const N = 1000;
beforeAll(async () => {
  fld = await FrechetLeNet.create(await Runtime.create({ device: 'cpu', threads: 1 }));
  const t = await mnist.test();
  const src = t.images.data as Uint8Array;
  test = new Tensor(
    'float32',
    [N, 1, 28, 28],
    Float32Array.from(src.subarray(0, N * 784), (v) => v / 255),
  );
  labels = (t.labels.data as BigInt64Array).slice(0, N);
});

describe('classifierStats', () => {
  it('uniform predictions: KL 0; one class: KL log 10; confidences', () => {
    const k = 10;
    const balanced = new Float32Array(20 * k);
    for (let i = 0; i < 20; i++) balanced[i * k + (i % k)] = 0.95;
    const s = classifierStats(new Tensor('float32', [20, k], balanced));
    expect(s.classKL).toBeCloseTo(0, 12);
    expect(s.meanConfidence).toBeCloseTo(0.95, 6);
    expect(s.confidentFraction).toBe(1);
    const collapsed = new Float32Array(20 * k);
    for (let i = 0; i < 20; i++) collapsed[i * k + 3] = 0.5;
    const c = classifierStats(new Tensor('float32', [20, k], collapsed));
    expect(c.classKL).toBeCloseTo(Math.log(10), 12);
    expect(c.confidentFraction).toBe(0);
  });
});

describe('FrechetLeNet with the shipped weights', () => {
  it('classifies real MNIST test digits (>= 98.5% on the first 1000)', async () => {
    const { predictions, meanConfidence } = await fld.classify(test);
    let correct = 0;
    for (let i = 0; i < N; i++) if (BigInt(predictions[i]) === labels[i]) correct++;
    expect(correct / N).toBeGreaterThanOrEqual(0.985);
    expect(meanConfidence).toBeGreaterThan(0.95);
  });

  it('FLD is ~0 for a set with itself and grows with corruption', async () => {
    const same = await fld.compare(test, test);
    expect(same.fld).toBeLessThan(1e-3);
    const d = test.data as Float32Array;
    const eps = new Rng(0).normal(d.length, 0, 0.3);
    const noisy = new Tensor(
      'float32',
      test.shape,
      d.map((v, i) => Math.min(1, Math.max(0, v + eps[i]))),
    );
    const half = new Tensor('float32', [N / 2, 1, 28, 28], d.slice(0, (N / 2) * 784));
    const other = new Tensor('float32', [N / 2, 1, 28, 28], d.slice((N / 2) * 784));
    const split = await fld.compare(half, other);
    const corrupted = await fld.compare(noisy, test);
    expect(corrupted.fld).toBeGreaterThan(5 * split.fld);
  });

  it('rejects images of the wrong shape', async () => {
    await expect(fld.embed(new Tensor('float32', [2, 1, 32, 32]))).rejects.toThrow(
      'expected float32 images [N, 1, 28, 28]',
    );
  });
});
