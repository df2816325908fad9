/**
 * The compiled training step: x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) noise in the graph, the
 * denoiser's output against the target of `cfg.prediction` (eps, x0 or v) with MSE, Adam.
 * Timesteps, noise and the per-row coefficients come from the host's seeded Rng.
 */
import { adam, compileTrainStep, ops, type Runtime, type TrainStep } from '@genmodels/runtime';
import { type DiffusionConfig, exampleShape } from './config.js';
import type { DiffusionNetwork } from './network.js';

type Spec = { dtype: 'float32' | 'int64'; shape: (string | number)[] };

/** Inputs of the denoiser: x [batch, ...], t float32 [batch], y int64 [batch] when conditional. */
export function denoiserInputs(cfg: DiffusionConfig): Record<string, Spec> {
  const out: Record<string, Spec> = {
    x: { dtype: 'float32', shape: ['batch', ...exampleShape(cfg)] },
    t: { dtype: 'float32', shape: ['batch'] },
  };
  if (cfg.numClasses > 0) out.y = { dtype: 'int64', shape: ['batch'] };
  return out;
}

/** Inputs of the train step: x0, noise, t, a = sqrt(ab_t), s = sqrt(1 - ab_t) (broadcast shapes), [y]. */
export function trainInputs(cfg: DiffusionConfig): Record<string, Spec> {
  const shape = exampleShape(cfg);
  const coef: Spec = { dtype: 'float32', shape: ['batch', ...shape.map(() => 1)] };
  const x: Spec = { dtype: 'float32', shape: ['batch', ...shape] };
  const out: Record<string, Spec> = {
    x0: x,
    noise: x,
    t: { dtype: 'float32', shape: ['batch'] },
    a: coef,
    s: coef,
  };
  if (cfg.numClasses > 0) out.y = { dtype: 'int64', shape: ['batch'] };
  return out;
}

/** Compile the training step (Adam with the config's lr as default, betas (0.9, 0.999)). */
export async function compileDiffusionStep(
  rt: Runtime,
  net: DiffusionNetwork,
  seed: number,
): Promise<TrainStep> {
  const cfg = net.cfg;
  net.train();
  return compileTrainStep(rt, {
    module: net,
    name: 'diffusion_step',
    inputs: trainInputs(cfg),
    optimizer: adam(),
    seed,
    loss: (_p, b) => {
      const xt = ops.add(ops.mul(b.a, b.x0), ops.mul(b.s, b.noise));
      const out = net.call(xt, b.t, b.y);
      const target =
        cfg.prediction === 'eps'
          ? b.noise
          : cfg.prediction === 'x0'
            ? b.x0
            : ops.sub(ops.mul(b.a, b.noise), ops.mul(b.s, b.x0));
      return ops.mseLoss(out, target);
    },
  });
}
