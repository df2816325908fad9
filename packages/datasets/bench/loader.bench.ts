/**
 * Throughput of the MNIST DataLoader on CPU: images/s for full epochs over the 60,000
 * training images at batch 128 with a seeded shuffle and the scaleTo01 transform (plus
 * variants: flatten, async iteration with prefetch, [-1, 1] scaling, dequantization,
 * binarization). Target: >= 100,000 images/s for the first line. Also times the first
 * (uncached) load of the IDX files.
 *
 *   pnpm --filter @genmodels/datasets bench [-- --epochs 5]
 */
import { parseArgs } from 'node:util';
import {
  binarize,
  DataLoader,
  dequantize,
  flatten,
  scaleTo01,
  scaleToMinus11,
  type Transform,
} from '../src/loader.js';
import { mnist } from '../src/mnist.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '5' } } });
const epochs = Number(values.epochs);
const B = 128;

let t = performance.now();
const { images, labels, source } = await mnist.train();
console.log(`load ${source}: ${(performance.now() - t).toFixed(0)} ms (first read)`);

async function run(name: string, transforms: Transform[], mode: 'sync' | 'async'): Promise<void> {
  const loader = new DataLoader(
    { x: images, y: labels },
    { batchSize: B, shuffle: true, seed: 0, transforms: { x: transforms } },
  );
  let checksum = 0; // consume a value per batch so nothing is optimized away
  const epoch = async () => {
    if (mode === 'sync') for (const b of loader) checksum += b.x.data[0] as number;
    else for await (const b of loader) checksum += b.x.data[0] as number;
  };
  await epoch(); // warm-up
  t = performance.now();
  for (let e = 0; e < epochs; e++) await epoch();
  const s = (performance.now() - t) / 1000;
  const rate = (epochs * loader.size) / s;
  console.log(
    `${name.padEnd(44)} ${mode.padEnd(5)} ${Math.round(rate).toLocaleString('en-US').padStart(11)} images/s  (${((1000 * s) / epochs).toFixed(0)} ms/epoch, checksum ${checksum.toFixed(2)})`,
  );
}

console.log(`MNIST train, batch ${B}, shuffle (seed 0), ${epochs} epochs after one warm-up`);
await run('shuffle + scaleTo01', [scaleTo01()], 'sync');
await run('shuffle + scaleTo01', [scaleTo01()], 'async');
await run('shuffle + scaleTo01 + flatten', [scaleTo01(), flatten()], 'sync');
await run('shuffle + scaleToMinus11', [scaleToMinus11()], 'sync');
await run('shuffle + dequantize', [dequantize()], 'sync');
await run('shuffle + binarize', [binarize()], 'sync');
await run('shuffle, raw uint8', [], 'sync');
