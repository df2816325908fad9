/**
 * Training throughput of the `ring8` and `mnist-dcgan` presets on CPU: D+G step pairs per
 * second (one D step and one G step, each a compiled ORT session with forward, backward
 * and Adam; host batch, noise and, for mnist-dcgan, the generator EMA included), and the
 * matching real samples per second.
 *
 *   pnpm --filter @genmodels/gan bench
 */
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { benchRuntimeOptions, reportBench } from '@genmodels/runtime/testing';
import { GAN } from '../src/index.js';

// GENMODELS_BENCH_PROFILE=<prefix>: ORT per-node profiles; GENMODELS_BENCH_NCHWC=0: im2col convs (see benchRuntimeOptions).
const rt = await Runtime.create(benchRuntimeOptions());

async function pairsPerSec(
  preset: string,
  steps: number,
): Promise<{ pairs: number; samples: number }> {
  const gan = GAN.create(rt, preset, { seed: 0 });
  const { dataDim, batchSize } = gan.config;
  // Data values do not change the cost; uniform noise stands in for the real sets.
  const n = batchSize * 50;
  const data = new Tensor('float32', [n, dataDim], new Rng(0).uniform([n, dataDim], -1, 1));
  await gan.fit(data, { steps: 10 }); // compile + warm-up
  const t0 = performance.now();
  await gan.fit(data, { steps, progressEvery: steps });
  const pairs = steps / ((performance.now() - t0) / 1000);
  return { pairs, samples: pairs * batchSize };
}

// GENMODELS_BENCH_ONLY=<preset> runs one preset (bench:vs-torch: one process per config, for its peak RSS).
const only = process.env.GENMODELS_BENCH_ONLY;
for (const [preset, steps] of [
  ['ring8', 2000],
  ['mnist-dcgan', 60],
] as const) {
  if (only && only !== preset) continue;
  const r = await pairsPerSec(preset, steps);
  reportBench({ config: `gan/${preset}`, phase: 'train', value: r.samples, unit: 'samples/s' });
  console.log(
    `${preset} train, batch ${preset === 'ring8' ? 256 : 64}, cpu: ${r.pairs.toFixed(1)} D+G step pairs/s (${r.samples.toFixed(0)} real samples/s)`,
  );
}

rt.endProfiling();
