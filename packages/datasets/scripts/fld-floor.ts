/**
 * Reference figures for the Frechet LeNet Distance (README): FLD(test vs train) is the
 * floor a perfect generator would reach with N = 10,000; FLD of blurred and of noised
 * test images against train shows the scale. Seeded.
 *
 *   pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/fld-floor.ts
 */
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { FrechetLeNet, mnist } from '../src/index.js';

const N = 10_000;
const rt = await Runtime.create({ device: 'cpu' });
const fld = await FrechetLeNet.create(rt);

function toFloat(images: Tensor, n: number): Tensor {
  const src = images.data as Uint8Array;
  const out = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) out[i] = src[i] / 255;
  return new Tensor('float32', [n, 1, 28, 28], out);
}

/** 3x3 box blur, `passes` times. */
function blur(x: Tensor, passes: number): Tensor {
  let cur = (x.data as Float32Array).slice();
  const n = x.shape[0];
  for (let p = 0; p < passes; p++) {
    const next = new Float32Array(cur.length);
    for (let k = 0; k < n; k++) {
      const o = k * 784;
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) {
          let s = 0;
          let m = 0;
          for (let dr = -1; dr <= 1; dr++) {
            for (let dc = -1; dc <= 1; dc++) {
              const rr = r + dr;
              const cc = c + dc;
              if (rr >= 0 && rr < 28 && cc >= 0 && cc < 28) {
                s += cur[o + rr * 28 + cc];
                m++;
              }
            }
          }
          next[o + r * 28 + c] = s / m;
        }
      }
    }
    cur = next;
  }
  return new Tensor('float32', x.shape, cur);
}

function noised(x: Tensor, std: number, seed: number): Tensor {
  const eps = new Rng(seed).normal(x.size, 0, std);
  const d = x.data as Float32Array;
  return new Tensor(
    'float32',
    x.shape,
    d.map((v, i) => Math.min(1, Math.max(0, v + eps[i]))),
  );
}

const train = toFloat((await mnist.train()).images, N);
const test = toFloat((await mnist.test()).images, N);
const rows: [string, Tensor][] = [
  ['test (floor)', test],
  ['test, 3x3 blur x1', blur(test, 1)],
  ['test, 3x3 blur x2', blur(test, 2)],
  ['test + N(0, 0.1) noise', noised(test, 0.1, 0)],
  ['test + N(0, 0.3) noise', noised(test, 0.3, 0)],
  ['uniform noise images', new Tensor('float32', test.shape, new Rng(1).uniform(test.size))],
];
console.log(`FLD against the first ${N} MNIST training images (LeNet features, 84-d):`);
console.log('| images | FLD | class KL to uniform | mean confidence | confidence >= 0.9 |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, imgs] of rows) {
  const r = await fld.compare(imgs, train);
  console.log(
    `| ${name} | ${r.fld.toFixed(3)} | ${r.classKL.toFixed(4)} | ${r.meanConfidence.toFixed(3)} | ${(100 * r.confidentFraction).toFixed(1)}% |`,
  );
}
