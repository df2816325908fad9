/**
 * The fine-tuning acceptance run's genmodels half (finetune-roundtrip.sh runs it between
 * the PyTorch script's `make` and `check`): load a GPT-2 directory, compare genmodels'
 * logits with PyTorch's (its logits.safetensors), fine-tune on another text (LoRA, or all
 * weights with --lora-rank 0), print the validation loss before and after, merge, and write
 * the model in GPT-2 names with genmodels' logits for the same fixed ids.
 *
 *   pnpm --filter @genmodels/transformer exec tsx --conditions=source scripts/finetune-roundtrip.ts \
 *     --base DIR --out DIR [--text FILE] [--steps 200] [--lora-rank 8] [--lr 1e-3]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  compileInference,
  decodeSafetensors,
  encodeSafetensors,
  ops,
  Rng,
  Runtime,
  type Tensor,
} from '@genmodels/runtime';
import { FINETUNE_LR, GPT, saveGpt2LoraAdapters, tokenizeCorpus } from '../src/index.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    out: { type: 'string' },
    text: { type: 'string' },
    steps: { type: 'string', default: '200' },
    'lora-rank': { type: 'string', default: '8' },
    lr: { type: 'string' },
    batch: { type: 'string', default: '8' },
  },
});
if (!values.base || !values.out) {
  console.error('usage: finetune-roundtrip.ts --base DIR --out DIR [--text FILE] [--steps N]');
  process.exit(2);
}

/**
 * The other text: seeded sentences from a small grammar (a register the base model's
 * built-in text does not have), so the held-out 10% shares its structure, not its lines.
 */
function otherText(sentences: number): string {
  const rng = new Rng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng.uniform(1)[0] * xs.length)];
  const who = ['the harbour master', 'a tired sailor', 'the lighthouse keeper', 'my neighbour'];
  const did = ['counted', 'painted', 'repaired', 'carried', 'watched'];
  const what = ['the blue boats', 'seven old nets', 'the morning tide', 'a crate of lemons'];
  const when = ['before dawn', 'at noon', 'in the rain', 'after supper'];
  const lines: string[] = [];
  for (let i = 0; i < sentences; i++)
    lines.push(`${pick(who)} ${pick(did)} ${pick(what)} ${pick(when)}.`);
  return `${lines.join(' ')}\n`;
}

const rt = await Runtime.create({ device: 'cpu' });
const gpt = await GPT.fromGpt2(rt, values.base, {
  training: { batchSize: Number(values.batch) },
});
const given = decodeSafetensors(await readFile(join(values.base, 'logits.safetensors'))).tensors;
const ids = given.ids;

async function logits(): Promise<Tensor> {
  const [B, T] = ids.shape;
  const net = gpt.net;
  const exe = await compileInference(
    rt,
    net,
    { ids: { dtype: 'int64', shape: [B, T] } },
    (i) => net.call(i.ids, ops.arange(i.ids.graph, T)).logits,
  );
  return (await exe.runHost({ ids })).output;
}
const maxDiff = (a: Tensor, b: Tensor) =>
  (a.data as Float32Array).reduce(
    (m, v, i) => Math.max(m, Math.abs(v - (b.data as Float32Array)[i])),
    0,
  );

const cfg = gpt.config;
console.log(
  `loaded ${values.base}: ${cfg.nLayer} layers, width ${cfg.nEmbd}, ${cfg.nHead} heads, context ${cfg.blockSize}, vocab ${cfg.vocabSize}`,
);
const loadDiff = maxDiff(await logits(), given.logits);
console.log(`max |genmodels logit - PyTorch logit| on load: ${loadDiff.toExponential(3)}`);

const text = values.text ? await readFile(values.text, 'utf8') : otherText(1200);
const corpus = tokenizeCorpus(text, gpt.tokenizer, {
  source: values.text ?? 'built-in harbour text',
});
const rank = Number(values['lora-rank']);
if (rank > 0) gpt.addLora({ rank });
const lr = values.lr ? Number(values.lr) : rank > 0 ? FINETUNE_LR.lora : FINETUNE_LR.full;
const evalOpts = { seed: 0, batches: 10 };
const before = await gpt.evaluateOn(corpus.val, evalOpts);
console.log(
  `fine-tuning on ${corpus.source} (${corpus.train.length} train / ${corpus.val.length} val tokens), ${rank > 0 ? `LoRA rank ${rank}` : 'all weights'}, lr ${lr}, ${values.steps} steps`,
);
let tps = 0;
await gpt.fit(corpus, {
  steps: Number(values.steps),
  lr,
  progressEvery: 25,
  onProgress: (e) => {
    tps = e.metrics?.tokens_per_sec ?? tps;
    console.log(`  step ${e.step} loss ${e.loss.toFixed(4)} ${Math.round(tps)} tokens/s`);
  },
});
if (rank > 0 && gpt.lora) {
  // The adapters alone in PEFT's files: the PyTorch check merges them into the base model.
  await saveGpt2LoraAdapters(`${values.out}-adapter`, gpt.net, gpt.lora);
  gpt.mergeLora();
}
const after = await gpt.evaluateOn(corpus.val, evalOpts);
console.log(
  `val_loss before ${before.val_loss.toFixed(4)} -> after ${after.val_loss.toFixed(4)} (stream ${before.val_loss_stream.toFixed(4)} -> ${after.val_loss_stream.toFixed(4)})`,
);
await gpt.saveGpt2(values.out);
await writeFile(
  join(values.out, 'logits.safetensors'),
  encodeSafetensors({ ids, logits: await logits() }),
);
console.log(`wrote the merged model in GPT-2 names and genmodels' logits to ${values.out}`);
console.log(
  JSON.stringify({
    load_max_abs_diff: loadDiff,
    val_loss_before: before.val_loss,
    val_loss_after: after.val_loss,
    tokens_per_sec: tps,
  }),
);
