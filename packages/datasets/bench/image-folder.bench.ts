/**
 * Throughput of readImageFolder on CPU: images/s to list, read, decode (PNG via fast-png,
 * JPEG via jpeg-js), resize and center-crop a folder of 200 PNG + 200 JPEG images of 64x64
 * (RGB, smooth synthetic content, in two class folders, written to a temp dir) at size 32.
 * `channels` auto reads every header first (two passes over the files); forced channels
 * reads each file once.
 *
 *   pnpm --filter @genmodels/datasets bench [-- --repeats 5]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ImageReadOptions, readImageFolder } from '../src/own-data/images.js';
import { makeJpeg, makePng } from '../src/own-data/testing.js';

const { values } = parseArgs({
  options: { repeats: { type: 'string', default: '5' }, epochs: { type: 'string' } },
  strict: false,
});
const repeats = Number(values.repeats);
const N = 200;
const W = 64;

const root = mkdtempSync(join(tmpdir(), 'genmodels-image-bench-'));
const pixel = (i: number) => (x: number, y: number) => [
  (x * 4 + i) & 255,
  (y * 4 + 2 * i) & 255,
  (128 + 64 * Math.sin((x + y + i) / 9)) | 0,
];
for (const dir of ['png/a', 'png/b', 'jpeg/a', 'jpeg/b', 'mixed/a', 'mixed/b'])
  mkdirSync(join(root, dir), { recursive: true });
for (let i = 0; i < N; i++) {
  const cls = i % 2 ? 'b' : 'a';
  const png = makePng(W, W, 3, pixel(i));
  const jpg = makeJpeg(W, W, pixel(i), 90);
  writeFileSync(join(root, 'png', cls, `${i}.png`), png);
  writeFileSync(join(root, 'jpeg', cls, `${i}.jpg`), jpg);
  writeFileSync(join(root, 'mixed', cls, `${i}.png`), png);
  writeFileSync(join(root, 'mixed', cls, `${i}.jpg`), jpg);
}

async function run(
  name: string,
  dir: string,
  options: ImageReadOptions,
  mode: string,
): Promise<void> {
  let checksum = 0;
  const once = async () => {
    const set = await readImageFolder(join(root, dir), options);
    checksum += set.images.data[set.images.data.length - 1];
    return set.images.shape[0];
  };
  await once(); // warm-up
  const t = performance.now();
  let n = 0;
  for (let r = 0; r < repeats; r++) n += await once();
  const s = (performance.now() - t) / 1000;
  const rate = Math.round(n / s).toLocaleString('en-US');
  console.log(
    `${name.padEnd(44)} ${mode.padEnd(5)} ${rate.padStart(11)} images/s  (${((1000 * s) / repeats).toFixed(0)} ms/folder, checksum ${checksum.toFixed(2)})`,
  );
}

console.log(
  `readImageFolder: ${N} PNG + ${N} JPEG, ${W}x${W} RGB -> size 32, ${repeats} reads after one warm-up`,
);
try {
  await run(`${N} PNG ${W}x${W} -> 32`, 'png', { size: 32, channels: 3 }, 'once');
  await run(`${N} JPEG ${W}x${W} -> 32`, 'jpeg', { size: 32, channels: 3 }, 'once');
  await run(`${2 * N} PNG + JPEG -> 32, channels: 3`, 'mixed', { size: 32, channels: 3 }, 'once');
  await run(`${2 * N} PNG + JPEG -> 32, channels auto`, 'mixed', { size: 32 }, 'twice');
} finally {
  rmSync(root, { recursive: true, force: true });
}
