/**
 * Quality run of the `shakespeare-char` GPT (seeded): trains on the first 90% of a
 * character corpus, then reports the validation loss (last 10%) in nats per character over
 * random windows and over the whole stream, bits per character, and a sample.
 *
 *   pnpm --filter @genmodels/transformer exec tsx --conditions=source scripts/gpt-quality.ts \
 *     --corpus ../../../shared/data/tinyshakespeare.txt [--steps 3000] [--seed 0] [--out DIR]
 *
 * Target (reference configs): validation loss < 1.78 nats/char on tiny-shakespeare.
 */
import { parseArgs } from 'node:util';
import { Runtime } from '@genmodels/runtime';
import { GPT, GPT_PRESETS, readCorpus } from '../src/gpt/index.js';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    preset: { type: 'string', default: 'shakespeare-char' },
    steps: { type: 'string' },
    seed: { type: 'string', default: '0' },
    'eval-every': { type: 'string', default: '500' },
    threads: { type: 'string' },
    out: { type: 'string' },
  },
});
if (!values.corpus) {
  console.error('usage: gpt-quality.ts --corpus PATH [--steps N] [--seed S] [--out DIR]');
  process.exit(2);
}
const preset = values.preset;
const steps = Number(values.steps ?? GPT_PRESETS[preset]?.config.steps);
const seed = Number(values.seed);
const target = 1.78;

const rt = await Runtime.create({
  device: 'cpu',
  threads: values.threads ? Number(values.threads) : undefined,
});
const corpus = await readCorpus(values.corpus);
console.log(
  `corpus ${values.corpus}: ${corpus.train.length} train + ${corpus.val.length} val characters, vocabulary ${corpus.chars.length}; ${steps} steps, seed ${seed}, ${rt.threads} threads`,
);
const gpt = GPT.create(rt, preset, { vocab: corpus.chars, seed, corpus });
const t0 = performance.now();
await gpt.fit(corpus, {
  steps,
  seed,
  progressEvery: 50,
  evalEvery: Number(values['eval-every']) || undefined,
  onEval: (s, v) => console.log(`step ${s}: val loss (10 random batches) ${v.toFixed(4)}`),
  onProgress: (e) =>
    console.log(
      `step ${e.step}/${steps} loss ${e.loss.toFixed(4)} lr ${e.metrics.lr.toExponential(2)} |g| ${e.metrics.grad_norm.toFixed(2)} ${e.metrics.tokens_per_sec.toFixed(0)} tok/s eta ${e.eta?.toFixed(0)} s`,
    ),
});
const trainSeconds = (performance.now() - t0) / 1000;
console.log(`trained ${steps} steps in ${trainSeconds.toFixed(1)} s`);
const t1 = performance.now();
const m = await gpt.evaluate({ seed });
console.log(
  `val loss ${m.val_loss.toFixed(4)} nats/char (random windows), ${m.val_loss_stream.toFixed(4)} nats/char (whole stream, ${m.val_tokens} tokens), ${m.bpc.toFixed(4)} bits/char; eval ${((performance.now() - t1) / 1000).toFixed(1)} s`,
);
if (preset === 'shakespeare-char')
  console.log(`target val loss < ${target}: ${m.val_loss < target ? 'met' : 'NOT met'}`);
const s = await gpt.generate({ prompt: 'ROMEO:', tokens: 500, seed, temperature: 0.8, topK: 40 });
console.log(
  `--- sample (prompt 'ROMEO:', temperature 0.8, top-k 40, seed ${seed}) ---\n${s.texts[0]}\n---`,
);
if (values.out) {
  await gpt.save(values.out);
  console.log(`wrote ${values.out}`);
}
