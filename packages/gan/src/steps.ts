/**
 * The two compiled training steps over one GanNetwork: the D step updates only
 * `discriminator.*`, the G step only `generator.*`; they share the live parameters and
 * buffers (`shareStateWith`), each with its own Adam state.
 */
import {
  adam,
  compileTrainStep,
  ops,
  type Runtime,
  type TrainStep,
  type Value,
} from '@genmodels/runtime';
import type { GanConfig } from './config.js';
import { discriminatorLoss, generatorLoss, gradientPenalty, r1Penalty } from './losses.js';
import { type GanNetwork, isDiscriminator, isGenerator } from './network.js';

type Spec = { dtype: 'float32'; shape: (string | number)[] };

/** Batch inputs of the D step (real, z, [eps], [y]) and of the G step (z, [y]). */
export function stepInputs(cfg: GanConfig): { d: Record<string, Spec>; g: Record<string, Spec> } {
  const z: Spec = { dtype: 'float32', shape: ['batch', cfg.zDim] };
  const y: Record<string, Spec> =
    cfg.numClasses > 0 ? { y: { dtype: 'float32', shape: ['batch', cfg.numClasses] } } : {};
  const eps: Record<string, Spec> =
    cfg.loss === 'wgan-gp' ? { eps: { dtype: 'float32', shape: ['batch', 1] } } : {};
  return {
    d: { real: { dtype: 'float32', shape: ['batch', cfg.dataDim] }, z, ...eps, ...y },
    g: { z, ...y },
  };
}

/** D's mean output as shown in progress: probabilities for the logistic loss, raw scores otherwise. */
function meanScore(cfg: GanConfig, logits: Value): Value {
  return ops.mean(cfg.loss === 'nonsaturating' ? ops.sigmoid(logits) : logits);
}

/** Compile the D and G steps (the G step shares the D step's state). */
export async function compileGanSteps(
  rt: Runtime,
  net: GanNetwork,
  seed: number,
): Promise<{ dStep: TrainStep; gStep: TrainStep }> {
  const cfg = net.cfg;
  const inputs = stepInputs(cfg);
  const optimizer = () => adam({ betas: cfg.betas });
  net.train();
  const dStep = await compileTrainStep(rt, {
    module: net,
    name: 'gan_d_step',
    inputs: inputs.d,
    trainable: isDiscriminator,
    optimizer: optimizer(),
    seed,
    loss: (_p, b) => {
      const d = (x: Value) => net.discriminator.call(x, b.y);
      const fake = ops.stopGradient(net.generator.call(b.z, b.y));
      const real = d(b.real);
      const fakeLogits = d(fake);
      let loss = discriminatorLoss(cfg.loss, real, fakeLogits);
      const metrics: Record<string, Value> = {
        d_real: meanScore(cfg, real),
        d_fake: meanScore(cfg, fakeLogits),
      };
      if (cfg.loss === 'wgan-gp') {
        const gp = gradientPenalty(d, b.real, fake, b.eps);
        metrics.gp = gp;
        loss = ops.add(loss, ops.mul(gp, ops.scalar(gp.graph, cfg.gpWeight)));
      }
      if (cfg.r1Gamma > 0) {
        const r1 = r1Penalty(d, b.real);
        metrics.r1 = r1;
        loss = ops.add(loss, ops.mul(r1, ops.scalar(r1.graph, cfg.r1Gamma / 2)));
      }
      return { loss, metrics };
    },
  });
  const gStep = await compileTrainStep(rt, {
    module: net,
    name: 'gan_g_step',
    inputs: inputs.g,
    trainable: isGenerator,
    optimizer: optimizer(),
    shareStateWith: dStep,
    seed,
    loss: (_p, b) => {
      const fake = net.generator.call(b.z, b.y);
      const logits = net.discriminator.call(fake, b.y);
      // Spread of the batch (mean per-feature std): near 0 when the generator collapses.
      const spread = ops.mean(
        ops.sqrt(ops.add(ops.variance(fake, 0), ops.scalar(fake.graph, 1e-12))),
      );
      return {
        loss: generatorLoss(cfg.loss, logits),
        metrics: { g_d_fake: meanScore(cfg, logits), fake_std: spread },
      };
    },
  });
  return { dStep, gStep };
}
