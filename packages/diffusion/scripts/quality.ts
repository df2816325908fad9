/**
 * Quality runs of the diffusion presets (reference-configs, "Diffusion"):
 *
 *   pnpm --filter @genmodels/diffusion exec tsx --conditions=source scripts/quality.ts --preset moons-2d [--seed 0] [--epochs 60]
 *   pnpm --filter @genmodels/diffusion exec tsx --conditions=source scripts/quality.ts --preset mnist-unet-tiny --minutes 30 [--n 500] [--out DIR]
 *   pnpm --filter @genmodels/diffusion exec tsx --conditions=source scripts/quality.ts --load DIR [--n 500]
 *
 * moons-2d: trains (seed), then MMD (RBF, bandwidths 0.1, 0.2, 0.5, 1) between 2,000 samples
 * and 2,000 held-out points, for DDPM (1,000 steps) and DDIM (50 steps, eta 0), against
 * 2x the MMD between two independent draws of 2,000 data points (the target).
 * MNIST: trains for --minutes of wall time (in chunks of 20 steps), reports training
 * examples/s, saves the model, then FLD, class-histogram KL, confident fraction and label
 * agreement of --n guided samples (classes in turn) at DDIM 10/20/50/100 steps.
 * Writes samples.png (and steps.json for 2-D) and the model into --out.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Runtime } from '@genmodels/runtime';
import { Diffusion, diffusionFamily } from '../src/index.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'moons-2d' },
    epochs: { type: 'string' },
    minutes: { type: 'string', default: '30' },
    seed: { type: 'string', default: '0' },
    n: { type: 'string', default: '500' },
    load: { type: 'string' },
    out: { type: 'string', default: 'out/diffusion-quality' },
  },
});
const seed = Number(values.seed);
const rt = await Runtime.create({ device: 'cpu' });

async function moons(): Promise<void> {
  const preset = values.preset ?? 'moons-2d';
  const epochs =
    values.epochs === undefined
      ? diffusionFamily.presets[preset]?.defaultEpochs
      : Number(values.epochs);
  const t0 = performance.now();
  const model = await diffusionFamily.train(rt, {
    preset,
    epochs,
    seed,
    onProgress: (e) => {
      if (e.step % 1000 === 0 || e.step === e.total)
        console.log(
          `step ${e.step}/${e.total} loss ${e.loss.toFixed(4)} ${e.samplesPerSec.toFixed(0)} examples/s`,
        );
    },
  });
  console.log(
    `${preset}: ${epochs} epochs, seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  for (const [sampler, steps] of [
    ['ddpm', 1000],
    ['ddim', 50],
  ] as const) {
    const m = await model.evaluate({ seed: 1000 + seed, n: 2000, sampler, steps });
    const target = 2 * m.mmd_data_baseline;
    console.log(
      `${sampler} ${steps} steps: mmd ${m.mmd.toFixed(5)}, data baseline ${m.mmd_data_baseline.toFixed(5)}, target <= ${target.toFixed(5)}: ${m.mmd <= target ? 'met' : 'MISSED'} (${model.lastTiming?.msPerStep.toFixed(2)} ms/step)`,
    );
  }
  const dir = join(values.out, preset);
  await model.save(dir);
  console.log(`pictures: ${(await model.pictures(dir, 0)).map((f) => join(dir, f)).join(', ')}`);
}

async function mnistEval(model: Diffusion): Promise<void> {
  const n = Number(values.n);
  for (const steps of [10, 20, 50, 100]) {
    const t0 = performance.now();
    const m = await model.evaluate({ seed: 1000 + seed, n, sampler: 'ddim', steps, limit: 10_000 });
    console.log(
      `DDIM ${steps} steps, guidance ${model.config.guidance}, n ${n}: fld ${m.fld.toFixed(2)}, class_kl ${m.class_kl.toFixed(4)}, confident_fraction ${m.confident_fraction.toFixed(3)}, label_agreement ${m.label_agreement.toFixed(3)}, mean_confidence ${m.mean_confidence.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
}

async function mnist(): Promise<void> {
  const preset = values.preset ?? 'mnist-unet-tiny';
  const minutes = Number(values.minutes);
  const { mnistSplit } = await import('../src/with-datasets.js');
  const data = await mnistSplit('train');
  const model = Diffusion.create(rt, preset, { seed });
  const dir = join(values.out, preset);
  const start = performance.now();
  let steps = 0;
  let chunk = 0;
  while ((performance.now() - start) / 60_000 < minutes) {
    const r = await model.fit(data.images, {
      steps: 20,
      seed: seed * 100_000 + chunk++,
      labels: data.labels,
      progressEvery: 20,
    });
    steps += r.steps;
    if (chunk % 10 === 0) {
      const secs = (performance.now() - start) / 1000;
      console.log(
        `step ${steps} loss ${r.loss.toFixed(4)}, ${((steps * model.config.batchSize) / secs).toFixed(1)} examples/s, ${(secs / 60).toFixed(1)} min`,
      );
      await model.save(dir);
    }
  }
  const secs = (performance.now() - start) / 1000;
  console.log(
    `${preset}: trained ${steps} steps (${((steps * model.config.batchSize) / 60_000).toFixed(2)} epochs) in ${(secs / 60).toFixed(1)} min, seed ${seed}: ${((steps * model.config.batchSize) / secs).toFixed(1)} examples/s`,
  );
  await model.save(dir);
  await model.pictures(dir, 0);
  console.log(`model and samples.png in ${dir}`);
  await mnistEval(model);
}

if (values.load) {
  const model = await Diffusion.load(rt, values.load);
  await model.pictures(values.load, 0);
  await mnistEval(model);
} else if (values.preset?.startsWith('mnist')) await mnist();
else await moons();
