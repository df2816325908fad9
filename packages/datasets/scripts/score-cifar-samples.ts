/**
 * Scores a file of generated CIFAR-10-shaped images against the CIFAR-10 test set with
 * `cifar10SampleMetrics`, the function the GAN's and the diffusion model's `evaluate()` use:
 * the Frechet distance in the shipped classifier's features (`fid`), its class statistics and,
 * with `--precision-recall`, improved precision and recall (k = 3). This is how samples written
 * by the PyTorch reference scripts are scored beside genmodels' own figures.
 *
 *   pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/score-cifar-samples.ts SAMPLES.npy [--range -11|01] [--test 10000] [--precision-recall]
 *
 * SAMPLES.npy: float32 [n, 3, 32, 32] (or [n, 3072]) in the given range (default -11, tanh
 * outputs). The test images compared with are the first `--test` (default 10,000). Prints one
 * JSON line.
 */
import { parseArgs } from 'node:util';
import { Runtime, Tensor } from '@genmodels/runtime';
import { cifar10SampleMetrics, readNpy } from '../src/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    range: { type: 'string', default: '-11' },
    test: { type: 'string', default: '10000' },
    'precision-recall': { type: 'boolean', default: false },
  },
});
const [file] = positionals;
if (!file || positionals.length !== 1) {
  console.error(
    'usage: score-cifar-samples.ts SAMPLES.npy [--range -11|01] [--test 10000] [--precision-recall]',
  );
  process.exit(2);
}
const range = values.range;
if (range !== '-11' && range !== '01') {
  console.error(`--range must be -11 or 01, got '${range}'`);
  process.exit(2);
}
const npy = await readNpy(file, { maxBytes: 2 ** 31 });
const per = npy.shape.slice(1).reduce((a, b) => a * b, 1);
if (npy.dtype !== 'float32' || per !== 3072)
  throw new Error(
    `${file}: expected float32 [n, 3, 32, 32] or [n, 3072], got ${npy.dtype} [${npy.shape.join(', ')}]`,
  );
const n = npy.shape[0];
const samples = new Tensor('float32', [n, 3, 32, 32], npy.data as Float32Array);
const rt = await Runtime.create({ device: 'cpu' });
const t0 = performance.now();
const m = await cifar10SampleMetrics(rt, samples, {
  range,
  testLimit: Number(values.test),
  precisionRecall: values['precision-recall'],
});
console.log(
  JSON.stringify({
    file,
    samples: n,
    test: Number(values.test),
    ...m,
    seconds: (performance.now() - t0) / 1000,
  }),
);
