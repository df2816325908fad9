/**
 * Quality runs of the GAN presets (reference-configs, "GAN"):
 *
 *   pnpm --filter @genmodels/gan exec tsx --conditions=source scripts/quality.ts --preset ring8 [--seeds 5] [--epochs 60]
 *   pnpm --filter @genmodels/gan exec tsx --conditions=source scripts/quality.ts --preset mnist-dcgan [--epochs 5] [--out DIR]
 *   pnpm --filter @genmodels/gan exec tsx --conditions=source scripts/quality.ts --preset mnist-cdcgan [--epochs 5] [--out DIR]
 *   pnpm --filter @genmodels/gan exec tsx --conditions=source scripts/quality.ts --preset cifar-dcgan --steps 1000 --n 10000 [--seed 0]
 *
 * ring8: over seeds 0..S-1, 2,500 samples each: modes covered (target 8/8 in every seed) and
 * high-quality fraction (target >= 0.9), mean +- standard error. MNIST: FLD, class-histogram KL,
 * confident fraction (target >= 0.7) on 10,000 samples vs the test set; the conditional preset
 * also label agreement (target >= 0.9). CIFAR-10: `fid` in the shipped classifier's features
 * and its class statistics, n samples (`--n`, default 1,000) vs as many test images (at least
 * 1,000). `--steps` trains that many D+G pairs instead of epochs. Writes samples.png (and the
 * model) into --out.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Runtime } from '@genmodels/runtime';
import { ganFamily } from '../src/index.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'ring8' },
    epochs: { type: 'string' },
    steps: { type: 'string' },
    n: { type: 'string' },
    seeds: { type: 'string', default: '5' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'out/gan-quality' },
  },
});
const preset = values.preset;
const steps = values.steps === undefined ? undefined : Number(values.steps);
const epochs =
  steps !== undefined
    ? undefined
    : values.epochs === undefined
      ? ganFamily.presets[preset]?.defaultEpochs
      : Number(values.epochs);
const length = steps !== undefined ? `${steps} steps` : `${epochs} epochs`;
const rt = await Runtime.create({ device: 'cpu' });

function meanSe(v: number[]): string {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1));
  return `${m.toFixed(4)} +- ${(sd / Math.sqrt(v.length)).toFixed(4)}`;
}

async function train(seed: number) {
  const t0 = performance.now();
  const model = await ganFamily.train(rt, {
    preset,
    epochs,
    steps,
    seed,
    onProgress: (e) => {
      if (e.step % (preset === 'ring8' ? 1000 : 200) !== 0 && e.step !== e.total) return;
      const m = e.metrics;
      console.log(
        `seed ${seed} step ${e.step}/${e.total} d_loss ${m.d_loss.toFixed(3)} g_loss ${m.g_loss.toFixed(3)} D(real) ${m.d_real.toFixed(3)} D(fake) ${m.d_fake.toFixed(3)} fake_std ${m.fake_std.toFixed(3)}${'warning' in e && e.warning ? ` WARNING ${e.warning}` : ''}`,
      );
    },
  });
  return { model, secs: (performance.now() - t0) / 1000 };
}

if (preset === 'ring8') {
  const seeds = Number(values.seeds);
  const modes: number[] = [];
  const hq: number[] = [];
  for (let s = 0; s < seeds; s++) {
    const { model, secs } = await train(s);
    const m = await model.evaluate({ seed: 1000 + s, n: 2500 });
    modes.push(m.modes);
    hq.push(m.hq_fraction);
    console.log(
      `seed ${s}: ${secs.toFixed(1)} s, modes ${m.modes}/8, hq ${m.hq_fraction.toFixed(4)}, reverse_kl ${m.reverse_kl.toFixed(4)}`,
    );
    if (s === 0) await model.pictures(join(values.out, 'ring8'), 0);
  }
  console.log(
    `ring8, ${length}, ${seeds} seeds x 2500 samples: modes ${modes.join(' ')} (target 8 in every seed: ${modes.every((m) => m === 8) ? 'met' : 'MISSED'}); hq_fraction ${meanSe(hq)} (target >= 0.9: ${hq.reduce((a, b) => a + b, 0) / hq.length >= 0.9 ? 'met' : 'MISSED'})`,
  );
} else {
  const seed = Number(values.seed);
  const { model, secs } = await train(seed);
  const dir = join(values.out, preset);
  await model.save(dir);
  await model.pictures(dir, 0);
  const t1 = performance.now();
  const m = await model.evaluate({
    seed: 1000,
    n: values.n === undefined ? undefined : Number(values.n),
  });
  console.log(`evaluated in ${((performance.now() - t1) / 1000).toFixed(0)} s`);
  console.log(
    `${preset}, ${length}, seed ${seed}, ${(secs / 60).toFixed(1)} min: ${JSON.stringify(m)}`,
  );
  if (preset.startsWith('mnist'))
    console.log(
      `confident_fraction target >= 0.7: ${m.confident_fraction >= 0.7 ? 'met' : 'MISSED'}`,
    );
  if (m.label_agreement !== undefined)
    console.log(`label_agreement target >= 0.9: ${m.label_agreement >= 0.9 ? 'met' : 'MISSED'}`);
  console.log(`samples: ${join(dir, 'samples.png')}`);
}
