/**
 * Throughput of the `shakespeare-char` GPT on CPU: training tokens/s at batch 32 x 128
 * (forward, backward, clipping and AdamW in one ORT session, host batch copies included),
 * and generation tokens/s of 256 new tokens with and without the KV cache.
 *
 *   pnpm --filter @genmodels/transformer bench
 *
 * Text content does not change the cost: a seeded random 65-character text stands in for
 * tiny-shakespeare (so the bench needs no data file).
 */
import { availableParallelism } from 'node:os';
import { Rng, Runtime } from '@genmodels/runtime';
import { benchRuntimeOptions, reportBench } from '@genmodels/runtime/testing';
import { corpusFromText, GPT } from '../src/gpt/index.js';

// GENMODELS_BENCH_ONLY=<preset>: this file is shakespeare-char (seq2seq.bench.ts the other).
if (process.env.GENMODELS_BENCH_ONLY && process.env.GENMODELS_BENCH_ONLY !== 'shakespeare-char')
  process.exit(0);
// GENMODELS_BENCH_PROFILE=<prefix>: ORT per-node profiles; GENMODELS_BENCH_NCHWC=0: im2col convs (see benchRuntimeOptions).
const rt = await Runtime.create(benchRuntimeOptions());
const chars = Array.from({ length: 65 }, (_, i) => String.fromCharCode(33 + i)).join('');
const picks = new Rng(0).integers(200_000, 0, chars.length);
const corpus = await corpusFromText(Array.from(picks, (i) => chars[i]).join(''));
const gpt = GPT.create(rt, 'shakespeare-char', { vocab: corpus.chars, seed: 0, corpus });
const { batchSize, blockSize } = gpt.config;

await gpt.fit(corpus, { steps: 5, totalSteps: 1000 }); // compile + warm-up
const steps = 40;
const t0 = performance.now();
await gpt.fit(corpus, { steps, totalSteps: 1000 });
const trainSec = (performance.now() - t0) / 1000;
const trainRate = (steps * batchSize * blockSize) / trainSec;

const tokens = 256;
const rate = async (kvCache: boolean) => {
  await gpt.generate({ tokens: 16, kvCache }); // compile + warm-up
  const t = performance.now();
  const r = await gpt.generate({ tokens, kvCache, seed: 1 });
  return r.tokens[0].length / ((performance.now() - t) / 1000);
};
const withKv = await rate(true);
const withoutKv = await rate(false);

reportBench({
  config: 'transformer/shakespeare-char',
  phase: 'train',
  value: trainRate,
  unit: 'tokens/s',
});
reportBench({
  config: 'transformer/shakespeare-char',
  phase: 'sample-kv',
  value: withKv,
  unit: 'tokens/s',
});
const where = `cpu, ${rt.threads} threads (${availableParallelism()} available)`;
console.log(
  `shakespeare-char train, batch ${batchSize} x ${blockSize}, ${where}: ${trainRate.toFixed(0)} tokens/s (${((1000 * trainSec) / steps).toFixed(0)} ms/step)`,
);
console.log(
  `shakespeare-char generate ${tokens} tokens, batch 1: ${withKv.toFixed(0)} tokens/s with KV cache, ${withoutKv.toFixed(0)} tokens/s without (${(withKv / withoutKv).toFixed(1)}x)`,
);

rt.endProfiling();
