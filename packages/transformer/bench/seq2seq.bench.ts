/**
 * Throughput of the `seq2seq-reverse` preset on CPU: training examples/s at batch 64
 * (sources padded to 10, decoder inputs to 11; forward, backward, clipping and AdamW in
 * one ORT session), and decoding examples/s for 512 held-out sources, greedy and beam 4
 * (the encoder once per source, the decoder rerun over the prefix, batched over sources).
 *
 *   pnpm --filter @genmodels/transformer exec tsx --conditions=source bench/seq2seq.bench.ts
 */
import { availableParallelism } from 'node:os';
import { Runtime } from '@genmodels/runtime';
import { Seq2seq } from '../src/seq2seq/index.js';

// GENMODELS_BENCH_ONLY=<preset> (bench:vs-torch) runs one preset: this file is seq2seq-reverse.
const only = process.env.GENMODELS_BENCH_ONLY;
if (only && only !== 'seq2seq-reverse') process.exit(0);
const rt = await Runtime.create({ device: 'cpu' });
const model = await Seq2seq.create(rt, 'seq2seq-reverse', { seed: 0 });
const { batchSize } = model.config;

await model.fit({ steps: 5, totalSteps: 1000 }); // compile + warm-up
const steps = 100;
const t0 = performance.now();
await model.fit({ steps, totalSteps: 1000 });
const trainSec = (performance.now() - t0) / 1000;

const { seq2seqTask } = await import('@genmodels/datasets');
const sources = seq2seqTask('reverse', { seed: 1, split: 'test' })
  .take(512)
  .map((e) => e.src);
const rate = async (beam?: number) => {
  await model.decode(sources.slice(0, 8), { beam }); // compile + warm-up
  const t = performance.now();
  await model.decode(sources, { beam });
  return sources.length / ((performance.now() - t) / 1000);
};
const greedy = await rate();
const beam4 = await rate(4);

const where = `cpu, ${rt.threads} threads (${availableParallelism()} available)`;
console.log(
  `seq2seq-reverse train, batch ${batchSize}, ${where}: ${((steps * batchSize) / trainSec).toFixed(0)} examples/s (${((1000 * trainSec) / steps).toFixed(1)} ms/step)`,
);
console.log(
  `seq2seq-reverse decode ${sources.length} sources: greedy ${greedy.toFixed(0)} examples/s, beam 4 ${beam4.toFixed(0)} examples/s`,
);
