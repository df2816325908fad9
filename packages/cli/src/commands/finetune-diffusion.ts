/**
 * `genmodels finetune diffusion --from-pytorch DIR --data IMAGES`: read a diffusers
 * UNet2DModel directory (diffusion_pytorch_model.safetensors + config.json), fine-tune all
 * its weights on a folder of images (a seeded 10% held out), and write a run directory as
 * `train` does: the model, samples.png, and metrics.json with the held-out denoising loss
 * before and after. `genmodels export diffusion --format diffusers` writes it back in
 * diffusers' names.
 */
import { join } from 'node:path';
import { readImageFolder, splitRows } from '@genmodels/datasets';
import { Diffusion, denoisingLoss, diffusionImageShape } from '@genmodels/diffusion';
import { CONFIG_FILE, MODEL_FILE, Tensor, VERSION } from '@genmodels/runtime';
import type { RunConfig } from '../checkpoint.js';
import type { CliContext, makeRuntime } from '../common.js';
import { UsageError } from '../errors.js';
import { writeJson } from '../fsio.js';
import { createProgress } from '../progress.js';
import type { StagedRun } from '../rundir.js';
import { writeSamples } from '../writers.js';
import { savedConfig } from './train.js';

/** What `finetune diffusion` reads of the command line. */
export interface DiffusionFinetuneArgs {
  fromPytorch: string;
  data: string;
  steps: number;
  lr?: number;
  batchSize?: number;
  seed: number;
  device: string;
  samples?: number;
}

/** Held-out share of the images, as `train --data` holds out. */
const VAL_FRACTION = 0.1;

/** Fine-tune into `stage`; returns the exit code. */
export async function finetuneDiffusionInto(
  ctx: CliContext,
  args: DiffusionFinetuneArgs,
  rt: Awaited<ReturnType<typeof makeRuntime>>,
  stage: StagedRun,
): Promise<number> {
  const training = {
    ...(args.lr === undefined ? { lr: 1e-4 } : { lr: args.lr }),
    ...(args.batchSize === undefined ? {} : { batchSize: args.batchSize }),
  };
  const model = await Diffusion.fromDiffusers(rt, args.fromPytorch, training);
  const cfg = model.config;
  const [c, h, w] = diffusionImageShape(cfg);
  if (h !== w)
    throw new UsageError(
      `the U-Net in '${args.fromPytorch}' takes ${h}x${w} images; --data reads a folder at one square size`,
    );
  if (c !== 1 && c !== 3)
    throw new UsageError(
      `the U-Net in '${args.fromPytorch}' takes ${c}-channel images; --data reads gray or RGB images`,
    );
  const conditional = cfg.numClasses > 0;
  const read = await readImageFolder(args.data, {
    size: h,
    channels: c,
    labels: conditional ? 'folders' : 'none',
  });
  if (conditional && read.classes.length > cfg.numClasses)
    throw new UsageError(
      `--data '${args.data}' has ${read.classes.length} class folders (${read.classes.join(', ')}); the U-Net knows ${cfg.numClasses} classes`,
    );
  const pixels = signed(read.images);
  const { train, val } = splitRows(pixels, VAL_FRACTION, args.seed);
  const labelsOf = (part: 'train' | 'val') =>
    read.labels
      ? Array.from(splitRows(read.labels, VAL_FRACTION, args.seed)[part].data, Number)
      : undefined;
  if (train.shape[0] < cfg.batchSize)
    throw new UsageError(
      `--data '${args.data}': ${train.shape[0]} training images (after holding out ${val.shape[0]}) are fewer than one batch of ${cfg.batchSize}; give more images or --batch-size`,
    );
  const lossOpts = { seed: args.seed, labels: labelsOf('val') };
  const before = await denoisingLoss(model, val, lossOpts);
  ctx.stdout.write(
    `fine-tuning a diffusers U-Net (${cfg.channels.join('-')}, ${c}x${h}x${w}${conditional ? `, ${cfg.numClasses} classes` : ''}) from ${args.fromPytorch} on ${train.shape[0]} images: ${args.steps} steps, lr ${cfg.lr}, batch ${cfg.batchSize}, seed ${args.seed}, ${args.device}\n`,
  );
  ctx.stdout.write(`held-out denoising loss before: ${before.toFixed(5)}\n`);
  const progress = createProgress(ctx.stdout, ctx.progressIntervalMs);
  const t0 = performance.now();
  let samplesPerSec = 0;
  try {
    const r = await model.fit(train, {
      steps: args.steps,
      seed: args.seed,
      labels: labelsOf('train'),
      progressEvery: 1,
      onProgress: (e) => progress.update({ ...e, total: args.steps }),
    });
    samplesPerSec = r.samplesPerSec;
  } finally {
    progress.done();
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = await denoisingLoss(model, val, lossOpts);
  ctx.stdout.write(
    `fine-tuned in ${seconds.toFixed(1)} s\nheld-out denoising loss after: ${after.toFixed(5)}\n`,
  );

  const tmp = stage.path;
  await model.save(tmp);
  const run: RunConfig = {
    ...(await savedConfig(tmp)),
    family: 'diffusion',
    preset: model.preset,
    seed: args.seed,
    device: args.device,
    epochs: null,
    steps: args.steps,
    runtime: VERSION,
    data: args.data,
    finetuned_from: args.fromPytorch,
    config: model.config,
  };
  await writeJson(join(tmp, CONFIG_FILE), run);
  const metrics = {
    denoising_loss_before: before,
    denoising_loss_after: after,
    held_out_images: val.shape[0],
    samples_per_sec: samplesPerSec,
  };
  await writeJson(join(tmp, 'metrics.json'), metrics);
  await writeSamples(join(tmp, 'samples.png'), await model.sample(args.samples ?? 16, args.seed));
  await stage.commit();
  const files = [MODEL_FILE, CONFIG_FILE, 'metrics.json', 'samples.png'];
  ctx.stdout.write(`metrics: ${JSON.stringify(metrics)}\n`);
  ctx.stdout.write(
    `wrote to ${stage.dir}:\n${files.map((f) => `  ${join(stage.dir, f)}\n`).join('')}`,
  );
  return 0;
}

/** Pixels in [0, 1] as the U-Net's [-1, 1]. */
function signed(x: Tensor): Tensor<'float32'> {
  return new Tensor(
    'float32',
    x.shape,
    Float32Array.from(x.data as Float32Array, (v) => 2 * v - 1),
  );
}
