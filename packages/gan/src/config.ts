/** GAN configurations and the presets of reference-configs ("GAN"). */
import type { FamilyPreset } from '@genmodels/runtime';
import { GanError } from './errors.js';

/** Adversarial objective: non-saturating with logits, hinge, or Wasserstein with gradient penalty. */
export type GanLoss = 'nonsaturating' | 'hinge' | 'wgan-gp';

export interface GanConfig {
  /** 'mlp' for 2-D points, 'dcgan' for 28x28 images. */
  arch: 'mlp' | 'dcgan';
  /** Noise dimension of z ~ N(0, I). */
  zDim: number;
  /** MLP hidden width (mlp) or the base channel count c (dcgan: 2c -> c -> 1). */
  hidden: number;
  /** Point dimension (mlp); images are 28x28 (dcgan). */
  dataDim: number;
  /** Classes for class-conditional G and D (0: unconditional). */
  numClasses: number;
  loss: GanLoss;
  /** WGAN-GP penalty weight lambda. */
  gpWeight: number;
  /** R1 penalty weight gamma (0: off): gamma/2 * ||grad_x D(real)||^2. */
  r1Gamma: number;
  lr: number;
  betas: [number, number];
  batchSize: number;
  /** D steps per G step. */
  dSteps: number;
  /** Decay of the generator's weight EMA used for sampling (0: off). */
  emaDecay: number;
  /** Std of the N(0, std) weight init (DCGAN's 0.02); 0 keeps PyTorch's default init. */
  initStd: number;
  /** Toy set the 2-D presets train on and are evaluated against. */
  toy?: 'ring8';
}

const BASE: GanConfig = {
  arch: 'mlp',
  zDim: 2,
  hidden: 128,
  dataDim: 2,
  numClasses: 0,
  loss: 'nonsaturating',
  gpWeight: 10,
  r1Gamma: 0,
  lr: 1e-4,
  betas: [0.5, 0.999],
  batchSize: 256,
  dSteps: 1,
  emaDecay: 0,
  initStd: 0,
};

const DCGAN: GanConfig = {
  ...BASE,
  arch: 'dcgan',
  zDim: 100,
  hidden: 64,
  dataDim: 784,
  lr: 2e-4,
  batchSize: 64,
  emaDecay: 0.999,
  initStd: 0.02,
};

/** Presets of reference-configs; `defaultEpochs` is the CLI's training length. */
export const GAN_PRESETS: Readonly<Record<string, FamilyPreset<GanConfig>>> = Object.freeze({
  ring8: {
    name: 'ring8',
    description: '8 Gaussians on a circle (radius 2, std 0.02); MLP G and D, z dim 2',
    config: { ...BASE, toy: 'ring8' },
    // One epoch = 100 D+G pairs over 25,600 points; 150 epochs = 15,000 pairs, about a
    // minute on 2 CPU cores. The quality script trains 300 epochs.
    defaultEpochs: 150,
  },
  'mnist-dcgan': {
    name: 'mnist-dcgan',
    description: 'DCGAN on MNIST 28x28 with BatchNorm, z dim 100',
    config: DCGAN,
    defaultEpochs: 5,
  },
  'mnist-cdcgan': {
    name: 'mnist-cdcgan',
    description: 'Class-conditional DCGAN on MNIST (one-hot label into G and D): "draw a 7"',
    config: { ...DCGAN, numClasses: 10 },
    defaultEpochs: 5,
  },
});

/** Points per epoch of the 2-D presets (the toy sets are infinite). */
export const TOY_EPOCH = 25_600;

/** A full, validated config from a preset name or a partial config (over the ring8 defaults). */
export function resolveConfig(config: string | Partial<GanConfig>): GanConfig {
  if (typeof config === 'string') {
    const p = Object.hasOwn(GAN_PRESETS, config) ? GAN_PRESETS[config] : undefined;
    if (!p)
      throw new GanError(
        `unknown GAN preset '${config}'; expected one of ${Object.keys(GAN_PRESETS).join(', ')}`,
      );
    return { ...p.config, betas: [...p.config.betas] };
  }
  const base = config.arch === 'dcgan' ? DCGAN : BASE;
  const cfg: GanConfig = { ...base, ...config };
  const positive: (keyof GanConfig)[] = ['zDim', 'hidden', 'dataDim', 'batchSize', 'dSteps'];
  for (const k of positive) {
    const v = cfg[k];
    if (!(Number.isInteger(v) && (v as number) > 0))
      throw new GanError(`GAN config: ${k} (${String(v)}) must be a positive integer`);
  }
  if (!['mlp', 'dcgan'].includes(cfg.arch))
    throw new GanError(`GAN config: arch '${cfg.arch}' must be 'mlp' or 'dcgan'`);
  if (!['nonsaturating', 'hinge', 'wgan-gp'].includes(cfg.loss))
    throw new GanError(`GAN config: loss '${cfg.loss}' must be nonsaturating, hinge or wgan-gp`);
  if (cfg.arch === 'dcgan' && cfg.dataDim !== 784)
    throw new GanError(`GAN config: dcgan images are 28x28 (dataDim 784), got ${cfg.dataDim}`);
  if (!(Number.isInteger(cfg.numClasses) && cfg.numClasses >= 0))
    throw new GanError(`GAN config: numClasses (${cfg.numClasses}) must be an integer >= 0`);
  if (!(cfg.emaDecay >= 0 && cfg.emaDecay < 1))
    throw new GanError(`GAN config: emaDecay (${cfg.emaDecay}) must be in [0, 1)`);
  if (!(cfg.lr > 0)) throw new GanError(`GAN config: lr (${cfg.lr}) must be > 0`);
  return cfg;
}
