/**
 * Quality run of the `seq2seq-*` presets (seeded): trains the preset on fresh examples of
 * its task's training split, then reports on held-out sources (never seen in training)
 * the teacher-forced loss, greedy exact match and beam exact match, with wall times.
 *
 *   pnpm --filter @genmodels/transformer exec tsx --conditions=source scripts/seq2seq-quality.ts \
 *     --task reverse|addition [--steps N] [--seed S] [--examples 2000] [--beam 4] [--out DIR]
 *
 * Targets (reference configs): greedy exact match >= 0.99 on reverse, >= 0.95 on addition.
 */
import { parseArgs } from 'node:util';
import { Runtime } from '@genmodels/runtime';
import { SEQ2SEQ_PRESETS, Seq2seq } from '../src/seq2seq/index.js';

const { values } = parseArgs({
  options: {
    task: { type: 'string', default: 'reverse' },
    steps: { type: 'string' },
    seed: { type: 'string', default: '0' },
    examples: { type: 'string', default: '2000' },
    beam: { type: 'string', default: '4' },
    'eval-every': { type: 'string', default: '500' },
    lr: { type: 'string' },
    warmup: { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
  },
});
const presetName = `seq2seq-${values.task}`;
const preset = SEQ2SEQ_PRESETS[presetName];
if (!preset) {
  console.error(`unknown task '${values.task}'; expected reverse or addition`);
  process.exit(2);
}
const steps = Number(values.steps ?? preset.config.steps);
const seed = Number(values.seed);
const examples = Number(values.examples);
const beam = Number(values.beam);
const target = values.task === 'reverse' ? 0.99 : 0.95;

const rt = await Runtime.create({
  device: 'cpu',
  threads: values.threads ? Number(values.threads) : undefined,
});
const overrides = {
  ...(values.lr ? { lr: Number(values.lr), minLr: Number(values.lr) / 10 } : {}),
  ...(values.warmup ? { warmupSteps: Number(values.warmup) } : {}),
};
const model =
  Object.keys(overrides).length === 0
    ? await Seq2seq.create(rt, presetName, { seed })
    : await Seq2seq.create(
        rt,
        { config: { ...preset.config, ...overrides }, task: preset.task },
        { seed },
      );
console.log(
  `${presetName}: ${model.net.numParameters()} parameters, ${steps} steps, batch ${model.config.batchSize}, lr ${model.config.lr}, warmup ${model.config.warmupSteps}, seed ${seed}, ${rt.threads} threads`,
);
const t0 = performance.now();
await model.fit({
  steps,
  seed,
  progressEvery: 100,
  evalEvery: Number(values['eval-every']) || undefined,
  onEval: (s, m) =>
    console.log(
      `step ${s}: held-out (256) val_loss ${m.val_loss.toFixed(4)} exact_match ${m.exact_match.toFixed(4)}`,
    ),
  onProgress: (e) =>
    console.log(
      `step ${e.step}/${steps} loss ${e.loss.toFixed(4)} lr ${e.metrics.lr.toExponential(2)} ${e.metrics.examples_per_sec.toFixed(0)} ex/s eta ${e.eta?.toFixed(0)} s`,
    ),
});
const trainSeconds = (performance.now() - t0) / 1000;
console.log(`trained ${steps} steps in ${trainSeconds.toFixed(1)} s`);
const t1 = performance.now();
// Evaluation examples are drawn from the held-out split with a seed distinct from training's.
const m = await model.evaluate({ seed: seed + 1000, examples, beam });
const evalSeconds = (performance.now() - t1) / 1000;
console.log(
  `held-out (${examples} examples): val_loss ${m.val_loss.toFixed(4)} nats/token, greedy exact_match ${m.exact_match.toFixed(4)} (target >= ${target}), beam-${beam} exact_match ${m.beam_exact_match.toFixed(4)}; eval ${evalSeconds.toFixed(1)} s`,
);
const s = await model.sample(5, seed + 1000);
if (s.kind === 'text') for (const t of s.texts) console.log(`  ${t}`);
if (values.out) {
  await model.save(values.out);
  console.log(`saved to ${values.out}`);
}
console.log(
  JSON.stringify({
    preset: presetName,
    steps,
    seed,
    train_seconds: +trainSeconds.toFixed(1),
    eval_seconds: +evalSeconds.toFixed(1),
    ...m,
    target,
    met: m.exact_match >= target,
  }),
);
