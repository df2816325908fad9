import { Runtime, ShapeError, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { mnist } from '../mnist.js';
import { mnistSampleMetrics } from './mnist-quality.js';

let rt: Runtime;
let images: Float32Array;
let labels: number[];
const N = 500;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  // Training images stand in for good samples: a different set from the test reference.
  const t = await mnist.train({ limit: N });
  images = Float32Array.from(t.images.data as Uint8Array, (v) => v / 255);
  labels = Array.from(t.labels.data as BigInt64Array, Number);
});

describe('mnistSampleMetrics', () => {
  it('scores real digits as real, in either value range, with label agreement', async () => {
    const m = await mnistSampleMetrics(rt, new Tensor('float32', [N, 784], images), { labels });
    expect(Object.keys(m).sort()).toEqual([
      'class_kl',
      'confident_fraction',
      'fld',
      'label_agreement',
      'mean_confidence',
    ]);
    expect(m.label_agreement).toBeGreaterThan(0.97); // the shipped LeNet: 99.1% test accuracy
    expect(m.confident_fraction).toBeGreaterThan(0.9);
    expect(m.fld).toBeLessThan(20); // real vs real: small next to blur (96) or noise (1050)
    const tanh = new Tensor(
      'float32',
      [N, 1, 28, 28],
      images.map((v) => v * 2 - 1),
    );
    const same = await mnistSampleMetrics(rt, tanh, { range: '-11' });
    expect(same.label_agreement).toBeUndefined();
    expect(same.fld).toBeCloseTo(m.fld, 3);
    expect(same.confident_fraction).toBe(m.confident_fraction);
    // Shuffled labels agree only by chance.
    const wrong = await mnistSampleMetrics(rt, new Tensor('float32', [N, 784], images), {
      labels: labels.map((c) => (c + 1) % 10),
    });
    expect(wrong.label_agreement).toBeLessThan(0.05);
  });

  it('names samples of the wrong shape and a label count that does not match', async () => {
    await expect(
      mnistSampleMetrics(rt, new Tensor('float32', [4, 100], new Float32Array(400))),
    ).rejects.toThrow(ShapeError);
    await expect(
      mnistSampleMetrics(rt, new Tensor('float32', [2, 784], new Float32Array(1568)), {
        labels: [1],
      }),
    ).rejects.toThrow('mnistSampleMetrics: 1 labels for 2 samples');
  });
});
