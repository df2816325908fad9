/** GAN configurations and the presets of reference-configs ("GAN"). */
import type { FamilyPreset } from '@genmodels/runtime';
import {
  checkParameterCount,
  convParameters,
  intIn,
  linearParameters,
  parseConfig,
  positiveInt,
  positiveNumber,
  z,
} from '@genmodels/runtime/internal';
import { GanError } from './errors.js';

const ganLossSchema = z.enum(['nonsaturating', 'hinge', 'wgan-gp']);
/** Adversarial objective: non-saturating with logits, hinge, or Wasserstein with gradient penalty. */
export type GanLoss = z.infer<typeof ganLossSchema>;

/** An Adam beta: a decay rate in [0, 1). */
const beta = () => z.number().min(0).lt(1);

/**
 * The GAN config's schema (unconditional and class-conditional GANs alike): every config
 * (given to `create`, or read from a model directory) is checked against it before a network
 * is built. {@link GanConfig} is derived from it.
 */
export const ganConfigSchema = z.strictObject({
  /** 'mlp' for 2-D points, 'dcgan' for 28x28 images. */
  arch: z.enum(['mlp', 'dcgan']),
  /** Noise dimension of z ~ N(0, I). */
  zDim: positiveInt(65536),
  /** MLP hidden width (mlp) or the base channel count c (dcgan: 2c -> c -> 1). */
  hidden: positiveInt(65536),
  /** Point dimension (mlp, up to a flattened 4096x4096 image); images are 28x28 (dcgan: 784). */
  dataDim: positiveInt(1 << 24),
  /** Classes for class-conditional G and D (0: unconditional). */
  numClasses: intIn(0, 65536),
  loss: ganLossSchema,
  /** WGAN-GP penalty weight lambda. */
  gpWeight: z.number().min(0),
  /** R1 penalty weight gamma (0: off): gamma/2 * ||grad_x D(real)||^2. */
  r1Gamma: z.number().min(0),
  /** Adam learning rate used by `fit` unless overridden. */
  lr: positiveNumber(),
  /** Adam's beta1 and beta2, each in [0, 1). */
  betas: z.tuple([beta(), beta()]),
  batchSize: positiveInt(1 << 20),
  /** D steps per G step. */
  dSteps: positiveInt(1024),
  /** Decay of the generator's weight EMA used for sampling (0: off), in [0, 1). */
  emaDecay: z.number().min(0).lt(1),
  /** Std of the N(0, std) weight init (DCGAN's 0.02); 0 keeps PyTorch's default init. */
  initStd: z.number().min(0),
  /** Toy set the 2-D presets train on and are evaluated against. */
  toy: z.enum(['ring8']).optional(),
});

/** A GAN's config (see {@link ganConfigSchema} for each field and its range). */
export type GanConfig = z.infer<typeof ganConfigSchema>;

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

const fail = (m: string) => new GanError(m);

/** A full, validated config from a preset name or a partial config (over the ring8 defaults). */
export function resolveConfig(config: string | Partial<GanConfig>): GanConfig {
  let cfg: GanConfig;
  if (typeof config === 'string') {
    const p = Object.hasOwn(GAN_PRESETS, config) ? GAN_PRESETS[config] : undefined;
    if (!p)
      throw new GanError(
        `unknown GAN preset '${config}'; expected one of ${Object.keys(GAN_PRESETS).join(', ')}`,
      );
    cfg = { ...p.config, betas: [...p.config.betas] };
  } else {
    const given: unknown = config;
    // Not an object (a stored config of 5, null, [...]): a GanError saying what it is.
    if (typeof given !== 'object' || given === null || Array.isArray(given))
      parseConfig(ganConfigSchema, given, 'GAN', fail);
    const base = config.arch === 'dcgan' ? DCGAN : BASE;
    cfg = { ...base, ...config };
  }
  cfg = parseConfig(ganConfigSchema, cfg, 'GAN', fail);
  if (cfg.arch === 'dcgan' && cfg.dataDim !== 784)
    throw fail(`GAN config: dcgan images are 28x28 (dataDim 784), got ${cfg.dataDim}`);
  checkParameterCount(ganParameterCount(cfg), 'GAN', fail);
  return cfg;
}

/** Values of a BatchNorm over `c` features: weight, bias, running mean and var, the batch count. */
function batchNormValues(c: number): number {
  return 4 * c + 1;
}

/**
 * The number of values in the state dict of the network of `cfg` (what `GanNetwork`
 * allocates: generator and discriminator parameters and BatchNorm buffers; the generator's
 * EMA copy, kept apart, is not counted).
 */
export function ganParameterCount(cfg: GanConfig): number {
  const k = cfg.numClasses;
  const h = cfg.hidden;
  if (cfg.arch === 'mlp')
    return (
      // generator: z (+ y) -> h -> h -> dataDim
      linearParameters(cfg.zDim + k, h) +
      linearParameters(h, h) +
      linearParameters(h, cfg.dataDim) +
      // discriminator: x (+ y) -> h -> h -> 1
      linearParameters(cfg.dataDim + k, h) +
      linearParameters(h, h) +
      linearParameters(h, 1)
    );
  const flat = 2 * h * 49;
  return (
    // generator: Linear 2c*7*7, BN, ConvT 2c -> c, BN, ConvT c -> 1
    linearParameters(cfg.zDim + k, flat) +
    batchNormValues(flat) +
    convParameters(2 * h, h, 4) +
    batchNormValues(h) +
    convParameters(h, 1, 4) +
    // discriminator: Conv (1+K) -> c, Conv c -> 2c, BN, Linear -> 1
    convParameters(1 + k, h, 4) +
    convParameters(h, 2 * h, 4) +
    batchNormValues(2 * h) +
    linearParameters(flat, 1)
  );
}
