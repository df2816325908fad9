/**
 * Trains the CIFAR-10 classifier behind the image metrics (Frechet distance, precision and
 * recall in its features) with the genmodels runtime, seeded, reports its test accuracy,
 * and (unless --dry-run, and only at >= 80% test accuracy) writes its weights into
 * src/metrics/cifar-net-weights.ts (safetensors bytes, base64) so they ship in the package.
 *
 *   GENMODELS_CIFAR10_DIR=... pnpm --filter @genmodels/datasets exec tsx --conditions=source \
 *     scripts/train-cifar-classifier.ts [--epochs 30] [--width 32] [--limit N] [--dry-run]
 *
 * Recipe: SGD with Nesterov momentum 0.9, weight decay 5e-4, batch 128, one-cycle learning
 * rate (linear warm-up to 0.1 over the first 15% of steps, cosine down to 0); augmentation:
 * random crops of the image padded by 4 (zeros after standardization) and horizontal flips.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  compileInference,
  compileTrainStep,
  cosine,
  encodeSafetensors,
  fit,
  ops,
  Rng,
  Runtime,
  sgd,
  Tensor,
} from '@genmodels/runtime';
import { cifar10 } from '../src/index.js';
import { CifarNet, standardizeCifar } from '../src/metrics/cifar-net.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '30' },
    width: { type: 'string', default: '32' },
    limit: { type: 'string' },
    'test-limit': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const epochs = Number(values.epochs);
const width = Number(values.width);
const seed = 0;
const batchSize = 128;

const rt = await Runtime.create({ device: 'cpu' });
const limit = values.limit === undefined ? undefined : Number(values.limit);
const testLimit = values['test-limit'] === undefined ? undefined : Number(values['test-limit']);
const train = await cifar10.train({ limit });
const test = await cifar10.test({ limit: testLimit });
const xTrain = standardizeCifar(train.images);
const yTrain = train.labels.data as ArrayLike<number | bigint>;
const n = xTrain.shape[0];
console.log(`CIFAR-10: ${n} training images, ${test.images.shape[0]} test images`);

const net = new CifarNet(new Rng(seed), width);
console.log(net.summary().split('\n').at(-1));
const step = await compileTrainStep(rt, {
  module: net,
  inputs: {
    x: { dtype: 'float32', shape: ['batch', 3, 32, 32] },
    y: { dtype: 'int64', shape: ['batch'] },
  },
  loss: (_p, b) => ops.crossEntropy(net.call(b.x), b.y),
  optimizer: sgd({ momentum: 0.9, nesterov: true, weightDecay: 5e-4 }),
  seed,
});

const PLANE = 32 * 32;
const IMAGE = 3 * PLANE;
const perEpoch = Math.floor(n / batchSize);
const rng = new Rng(seed + 1);
/** One epoch of augmented batches: a seeded shuffle, random 4-pixel shifts, random flips. */
function* epochBatches(): Generator<{ x: Tensor; y: Tensor }> {
  const order = rng.permutation(n);
  for (let b = 0; b < perEpoch; b++) {
    const x = new Float32Array(batchSize * IMAGE);
    const y = new BigInt64Array(batchSize);
    const u = rng.uniform(3 * batchSize);
    for (let i = 0; i < batchSize; i++) {
      const src = order[b * batchSize + i];
      y[i] = BigInt(yTrain[src]);
      const dy = Math.min(8, Math.floor(u[3 * i] * 9)) - 4;
      const dx = Math.min(8, Math.floor(u[3 * i + 1] * 9)) - 4;
      const flip = u[3 * i + 2] < 0.5;
      for (let c = 0; c < 3; c++) {
        const s0 = src * IMAGE + c * PLANE;
        const d0 = i * IMAGE + c * PLANE;
        for (let r = 0; r < 32; r++) {
          const sr = r + dy;
          if (sr < 0 || sr >= 32) continue;
          for (let col = 0; col < 32; col++) {
            const sc = (flip ? 31 - col : col) + dx;
            if (sc < 0 || sc >= 32) continue;
            x[d0 + r * 32 + col] = (xTrain.data as Float32Array)[s0 + sr * 32 + sc];
          }
        }
      }
    }
    yield {
      x: new Tensor('float32', [batchSize, 3, 32, 32], x),
      y: new Tensor('int64', [batchSize], y),
    };
  }
}
const batches = { length: perEpoch, [Symbol.iterator]: epochBatches };

const total = epochs * perEpoch;
const warm = Math.round(0.15 * total);
const t0 = performance.now();
await fit(step, batches, {
  epochs,
  lr: cosine(0.1, { warmupSteps: warm, totalSteps: total, minLr: 0 }),
  progressEvery: 50,
  onProgress: (e) =>
    console.log(
      `step ${e.step}/${total} epoch ${e.epoch} loss ${e.loss.toFixed(4)} ${e.samplesPerSec.toFixed(0)} img/s`,
    ),
});
const seconds = (performance.now() - t0) / 1000;
console.log(`trained ${epochs} epochs in ${seconds.toFixed(1)} s`);
await step.syncTo(net);
net.eval();

const infer = await compileInference(
  rt,
  net,
  { x: { dtype: 'float32', shape: ['batch', 3, 32, 32] } },
  (i) => ops.argmax(net.call(i.x), -1),
);
const xTest = standardizeCifar(test.images);
const yTest = test.labels.data as ArrayLike<number | bigint>;
const nTest = xTest.shape[0];
let correct = 0;
for (let s = 0; s < nTest; s += 1000) {
  const m = Math.min(1000, nTest - s);
  const x = new Tensor(
    'float32',
    [m, 3, 32, 32],
    (xTest.data as Float32Array).subarray(s * IMAGE, (s + m) * IMAGE),
  );
  const pred = (await infer.runHost({ x })).output.data as BigInt64Array;
  for (let i = 0; i < m; i++) if (Number(pred[i]) === Number(yTest[s + i])) correct++;
}
const acc = correct / nTest;
console.log(
  `test accuracy ${(100 * acc).toFixed(2)}% (seed ${seed}, width ${width}, ${epochs} epochs, ${seconds.toFixed(0)} s)`,
);
if (acc < 0.8) {
  console.error('test accuracy below 80%: weights not written');
  process.exit(1);
}
if (!values['dry-run']) {
  const bytes = encodeSafetensors(net.stateDict(), {
    'genmodels.family': 'cifar-net',
    'genmodels.width': String(width),
    'genmodels.test_accuracy': acc.toFixed(4),
    'genmodels.seed': String(seed),
    'genmodels.epochs': String(epochs),
  });
  const b64 = Buffer.from(bytes).toString('base64');
  await writeFile(
    new URL('../src/metrics/cifar-net-weights.ts', import.meta.url),
    `// Generated by scripts/train-cifar-classifier.ts (seed ${seed}, width ${width}, ${epochs} epochs, CIFAR-10 test accuracy ${(100 * acc).toFixed(2)}%). Do not edit.\n` +
      `/** CifarNet weights for the CIFAR-10 image metrics: safetensors bytes, base64. */\nexport const CIFAR_NET_WEIGHTS_BASE64 =\n  '${b64}';\n`,
  );
  console.log(`wrote src/metrics/cifar-net-weights.ts (${bytes.length} bytes of safetensors)`);
}
