/**
 * Reports the shipped CIFAR-10 classifier's test accuracy (all 10,000 test images) and the
 * real-vs-real floor of the CIFAR-10 image metrics: FID, precision and recall (k = 3) in its
 * features between the first 10,000 training images and the 10,000 test images. A model's
 * FID against the test set cannot be expected below this floor. Then the same figures for
 * corrupted copies of the training images (Gaussian noise, box blur), for scale.
 *
 *   pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/check-cifar-net.ts [--n 10000]
 */
import { parseArgs } from 'node:util';
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { CifarFeatures, cifar10, compareEmbeddings } from '../src/index.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '10000' } } });
const n = Number(values.n);
const rt = await Runtime.create({ device: 'cpu' });
const cf = await CifarFeatures.create(rt);
const unit = (u8: Uint8Array, m: number) =>
  new Tensor(
    'float32',
    [m, 3, 32, 32],
    Float32Array.from(u8, (v) => v / 255),
  );

const test = await cifar10.test({ limit: n });
const x = unit(test.images.data as Uint8Array, test.images.shape[0]);
const t0 = performance.now();
const { predictions } = await cf.classify(x);
const labels = test.labels.data as BigInt64Array;
let correct = 0;
for (let i = 0; i < labels.length; i++) if (BigInt(predictions[i]) === labels[i]) correct++;
console.log(
  `test accuracy ${((100 * correct) / labels.length).toFixed(2)}% on ${labels.length} test images (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);

const train = await cifar10.train({ limit: n });
const y = unit(train.images.data as Uint8Array, train.images.shape[0]);
const t1 = performance.now();
const r = await cf.compare(y, x, { precisionRecall: true });
console.log(
  `real-vs-real floor, first ${y.shape[0]} train vs ${x.shape[0]} test images: FID ${r.frechet.toFixed(3)}, precision ${r.precision?.toFixed(4)}, recall ${r.recall?.toFixed(4)} (${((performance.now() - t1) / 1000).toFixed(0)} s)`,
);

/** 3x3 box blur of each channel plane (edges use the pixels inside). */
function blur(t: Tensor<'float32'>): Tensor<'float32'> {
  const [m, c] = t.shape;
  const src = t.data;
  const out = new Float32Array(src.length);
  for (let p = 0; p < m * c; p++) {
    const o = p * 1024;
    for (let i = 0; i < 32; i++)
      for (let j = 0; j < 32; j++) {
        let s = 0;
        let k = 0;
        for (let di = -1; di <= 1; di++)
          for (let dj = -1; dj <= 1; dj++) {
            const a = i + di;
            const b = j + dj;
            if (a < 0 || a > 31 || b < 0 || b > 31) continue;
            s += src[o + a * 32 + b];
            k++;
          }
        out[o + i * 32 + j] = s / k;
      }
  }
  return new Tensor('float32', t.shape, out);
}

function noisy(t: Tensor<'float32'>, std: number): Tensor<'float32'> {
  const eps = new Rng(0).normal(t.size, 0, std);
  return new Tensor(
    'float32',
    t.shape,
    t.data.map((v, i) => Math.min(1, Math.max(0, v + eps[i]))),
  );
}

const reference = await cf.embed(x);
for (const [name, images] of [
  ['train + N(0, 0.05) noise', noisy(y, 0.05)],
  ['train + N(0, 0.1) noise', noisy(y, 0.1)],
  ['train, 3x3 blur', blur(y)],
  ['train, 3x3 blur x2', blur(blur(y))],
] as const) {
  const e = await cf.embed(images);
  const c = compareEmbeddings(e, reference, { precisionRecall: true });
  console.log(
    `${name}: FID ${c.frechet.toFixed(3)}, precision ${c.precision?.toFixed(4)}, recall ${c.recall?.toFixed(4)}, mean confidence ${c.meanConfidence.toFixed(3)}`,
  );
}
