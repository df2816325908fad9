/**
 * Quality run of a VAE preset (default `mnist-mlp`, seed 0): trains on the preset's set (the
 * 60,000 MNIST or 50,000 CIFAR-10 training images), then reports the test-set negative ELBO
 * (all 10,000 images, one z per image) and the importance-weighted bound with k = 100 on the
 * first 1,000 test images; for `cifar-conv`, also bits per dim of the 8-bit data.
 *
 *   pnpm --filter @genmodels/vae exec tsx --conditions=source scripts/quality.ts [--preset mnist-mlp] [--epochs 10] [--out DIR]
 *
 * The target (negative ELBO <= 105 nats after 10 epochs) is the reference configs' for `mnist-mlp`.
 */
import { parseArgs } from 'node:util';
import { Runtime } from '@genmodels/runtime';
import { vaeFamily } from '../src/index.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'mnist-mlp' },
    epochs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string' },
  },
});
const epochs = Number(values.epochs);
const seed = Number(values.seed);
const target = 105;

const rt = await Runtime.create({ device: 'cpu' });
const t0 = performance.now();
let lastEpoch = -1;
const vae = await vaeFamily.train(rt, {
  preset: values.preset,
  epochs,
  seed,
  onProgress: (e) => {
    if (e.epoch === lastEpoch && e.step !== e.total) return;
    lastEpoch = e.epoch;
    console.log(
      `step ${e.step}/${e.total} epoch ${e.epoch} loss ${e.loss.toFixed(2)} recon ${e.metrics.recon.toFixed(2)} kl ${e.metrics.kl.toFixed(2)} ${e.samplesPerSec.toFixed(0)} img/s`,
    );
  },
});
const trainSeconds = (performance.now() - t0) / 1000;
console.log(`trained ${epochs} epochs in ${trainSeconds.toFixed(1)} s`);
const m = await vae.evaluate({ seed, k: 100, iwaeLimit: 1000 });
const fmt = (v: number) => v.toFixed(2);
console.log(
  `test neg ELBO ${fmt(m.neg_elbo)} nats (recon ${fmt(m.recon)}, KL ${fmt(m.kl)}); IWAE k=100 on 1,000 images ${fmt(m.iwae_k)} nats`,
);
// Dequantized presets (cifar-conv): bits per dim of the 8-bit data, from the ELBO and the IWAE bound.
if (m.bits_per_dim !== undefined) {
  const iwaeBpd = (m.iwae_k as number) / (vae.dims.d * Math.LN2) + 8;
  console.log(
    `test bits/dim ${m.bits_per_dim.toFixed(4)} (ELBO), ${iwaeBpd.toFixed(4)} (IWAE k=100, 1,000 images)`,
  );
}
if (values.preset === 'mnist-mlp' && epochs === 10)
  console.log(`target neg ELBO <= ${target}: ${m.neg_elbo <= target ? 'met' : 'NOT met'}`);
if (values.out) {
  await vae.save(values.out);
  await vae.pictures(values.out, seed);
  console.log(`wrote ${values.out}`);
}
