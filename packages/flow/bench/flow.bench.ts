/**
 * Throughput of the `moons` and `mnist-mlp` presets on CPU: training samples/s (one
 * compiled ORT session per step: forward, log-det, backward, Adam; host batches and, for
 * MNIST, dequantization included) and sampling samples/s (z -> x through the inverse flow,
 * host noise included).
 *
 *   pnpm --filter @genmodels/flow bench
 */
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { benchRuntimeOptions, reportBench } from '@genmodels/runtime/testing';
import { Flow } from '../src/index.js';

// GENMODELS_BENCH_PROFILE=<prefix>: ORT per-node profiles; GENMODELS_BENCH_NCHWC=0: im2col convs (see benchRuntimeOptions).
const rt = await Runtime.create(benchRuntimeOptions());

async function bench(preset: string, trainSteps: number, sampleN: number): Promise<void> {
  const flow = Flow.create(rt, preset, { seed: 0 });
  const { dim, batchSize, pixels } = flow.config;
  // Data values do not change the cost: uniform stand-ins for the real sets.
  const n = batchSize * 20;
  const rng = new Rng(0);
  const data = pixels
    ? new Tensor('float32', [n, dim], Float32Array.from(rng.integers(n * dim, 0, 256)))
    : new Tensor('float32', [n, dim], rng.uniform([n, dim], -2, 2));
  await flow.fit(data, { steps: 3 }); // compile + warm-up
  let t0 = performance.now();
  await flow.fit(data, { steps: trainSteps, progressEvery: trainSteps });
  const trainPerSec = (trainSteps * batchSize) / ((performance.now() - t0) / 1000);
  await flow.sampleFlat(16, 0); // compile the inverse
  t0 = performance.now();
  await flow.sampleFlat(sampleN, 1);
  const samplePerSec = sampleN / ((performance.now() - t0) / 1000);
  reportBench({ config: `flow/${preset}`, phase: 'train', value: trainPerSec, unit: 'samples/s' });
  console.log(
    `${preset} (batch ${batchSize}), cpu: train ${trainPerSec.toFixed(0)} samples/s (${(trainPerSec / batchSize).toFixed(1)} steps/s); sample ${samplePerSec.toFixed(0)} samples/s (${sampleN} samples)`,
  );
}

// GENMODELS_BENCH_ONLY=<preset> runs one preset (bench:vs-torch: one process per config, for its peak RSS).
const only = process.env.GENMODELS_BENCH_ONLY;
if (!only || only === 'moons') await bench('moons', 300, 100_000);
if (!only || only === 'mnist-mlp') await bench('mnist-mlp', 20, 2_000);

rt.endProfiling();
