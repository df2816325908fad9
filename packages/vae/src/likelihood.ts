/**
 * The terms of the ELBO, traced per example so the same code gives the training loss
 * (batch mean), the test-set figures and the importance-weighted bound.
 */
import { ops, type Value } from '@genmodels/runtime';
import type { VaeConfig } from './config.js';
import type { VaeNetwork } from './network.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * -log p(x|z) summed over pixels, per example. logits, x: [B, D] -> [B].
 * Bernoulli: BCE from logits. Gaussian: mean sigmoid(logits), std fixed or exp(logSigma).
 */
export function reconNll(logits: Value, x: Value, cfg: VaeConfig, logSigma?: Value): Value {
  if (cfg.likelihood === 'bernoulli')
    return ops.sum(ops.bceWithLogitsLoss(logits, x, { reduction: 'none' }), -1);
  const d = ops.sub(x, ops.sigmoid(logits));
  if (cfg.gaussianSigma === 'learned') {
    if (!logSigma) throw new Error('reconNll: learned Gaussian sigma needs logSigma');
    const inv2var = ops.mul(ops.exp(ops.mul(logSigma, -2)), 0.5);
    const perPixel = ops.add(ops.add(ops.mul(ops.square(d), inv2var), logSigma), HALF_LOG_2PI);
    return ops.sum(perPixel, -1);
  }
  const s = cfg.gaussianSigma;
  const perPixel = ops.add(ops.mul(ops.square(d), 1 / (2 * s * s)), Math.log(s) + HALF_LOG_2PI);
  return ops.sum(perPixel, -1);
}

/** Per-example ELBO terms and the log importance weight of one sample z. */
export interface ElboTerms {
  /** -log p(x|z), [B]. */
  recon: Value;
  /** KL(q(z|x) || N(0, I)) in closed form, [B]. */
  kl: Value;
  /** log p(x|z) + log p(z) - log q(z|x), [B]. */
  logw: Value;
  /** Decoder logits [B, D]. */
  logits: Value;
}

/**
 * Encode x: [B, D], draw z = mu + eps * exp(logvar / 2) with host noise eps: [B, latent],
 * decode, and score.
 */
export function elboTerms(net: VaeNetwork, x: Value, eps: Value): ElboTerms {
  const { mu, logvar } = net.call(x);
  const z = ops.add(mu, ops.mul(eps, ops.exp(ops.mul(logvar, 0.5))));
  const logits = net.decoder.call(z);
  const recon = reconNll(logits, x, net.cfg, net.decoder.log_sigma?.value);
  const kl = ops.gaussianKl(mu, logvar, { reduction: 'none' });
  // log N(z; 0, I) - log N(z; mu, sigma): the 2 pi constants cancel, (z - mu) / sigma = eps.
  const logRatio = ops.mul(
    ops.sub(ops.sum(ops.add(ops.square(eps), logvar), -1), ops.sum(ops.square(z), -1)),
    0.5,
  );
  return { recon, kl, logw: ops.sub(logRatio, recon), logits };
}
