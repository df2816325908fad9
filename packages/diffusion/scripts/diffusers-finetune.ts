/**
 * The diffusers round trip, genmodels' half: load a UNet2DModel directory written by PyTorch
 * (diffusers_unet_roundtrip.py), check its outputs against the directory's outputs.safetensors,
 * fine-tune it a few steps on synthetic bar images, save it back in diffusers' names with the
 * fine-tuned model's outputs on the same fixed inputs, for the script's `check`:
 *
 *   /usr/bin/python3 packages/diffusion/scripts/diffusers_unet_roundtrip.py make-fixture
 *   pnpm --filter @genmodels/diffusion exec tsx --conditions=source scripts/diffusers-finetune.ts \
 *     --model src/fixtures/diffusers_tiny --out /tmp/unet-tuned [--steps 20] [--lr 1e-3]
 *   /usr/bin/python3 packages/diffusion/scripts/diffusers_unet_roundtrip.py check \
 *     --model /tmp/unet-tuned --expect /tmp/unet-tuned/outputs.safetensors
 *
 * --model takes a directory with diffusion_pytorch_model.safetensors, config.json and
 * outputs.safetensors (x, t, [y,] out); exits non-zero when the loaded model's outputs differ
 * from PyTorch's by more than --tol.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeSafetensors, encodeSafetensors, Rng, Runtime, Tensor } from '@genmodels/runtime';
import { Diffusion, diffusionImageShape } from '../src/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'src/fixtures/diffusers_tiny' },
    out: { type: 'string', default: 'out/diffusers-tuned' },
    steps: { type: 'string', default: '20' },
    lr: { type: 'string', default: '1e-3' },
    tol: { type: 'string', default: '1e-4' },
  },
});

/** Images [n, C, H, W] in [-1, 1]: a horizontal (class 0) or vertical (class 1) bar, placed at random. */
function bars(n: number, shape: number[], classes: number, seed: number) {
  const [c, h, w] = shape;
  const rng = new Rng(seed);
  const data = new Float32Array(n * c * h * w).fill(-1);
  const labels = Array.from({ length: n }, (_, i) => (classes > 0 ? i % Math.min(2, classes) : 0));
  const at = rng.uniform(n);
  for (let i = 0; i < n; i++) {
    const start = Math.floor(at[i] * (h / 2));
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const v = labels[i] === 0 ? y : x;
          if (v >= start && v < start + Math.max(2, h / 4))
            data[((i * c + ch) * h + y) * w + x] = 1;
        }
  }
  return { images: new Tensor('float32', [n, c, h, w], data), labels };
}

function maxDiff(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

const rt = await Runtime.create({ device: 'cpu' });
const model = await Diffusion.fromDiffusers(rt, values.model, {
  lr: Number(values.lr),
  batchSize: 8,
  emaDecay: 0,
});
const cfg = model.config;
const fixed = decodeSafetensors(await readFile(join(values.model, 'outputs.safetensors'))).tensors;
const { x, t, y } = fixed;
const run = () =>
  model.denoise(x, Array.from(t.data, Number), y && Array.from(y.data, Number), { ema: false });
const loaded = await run();
const loadDiff = maxDiff(loaded, fixed.out);
console.log(`loaded ${values.model}: max |genmodels - PyTorch| = ${loadDiff.toExponential(3)}`);
if (!(loadDiff <= Number(values.tol))) throw new Error(`above the tolerance ${values.tol}`);

const { images, labels } = bars(64, diffusionImageShape(cfg), cfg.numClasses, 0);
const fit = await model.fit(images, {
  steps: Number(values.steps),
  seed: 0,
  ...(cfg.numClasses > 0 ? { labels } : {}),
});
const tuned = await run();
console.log(
  `fine-tuned ${fit.steps} steps (last loss ${fit.loss.toFixed(4)}): outputs moved by up to ${maxDiff(tuned, loaded).toExponential(3)}`,
);
await model.saveDiffusers(values.out);
await writeFile(
  join(values.out, 'outputs.safetensors'),
  encodeSafetensors({ ...fixed, out: tuned }, { format: 'pt' }),
);
console.log(`wrote ${values.out} (diffusers names) and its outputs.safetensors`);
