/**
 * Quality runs of the flow presets (reference-configs, "Flow"), through the same
 * `flowFamily.train` the CLI uses (Adam, warm-up + cosine decay, seeded):
 *
 *   pnpm --filter @genmodels/flow exec tsx --conditions=source scripts/quality.ts --preset moons [--epochs 100] [--seed 0]
 *   pnpm --filter @genmodels/flow exec tsx --conditions=source scripts/quality.ts --preset mnist-mlp --epochs 1
 *   pnpm --filter @genmodels/flow exec tsx --conditions=source scripts/quality.ts --preset cifar-realnvp --steps 300
 *
 * 2-D: test NLL in nats on the held-out set (20,000 points from TOY_TEST_SEED) against the
 * data entropy (TOY_ENTROPY of @genmodels/datasets); targets: within 0.1 nats (moons,
 * 8gaussians), 0.2 (checkerboard); ring8 is reported against its entropy with no target.
 * Pixel presets: test bits/dim and seconds per epoch; mnist-mlp's target is <= 2.0,
 * cifar-realnvp has none (it is compared with scripts/cifar_realnvp_torch.py at the same
 * steps). `--steps N` trains N steps instead of whole epochs (the schedule spans the N).
 * Writes the model and pictures into --out/<preset>.
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
    steps: { type: 'string' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'out/flow-quality' },
  },
});
const preset = values.preset;
const seed = Number(values.seed);
const epochs =
  values.epochs === undefined ? flowFamily.presets[preset]?.defaultEpochs : Number(values.epochs);
const steps = values.steps === undefined ? undefined : Number(values.steps);
/** Bits/dim targets of the pixel presets that have one (reference-configs). */
const BPD_TARGET: Record<string, number> = { 'mnist-mlp': 2.0 };
const TOLERANCE: Record<string, number> = { moons: 0.1, '8gaussians': 0.1, checkerboard: 0.2 };

const rt = await Runtime.create({ device: 'cpu' });
const t0 = performance.now();
const model = await flowFamily.train(rt, {
  preset,
  epochs,
  steps,
  seed,
  onProgress: (e) => {
    const every = preset === 'mnist-mlp' || preset === 'cifar-realnvp' ? 50 : 1000;
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
const length = steps === undefined ? `${epochs} epoch(s)` : `${steps} steps`;
const rate =
  steps === undefined
    ? `${(secs / (epochs ?? 1)).toFixed(1)} s/epoch`
    : `${(secs / steps).toFixed(2)} s/step`;
const head = `${preset}, ${length}, seed ${seed}, ${secs.toFixed(0)} s training (${rate})`;
if (m.bpd !== undefined) {
  const target = BPD_TARGET[preset];
  const verdict =
    target === undefined
      ? 'no target'
      : `target <= ${target}: ${m.bpd <= target ? 'met' : 'not met'}`;
  console.log(`${head}: test bpd ${m.bpd.toFixed(4)} (${verdict})`);
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
