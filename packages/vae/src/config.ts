/** VAE configurations and the presets of the reference configs. */
import type { FamilyPreset } from '@genmodels/runtime';
import { VaeError } from './errors.js';

/** How p(x|z) scores a pixel: Bernoulli (BCE from logits) or Gaussian (MSE-like). */
export type Likelihood = 'bernoulli' | 'gaussian';

export interface VaeConfig {
  /** 'mlp': fully connected encoder/decoder; 'conv': strided Conv2d / ConvTranspose2d. */
  arch: 'mlp' | 'conv';
  /** Image height and width (inputs are [B, H*W] or [B, H, W], values in [0, 1]). */
  imageSize: number;
  /** Dimension of z. */
  latent: number;
  /** Hidden width of the MLP (and of the conv decoder's first Linear input, unused by 'mlp'). */
  hidden: number;
  /** Conv channels of the two stride-2 layers (conv only). */
  channels: [number, number];
  likelihood: Likelihood;
  /** Gaussian only: a fixed standard deviation, or a learned one (`decoder.log_sigma`, one scalar). */
  gaussianSigma: number | 'learned';
  /** Weight of the KL term (beta-VAE); 1 is the ELBO. */
  beta: number;
  /** Linear KL warm-up from 0 to beta over this many steps (0: none). */
  klWarmupSteps: number;
  /** Adam learning rate and batch size used by `fit` unless overridden. */
  lr: number;
  batchSize: number;
}

const base: VaeConfig = {
  arch: 'mlp',
  imageSize: 28,
  latent: 20,
  hidden: 512,
  channels: [32, 64],
  likelihood: 'bernoulli',
  gaussianSigma: 0.1,
  beta: 1,
  klWarmupSteps: 0,
  lr: 1e-3,
  batchSize: 128,
};

/** Presets: `mnist-mlp` (784-512-20, BCE) and `mnist-conv` (Conv 1->32->64 stride 2, latent 16). */
export const VAE_PRESETS: Readonly<Record<string, FamilyPreset<VaeConfig>>> = {
  'mnist-mlp': {
    name: 'mnist-mlp',
    description:
      'MLP 784-512-20 encoder, 20-512-784 decoder, Bernoulli likelihood, Adam 1e-3, batch 128',
    config: { ...base },
    defaultEpochs: 10,
  },
  'mnist-conv': {
    name: 'mnist-conv',
    description:
      'Conv 1->32->64 (k4 s2) encoder, latent 16, ConvTranspose 64->32->1 decoder, Bernoulli likelihood',
    config: { ...base, arch: 'conv', latent: 16 },
    defaultEpochs: 2,
  },
};

/** A full config from a preset name or a partial config over `mnist-mlp`'s defaults; validated. */
export function resolveConfig(c: string | Partial<VaeConfig> = {}): VaeConfig {
  let cfg: VaeConfig;
  if (typeof c === 'string') {
    const p = VAE_PRESETS[c];
    if (!p)
      throw new VaeError(
        `unknown VAE preset '${c}'; expected one of ${Object.keys(VAE_PRESETS).join(', ')}`,
      );
    cfg = { ...p.config };
  } else {
    cfg = { ...base, ...c };
  }
  const posInt = (k: keyof VaeConfig) => {
    const v = cfg[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new VaeError(`VAE config: ${k} (${String(v)}) must be a positive integer`);
  };
  for (const k of ['imageSize', 'latent', 'hidden', 'batchSize'] as const) posInt(k);
  if (cfg.arch !== 'mlp' && cfg.arch !== 'conv')
    throw new VaeError(`VAE config: arch '${cfg.arch}' must be 'mlp' or 'conv'`);
  if (cfg.arch === 'conv' && cfg.imageSize % 4 !== 0)
    throw new VaeError(`VAE config: conv needs imageSize divisible by 4, got ${cfg.imageSize}`);
  if (cfg.likelihood !== 'bernoulli' && cfg.likelihood !== 'gaussian')
    throw new VaeError(
      `VAE config: likelihood '${cfg.likelihood}' must be 'bernoulli' or 'gaussian'`,
    );
  if (cfg.gaussianSigma !== 'learned' && !(cfg.gaussianSigma > 0))
    throw new VaeError(`VAE config: gaussianSigma (${cfg.gaussianSigma}) must be > 0 or 'learned'`);
  if (!(cfg.beta >= 0)) throw new VaeError(`VAE config: beta (${cfg.beta}) must be >= 0`);
  if (!(cfg.klWarmupSteps >= 0))
    throw new VaeError(`VAE config: klWarmupSteps (${cfg.klWarmupSteps}) must be >= 0`);
  return cfg;
}

/** The KL weight at 0-based `step`: beta * min(1, (step + 1) / klWarmupSteps). */
export function klWeight(cfg: VaeConfig, step: number): number {
  if (cfg.klWarmupSteps <= 0) return cfg.beta;
  return cfg.beta * Math.min(1, (step + 1) / cfg.klWarmupSteps);
}
