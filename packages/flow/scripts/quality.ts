/**
 * Quality runs of the flow presets (reference-configs, "Flow"), through the same
 * `flowFamily.train` the CLI uses (Adam, warm-up + cosine decay, seeded):
 *
 *   pnpm --filter @genmodels/flow exec tsx --conditions=source scripts/quality.ts --preset moons [--epochs 100] [--seed 0]
 *   pnpm --filter @genmodels/flow exec tsx --conditions=source scripts/quality.ts --preset mnist-mlp --epochs 1
 *
 * 2-D: test NLL in nats on the held-out set (20,000 points from TOY_TEST_SEED) against the
 * data entropy (TOY_ENTROPY of @genmodels/datasets); targets: within 0.1 nats (moons,
 * 8gaussians), 0.2 (checkerboard); ring8 is reported against its entropy with no target.
 * mnist-mlp: test bits/dim (target <= 2.0) and seconds per epoch. Writes the model and
 * pictures into --out/<preset>.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TOY_ENTROPY } from '@genmodels/datasets';
import { Runtime } from '@genmodels/runtime';
import { flowFamily } from '../src/index.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'moons' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'out/flow-quality' },
  },
});
const preset = values.preset;
const seed = Number(values.seed);
const epochs =
  values.epochs === undefined ? flowFamily.presets[preset]?.defaultEpochs : Number(values.epochs);
const TOLERANCE: Record<string, number> = { moons: 0.1, '8gaussians': 0.1, checkerboard: 0.2 };

const rt = await Runtime.create({ device: 'cpu' });
const t0 = performance.now();
const model = await flowFamily.train(rt, {
  preset,
  epochs,
  seed,
  onProgress: (e) => {
    const every = preset === 'mnist-mlp' ? 50 : 1000;
    if (e.step % every !== 0 && e.step !== e.total) return;
    const m = Object.entries(e.metrics)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(' ');
    console.log(`step ${e.step}/${e.total} ${m} ${e.samplesPerSec.toFixed(0)} samples/s`);
  },
});
const secs = (performance.now() - t0) / 1000;
const dir = join(values.out, preset);
await model.save(dir);
await model.pictures(dir, seed);
const m = await model.evaluate({ seed });
const head = `${preset}, ${epochs} epoch(s), seed ${seed}, ${secs.toFixed(0)} s training (${(secs / (epochs ?? 1)).toFixed(1)} s/epoch)`;
if (m.bpd !== undefined) {
  console.log(
    `${head}: test bpd ${m.bpd.toFixed(4)} (target <= 2.0: ${m.bpd <= 2 ? 'met' : 'not met'})`,
  );
} else {
  const h = TOY_ENTROPY[preset as keyof typeof TOY_ENTROPY] ?? Number.NaN;
  const gap = m.test_nll - h;
  const tol = TOLERANCE[preset];
  const verdict =
    tol === undefined ? 'no target' : `target gap <= ${tol}: ${gap <= tol ? 'met' : 'MISSED'}`;
  console.log(
    `${head}: test NLL ${m.test_nll.toFixed(4)} nats, entropy ${h.toFixed(4)}, gap ${gap.toFixed(4)} (${verdict})`,
  );
}
