/**
 * The adversarial objectives, traced: discriminator and generator losses from D's logits,
 * the WGAN-GP gradient penalty and the R1 penalty (both differentiate D's output with
 * respect to its input, so the training step takes a second-order gradient).
 */
import { grad, onesLike, ops, type Value, zerosLike } from '@genmodels/runtime';
import type { GanLoss } from './config.js';

/** D: x: [B, F] -> logits [B, 1]. */
export type Critic = (x: Value) => Value;

/** Discriminator loss from logits on real and fake batches ([B, 1] each). */
export function discriminatorLoss(loss: GanLoss, real: Value, fake: Value): Value {
  if (loss === 'nonsaturating')
    return ops.add(
      ops.bceWithLogitsLoss(real, onesLike(real)),
      ops.bceWithLogitsLoss(fake, zerosLike(fake)),
    );
  if (loss === 'hinge')
    return ops.add(
      ops.mean(ops.relu(ops.sub(onesLike(real), real))),
      ops.mean(ops.relu(ops.add(onesLike(fake), fake))),
    );
  return ops.sub(ops.mean(fake), ops.mean(real));
}

/** Generator loss from D's logits on fakes: -log D(G(z)) (non-saturating) or -D(G(z)). */
export function generatorLoss(loss: GanLoss, fake: Value): Value {
  if (loss === 'nonsaturating') return ops.bceWithLogitsLoss(fake, onesLike(fake));
  return ops.neg(ops.mean(fake));
}

/** Squared L2 norm of each row of g: [B, F] -> [B]. */
function rowNormSq(g: Value): Value {
  return ops.sum(ops.square(g), 1);
}

/**
 * WGAN-GP penalty mean_b (||grad_x D(x_hat_b)|| - 1)^2 at x_hat = eps * real + (1 - eps) * fake.
 * real, fake: [B, F]; eps: [B, 1] uniform in [0, 1].
 */
export function gradientPenalty(d: Critic, real: Value, fake: Value, eps: Value): Value {
  const xHat = ops.add(ops.mul(eps, real), ops.mul(ops.sub(onesLike(eps), eps), fake));
  const [g] = grad(ops.sum(d(xHat)), [xHat]);
  // A tiny epsilon keeps the gradient of sqrt finite where the norm is zero.
  const norm = ops.sqrt(ops.add(rowNormSq(g), ops.scalar(g.graph, 1e-12)));
  return ops.mean(ops.square(ops.sub(norm, onesLike(norm))));
}

/** R1 penalty mean_b ||grad_x D(real_b)||^2 (multiply by gamma / 2). real: [B, F]. */
export function r1Penalty(d: Critic, real: Value): Value {
  const [g] = grad(ops.sum(d(real)), [real]);
  return ops.mean(rowNormSq(g));
}
