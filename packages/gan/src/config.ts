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
  /** 'mlp' for points (2-D and any D), 'dcgan' for images [C, H, W] (see {@link ganImageShape}). */
  arch: z.enum(['mlp', 'dcgan']),
  /** Noise dimension of z ~ N(0, I). */
  zDim: positiveInt(65536),
  /**
   * MLP hidden width (mlp) or the base channel count c (dcgan: G's stages run
   * 2^(upsamples-1) c -> ... -> 2c -> c -> C, D's mirror them).
   */
  hidden: positiveInt(65536),
  /** Point dimension (mlp); for dcgan the image's C*H*W (784 for MNIST's 1x28x28). */
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
  /** dcgan: channels C of the images (default 1, gray; 3 for RGB). */
  imageChannels: positiveInt(4096).optional(),
  /** dcgan: image height H (default 28), divisible by 2^upsamples. */
  imageHeight: positiveInt(4096).optional(),
  /** dcgan: image width W (default 28), divisible by 2^upsamples. */
  imageWidth: positiveInt(4096).optional(),
  /** dcgan: stride-2 stages of G (each doubles H and W) and of D (default 2: 7x7 -> 14 -> 28). */
  upsamples: positiveInt(12).optional(),
  /**
   * Image set a dcgan preset trains on and is evaluated against; absent: MNIST for a gray
   * 28x28 dcgan (the MNIST presets), none for other shapes.
   */
  dataset: z.enum(['cifar10']).optional(),
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

/**
 * The CIFAR-10 DCGAN: three stride-2 stages (4x4 -> 8 -> 16 -> 32), G 4c -> 2c -> c -> 3 with
 * BatchNorm, D mirrored, c = 64; the MNIST DCGAN's training settings.
 */
const CIFAR_DCGAN: GanConfig = {
  ...DCGAN,
  dataDim: 3 * 32 * 32,
  imageChannels: 3,
  imageHeight: 32,
  imageWidth: 32,
  upsamples: 3,
  dataset: 'cifar10',
};

/** Presets of reference-configs; `defaultEpochs` is the CLI's training length. */
export const GAN_PRESETS: Readonly<Record<string, FamilyPreset<GanConfig>>> = Object.freeze({
  ring8: {
    name: 'ring8',
    description: '8 Gaussians on a circle (radius 2, std 0.02); MLP G and D, z dim 2',
    config: { ...BASE, toy: 'ring8' },
    // One epoch = 100 D+G pairs over 25,600 points; 300 epochs = 30,000 pairs, about two
    // minutes on 2 idle CPU cores, as the quality script trains: 8/8 modes and a
    // high-quality fraction >= 0.90 in each of seeds 0-4 (150 epochs gave 8, 7, 8, 8, 8
    // modes and 0.83).
    defaultEpochs: 300,
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
  'cifar-dcgan': {
    name: 'cifar-dcgan',
    description:
      'DCGAN on CIFAR-10 32x32 RGB with BatchNorm, z dim 100, G 256->128->64->3 (4x4 -> 32x32), D mirrored',
    config: CIFAR_DCGAN,
    // 781 D+G pairs per epoch (50,000 images, batch 64); not tuned (quality figures pending).
    defaultEpochs: 10,
  },
});

/** Points per epoch of the 2-D presets (the toy sets are infinite). */
export const TOY_EPOCH = 25_600;

const fail = (m: string) => new GanError(m);

/** An image shape [C, H, W]: channels, height, width. */
export type ImageShape = [channels: number, height: number, width: number];

/** The MNIST DCGAN's image shape and stages: what a dcgan config without the fields means. */
const MNIST_SHAPE: ImageShape = [1, 28, 28];
const DEFAULT_UPSAMPLES = 2;

/** The image fields, which only a dcgan config has. */
const IMAGE_FIELDS = [
  'imageChannels',
  'imageHeight',
  'imageWidth',
  'upsamples',
  'dataset',
] as const;

/**
 * The image shape [C, H, W] of a dcgan config: `imageChannels` (default 1), `imageHeight`
 * and `imageWidth` (default 28). Images are flat in the networks, [N, C*H*W] (= dataDim)
 * in the memory order of [N, C, H, W].
 *
 * @example ganImageShape(resolveConfig('cifar-dcgan')) // [3, 32, 32]
 */
export function ganImageShape(cfg: GanConfig): ImageShape {
  return [
    cfg.imageChannels ?? MNIST_SHAPE[0],
    cfg.imageHeight ?? MNIST_SHAPE[1],
    cfg.imageWidth ?? MNIST_SHAPE[2],
  ];
}

/** The stride-2 stages of a dcgan config (default 2). */
export function ganUpsamples(cfg: GanConfig): number {
  return cfg.upsamples ?? DEFAULT_UPSAMPLES;
}

/** "3x32x32" */
export function formatImageShape(shape: readonly number[]): string {
  return shape.join('x');
}

/**
 * The image set a dcgan trains on and is evaluated against when trained on its preset's
 * data: `dataset`, else MNIST for a gray 28x28 dcgan (the MNIST presets; configs stored
 * before the image fields existed); undefined otherwise (and for mlp).
 */
export function ganImageSet(cfg: GanConfig): 'mnist' | 'cifar10' | undefined {
  if (cfg.arch !== 'dcgan') return undefined;
  if (cfg.dataset) return cfg.dataset;
  const [c, h, w] = ganImageShape(cfg);
  return c === 1 && h === 28 && w === 28 ? 'mnist' : undefined;
}

/**
 * One way to write each config, so one model has one config.json: the image fields only
 * where they differ from the MNIST DCGAN's (1x28x28, 2 stages), after the other fields; a
 * MNIST config is written as before the fields existed.
 */
function canonicalImageFields(cfg: GanConfig): GanConfig {
  if (cfg.arch !== 'dcgan') return cfg;
  const [c, h, w] = ganImageShape(cfg);
  const u = ganUpsamples(cfg);
  const { imageChannels: _c, imageHeight: _h, imageWidth: _w, upsamples: _u, ...rest } = cfg;
  const { dataset, ...others } = rest;
  const square28 = h === MNIST_SHAPE[1] && w === MNIST_SHAPE[2];
  return {
    ...others,
    ...(c === MNIST_SHAPE[0] ? {} : { imageChannels: c }),
    ...(square28 ? {} : { imageHeight: h, imageWidth: w }),
    ...(u === DEFAULT_UPSAMPLES ? {} : { upsamples: u }),
    ...(dataset ? { dataset } : {}),
  };
}

/** Image sizes near `s` divisible by `m` (for messages): "24 or 32". */
export function nearSizes(s: number, m: number): string {
  const down = s - (s % m);
  return down >= m ? `${down} or ${down + m}` : `${m}`;
}

/** The dcgan checks past the schema: dataDim = C*H*W, H and W divisible by 2^upsamples, the dataset's shape. */
function checkImageConfig(cfg: GanConfig): void {
  if (cfg.arch !== 'dcgan') {
    const given = IMAGE_FIELDS.filter((k) => cfg[k] !== undefined);
    if (given.length > 0)
      throw fail(
        `GAN config: ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} for arch 'dcgan' (images); arch 'mlp' makes points of dataDim values`,
      );
    return;
  }
  const shape = ganImageShape(cfg);
  const [c, h, w] = shape;
  if (cfg.dataDim !== c * h * w)
    throw fail(
      `GAN config: dataDim (${cfg.dataDim}) must be C*H*W = ${c * h * w} for dcgan images of shape ${formatImageShape(shape)} (imageChannels x imageHeight x imageWidth; default 1x28x28); leave dataDim out to derive it, or set the image fields`,
    );
  const u = ganUpsamples(cfg);
  const m = 2 ** u;
  if (h % m !== 0 || w % m !== 0)
    throw fail(
      `GAN config: dcgan with upsamples ${u} needs imageHeight and imageWidth divisible by ${m} (2^upsamples), got ${h}x${w}; use ${h % m === 0 ? h : nearSizes(h, m)} for the height and ${w % m === 0 ? w : nearSizes(w, m)} for the width, or change upsamples`,
    );
  if (cfg.dataset === 'cifar10' && formatImageShape(shape) !== '3x32x32')
    throw fail(
      `GAN config: dataset 'cifar10' holds 3x32x32 images, but the config's image shape is ${formatImageShape(shape)}`,
    );
}

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
    // A dcgan config without dataDim takes C*H*W from its image fields.
    if (config.arch === 'dcgan' && config.dataDim === undefined) {
      const [c, h, w] = ganImageShape(cfg);
      if ([c, h, w].every(Number.isInteger)) cfg.dataDim = c * h * w;
    }
  }
  cfg = parseConfig(ganConfigSchema, cfg, 'GAN', fail);
  checkImageConfig(cfg);
  cfg = canonicalImageFields(cfg);
  checkParameterCount(ganParameterCount(cfg), 'GAN', fail);
  return cfg;
}

/** Values of a BatchNorm over `c` features: weight, bias, running mean and var, the batch count. */
function batchNormValues(c: number): number {
  return 4 * c + 1;
}

/**
 * The dcgan's layer sizes: `widest` = 2^(upsamples-1) c channels on the smallest plane
 * [h0, w0] = [H, W] / 2^upsamples (G's first feature map, D's last), and `channels[i]` the
 * channel count after G's stage i + 1 (c * 2^(u-2-i), ..., c, then C).
 */
export function dcganLayout(cfg: GanConfig): {
  shape: ImageShape;
  stages: number;
  widest: number;
  plane: [number, number];
  channels: number[];
} {
  const shape = ganImageShape(cfg);
  const u = ganUpsamples(cfg);
  const c = cfg.hidden;
  const channels = Array.from({ length: u }, (_, i) =>
    i < u - 1 ? c * 2 ** (u - 2 - i) : shape[0],
  );
  return {
    shape,
    stages: u,
    widest: c * 2 ** (u - 1),
    plane: [shape[1] / 2 ** u, shape[2] / 2 ** u],
    channels,
  };
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
  const { shape, stages, widest, plane, channels } = dcganLayout(cfg);
  const flat = widest * plane[0] * plane[1];
  // generator: Linear -> widest x h0 x w0, BN; per stage ConvT (BN on all but the last)
  let n = linearParameters(cfg.zDim + k, flat) + batchNormValues(flat);
  let from = widest;
  for (const [i, to] of channels.entries()) {
    n += convParameters(from, to, 4) + (i < stages - 1 ? batchNormValues(to) : 0);
    from = to;
  }
  // discriminator: Conv (C+K) -> c; per further stage Conv doubling the channels, BN; Linear -> 1
  n += convParameters(shape[0] + k, h, 4);
  for (let i = 1; i < stages; i++)
    n += convParameters(h * 2 ** (i - 1), h * 2 ** i, 4) + batchNormValues(h * 2 ** i);
  return n + linearParameters(flat, 1);
}
