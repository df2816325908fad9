/**
 * CPU throughput of the `moons-2d`, `mnist-unet-tiny` and `mnist-unet` presets:
 * - training: examples per second (one compiled ORT session per step: forward, backward and
 *   Adam; host batch, timesteps, noise, label dropout and the weight EMA included);
 * - sampling: milliseconds per sample for 50-step DDIM (moons: 2,000 points per call; MNIST:
 *   16 images per call, with classifier-free guidance, i.e. a batch of 32 through the U-Net),
 *   and per step the time inside ORT's session.run vs the host's share (feeds, guidance
 *   combination, the DDIM update).
 *
 *   pnpm --filter @genmodels/diffusion bench
 */
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { benchRuntimeOptions, reportBench } from '@genmodels/runtime/testing';
import { Diffusion } from '../src/index.js';

// GENMODELS_BENCH_PROFILE=<prefix>: ORT per-node profiles; GENMODELS_BENCH_NCHWC=0: im2col convs (see benchRuntimeOptions).
const rt = await Runtime.create(benchRuntimeOptions());

async function bench(preset: string, trainSteps: number, n: number) {
  const m = Diffusion.create(rt, preset, { seed: 0 });
  const cfg = m.config;
  const rows = cfg.batchSize * 20;
  // Data values do not change the cost; uniform noise stands in for the real sets.
  const shape = cfg.arch === 'unet' ? [rows, 28, 28] : [rows, 2];
  const data = new Tensor('float32', shape, new Rng(0).uniform(rows * cfg.dataDim, -1, 1));
  const labels =
    cfg.numClasses > 0 ? Int32Array.from({ length: rows }, (_, i) => i % 10) : undefined;
  await m.fit(data, { steps: 5, labels }); // compile + warm-up
  const t0 = performance.now();
  await m.fit(data, { steps: trainSteps, labels, progressEvery: trainSteps });
  const trainSecs = (performance.now() - t0) / 1000;
  await m.sampleFlat(Math.min(n, 4), { sampler: 'ddim', steps: 2 }); // compile the sampler
  const t1 = performance.now();
  await m.sampleFlat(n, { sampler: 'ddim', steps: 50 });
  const ms = performance.now() - t1;
  const tm = m.lastTiming;
  const train = (trainSteps * cfg.batchSize) / trainSecs;
  reportBench({ config: `diffusion/${preset}`, phase: 'train', value: train, unit: 'samples/s' });
  // One U-Net evaluation per sample per step; with guidance each sample takes two.
  const evals = cfg.numClasses > 0 && cfg.guidance > 0 ? 2 : 1;
  reportBench({
    config: `diffusion/${preset}`,
    phase: 'ddim-eval',
    value: ms / n / evals / 50,
    unit: 'ms/evaluation',
  });
  console.log(
    `${preset}: train ${((trainSteps * cfg.batchSize) / trainSecs).toFixed(0)} examples/s (batch ${cfg.batchSize}, ${((trainSecs / trainSteps) * 1000).toFixed(1)} ms/step); ` +
      `DDIM-50 ${(ms / n).toFixed(2)} ms per sample (${n} per call${cfg.numClasses > 0 ? `, guidance ${cfg.guidance}` : ''}); ` +
      `per step ${tm?.msPerStep.toFixed(2)} ms = ORT run ${tm?.runMsPerStep.toFixed(2)} ms + host ${tm?.hostMsPerStep.toFixed(3)} ms (${(((tm?.hostMsPerStep ?? 0) / (tm?.msPerStep ?? 1)) * 100).toFixed(1)}%)`,
  );
}

// GENMODELS_BENCH_ONLY=<preset> runs one preset (bench:vs-torch: one process per config, for its peak RSS).
const only = process.env.GENMODELS_BENCH_ONLY;
if (!only || only === 'moons-2d') await bench('moons-2d', 500, 2000);
if (!only || only === 'mnist-unet-tiny') await bench('mnist-unet-tiny', 30, 16);
if (!only || only === 'mnist-unet') await bench('mnist-unet', 10, 16);

rt.endProfiling();
