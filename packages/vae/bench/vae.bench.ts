/**
 * Throughput of the `mnist-mlp` preset on CPU: training samples/s at batch 128 (forward,
 * backward and Adam in one ORT session, host epsilon and batch copies included) and
 * `sample()` samples/s (host N(0, I) draws + decoder).
 *
 *   pnpm --filter @genmodels/vae bench
 */
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { benchRuntimeOptions, reportBench } from '@genmodels/runtime/testing';
import { VAE } from '../src/index.js';

// GENMODELS_BENCH_PROFILE=<prefix>: ORT per-node profiles; GENMODELS_BENCH_NCHWC=0: im2col convs (see benchRuntimeOptions).
const rt = await Runtime.create(benchRuntimeOptions());
const vae = VAE.create(rt, 'mnist-mlp', { seed: 0 });
// Pixel values do not change the cost; uniform noise stands in for MNIST.
const n = 128 * 60;
const data = new Tensor('float32', [n, 784], new Rng(0).uniform([n, 784]));

await vae.fit(data, { steps: 20 }); // compile + warm-up
const steps = 300;
let t0 = performance.now();
await vae.fit(data, { steps });
const trainRate = (steps * 128) / ((performance.now() - t0) / 1000);

await vae.sampleFlat(1000, 0); // compile + warm-up
const rounds = 20;
t0 = performance.now();
for (let i = 0; i < rounds; i++) await vae.sampleFlat(1000, i);
const sampleRate = (rounds * 1000) / ((performance.now() - t0) / 1000);

console.log(`mnist-mlp train, batch 128, cpu: ${trainRate.toFixed(0)} samples/s`);
console.log(`mnist-mlp sample(1000): ${sampleRate.toFixed(0)} samples/s`);
reportBench({ config: 'vae/mnist-mlp', phase: 'train', value: trainRate, unit: 'samples/s' });
reportBench({ config: 'vae/mnist-mlp', phase: 'sample', value: sampleRate, unit: 'samples/s' });

rt.endProfiling();
