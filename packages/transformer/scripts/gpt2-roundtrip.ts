/**
 * GPT-2 round trip through genmodels: read a GPT-2 model directory (e.g. one written by
 * gpt2_roundtrip.py), optionally fine-tune it a few steps on the fixed token ids of its
 * logits.safetensors (so the weights written back differ from the ones read), write it
 * back in GPT-2 names (model.safetensors, config.json, the tokenizer's files copied), and
 * write genmodels' logits for those ids to OUT/logits.safetensors.
 *
 *   pnpm --filter @genmodels/transformer exec tsx --conditions=source scripts/gpt2-roundtrip.ts \
 *     --model src/gpt/fixtures/gpt2_tiny --out /tmp/gpt2-back [--steps 20]
 *   /usr/bin/python3 packages/transformer/scripts/gpt2_roundtrip.py check \
 *     --model /tmp/gpt2-back --expect /tmp/gpt2-back/logits.safetensors
 *
 * Without --steps, it also prints the largest difference between genmodels' logits and the
 * ones in the source's logits.safetensors.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  adam,
  compileInference,
  compileTrainStep,
  decodeSafetensors,
  encodeSafetensors,
  ops,
  Runtime,
  Tensor,
} from '@genmodels/runtime';
import { type GptNetwork, readGpt2, writeGpt2Dir } from '../src/gpt/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    out: { type: 'string' },
    steps: { type: 'string', default: '0' },
    lr: { type: 'string', default: '1e-3' },
  },
});
if (!values.model || !values.out) {
  console.error('usage: gpt2-roundtrip.ts --model DIR --out DIR [--steps N] [--lr LR]');
  process.exit(2);
}
const rt = await Runtime.create({ device: 'cpu' });
const { net, hfConfig, tokenizer } = await readGpt2(values.model);
const given = decodeSafetensors(await readFile(join(values.model, 'logits.safetensors'))).tensors;
const ids = given.ids;
const [B, T] = ids.shape;

async function logits(n: GptNetwork): Promise<Tensor> {
  const exe = await compileInference(
    rt,
    n,
    { ids: { dtype: 'int64', shape: [B, T] } },
    (i) => n.call(i.ids, ops.arange(i.ids.graph, T)).logits,
  );
  return (await exe.runHost({ ids })).output;
}

const maxDiff = (a: Tensor, b: Tensor) =>
  (a.data as Float32Array).reduce(
    (m, v, i) => Math.max(m, Math.abs(v - (b.data as Float32Array)[i])),
    0,
  );

const steps = Number(values.steps);
if (steps === 0) {
  console.log(`max |logit - PyTorch logit| on load: ${maxDiff(await logits(net), given.logits)}`);
} else {
  // Next-token prediction on the fixed rows: ids[:, :-1] -> ids[:, 1:].
  const cut = (from: number) =>
    new Tensor(
      'int64',
      [B, T - 1],
      BigInt64Array.from({ length: B * (T - 1) }, (_, i) => {
        const [r, c] = [Math.floor(i / (T - 1)), i % (T - 1)];
        return (ids.data as BigInt64Array)[r * T + c + from];
      }),
    );
  const step = await compileTrainStep(rt, {
    module: net,
    inputs: { x: { dtype: 'int64', shape: [B, T - 1] }, y: { dtype: 'int64', shape: [B, T - 1] } },
    loss: (_p, b) => ops.crossEntropy(net.call(b.x, ops.arange(b.x.graph, T - 1)).logits, b.y),
    optimizer: adam(),
  });
  let loss = 0;
  for (let s = 0; s < steps; s++)
    loss = (await step.run({ x: cut(0), y: cut(1) }, { lr: Number(values.lr) })).loss;
  await step.syncTo(net);
  console.log(`fine-tuned ${steps} steps, last loss ${loss.toFixed(4)}`);
}
await writeGpt2Dir(values.out, net, { config: hfConfig });
if (tokenizer)
  for (const f of ['vocab.json', 'merges.txt'])
    await copyFile(join(values.model, f), join(values.out, f));
const out = await logits(net);
await writeFile(join(values.out, 'logits.safetensors'), encodeSafetensors({ ids, logits: out }));
console.log(`wrote ${values.out} (GPT-2 names) and genmodels' logits ${JSON.stringify(out.shape)}`);
