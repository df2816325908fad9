/**
 * Fine-tuning throughput of a GPT-2-architecture model on CPU: training tokens/s with all
 * weights trained (AdamW on every parameter) and with LoRA (rank 8 on c_attn: only the
 * adapters have gradients and optimizer state), at batch 8 x 256. The model is a randomly
 * initialized 4-layer, 256-wide GPT-2 (the acceptance run's size) written as GPT-2 files and
 * read back with GPT.fromGpt2, with the tiny fixture's BPE tokenizer; weights and text do
 * not change the cost.
 *
 *   GENMODELS_BENCH_ONLY=gpt2-finetune pnpm --filter @genmodels/transformer bench:finetune
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Rng, Runtime } from '@genmodels/runtime';
import { benchRuntimeOptions, reportBench } from '@genmodels/runtime/testing';
import {
  encodeGpt2Files,
  GPT,
  GptNetwork,
  resolveGptConfig,
  tokenizeCorpus,
} from '../src/gpt/index.js';

// Only on request: `pnpm bench` (GENMODELS_BENCH_ONLY unset) keeps its output.
if (process.env.GENMODELS_BENCH_ONLY !== 'gpt2-finetune') process.exit(0);

const rt = await Runtime.create(benchRuntimeOptions());
const fixture = (f: string) =>
  readFile(fileURLToPath(new URL(`../src/gpt/fixtures/gpt2_tiny/${f}`, import.meta.url)));
const cfg = resolveGptConfig({
  vocabSize: 280,
  nLayer: 4,
  nHead: 4,
  nEmbd: 256,
  blockSize: 256,
  tieEmbeddings: true,
  activation: 'gelu_tanh',
});
const files = {
  ...encodeGpt2Files(new GptNetwork(cfg, new Rng(0))),
  'vocab.json': await fixture('vocab.json'),
  'merges.txt': await fixture('merges.txt'),
};
const letters = 'abcdefghijklmnopqrstuvwxyz     ';
const picks = new Rng(1).integers(100_000, 0, letters.length);
const text = Array.from(picks, (i) => letters[i]).join('');

const steps = 20;
async function rate(lora: boolean): Promise<{ tps: number; msPerStep: number }> {
  const gpt = await GPT.fromGpt2(rt, files, { training: { batchSize: 8 } });
  if (lora) gpt.addLora({ rank: 8 });
  const corpus = tokenizeCorpus(text, gpt.tokenizer);
  await gpt.fit(corpus, { steps: 2, lr: 1e-4 }); // compile and warm up
  const t0 = performance.now();
  await gpt.fit(corpus, { steps, lr: 1e-4 });
  const sec = (performance.now() - t0) / 1000;
  const { batchSize, blockSize } = gpt.config;
  return { tps: (steps * batchSize * blockSize) / sec, msPerStep: (1000 * sec) / steps };
}
const full = await rate(false);
const lora = await rate(true);

reportBench({
  config: 'transformer/gpt2-finetune',
  phase: 'train-full',
  value: full.tps,
  unit: 'tokens/s',
});
reportBench({
  config: 'transformer/gpt2-finetune',
  phase: 'train-lora',
  value: lora.tps,
  unit: 'tokens/s',
});
const where = `cpu, ${rt.threads} threads (${availableParallelism()} available)`;
console.log(
  `gpt2-finetune (4 layers, 256 wide, batch 8 x 256), ${where}: all weights ${full.tps.toFixed(0)} tokens/s (${full.msPerStep.toFixed(0)} ms/step), LoRA rank 8 ${lora.tps.toFixed(0)} tokens/s (${lora.msPerStep.toFixed(0)} ms/step), ${(lora.tps / full.tps).toFixed(2)}x`,
);
rt.endProfiling();
