/** VAE configurations and the presets of the reference configs. */
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
import { VaeError } from './errors.js';

/** How p(x|z) scores a pixel: Bernoulli (BCE from logits) or Gaussian (MSE-like). */
export type Likelihood = 'bernoulli' | 'gaussian';

/**
 * The VAE config's schema: every config (given to `create`, or read from a model directory)
 * is checked against it before a network is built. {@link VaeConfig} is derived from it.
 */
export const vaeConfigSchema = z.strictObject({
  /** 'mlp': fully connected encoder/decoder; 'conv': strided Conv2d / ConvTranspose2d. */
  arch: z.enum(['mlp', 'conv']),
  /**
   * Height and width of square images (default 28). A config of non-square images has
   * `imageHeight` and `imageWidth` instead (see {@link vaeImageShape}).
   */
  imageSize: positiveInt(4096).optional(),
  /** Channels C of the images: 1 (gray, the default), 3 (RGB) or any other count. */
  imageChannels: positiveInt(4096).optional(),
  /** Image height H (default `imageSize`). */
  imageHeight: positiveInt(4096).optional(),
  /** Image width W (default `imageSize`). */
  imageWidth: positiveInt(4096).optional(),
  /** Dimension of z. */
  latent: positiveInt(65536),
  /** Hidden width of the MLP (unused by 'conv'). */
  hidden: positiveInt(65536),
  /** Conv channels of the two stride-2 layers (conv only). */
  channels: z.tuple([positiveInt(4096), positiveInt(4096)]),
  likelihood: z.enum(['bernoulli', 'gaussian']),
  /** Gaussian only: a fixed standard deviation, or a learned one (`decoder.log_sigma`, one scalar). */
  gaussianSigma: z.union([positiveNumber(), z.literal('learned')]),
  /** Weight of the KL term (beta-VAE); 1 is the ELBO. */
  beta: z.number().min(0),
  /** Linear KL warm-up from 0 to beta over this many steps (0: none). */
  klWarmupSteps: intIn(0, 1e9),
  /**
   * 8-bit data, dequantized: `fit` trains on (k + u) / 256 for each pixel's level k = 0..255
   * and fresh uniform noise u, and `evaluate` scores seeded dequantized images and reports
   * `bits_per_dim` of the 8-bit data (the continuous bound plus 8 bits). Gaussian likelihood
   * only (a density on [0, 1]).
   */
  dequantize: z.boolean().optional(),
  /** The built-in set a preset trains on: MNIST (default for gray 28x28) or CIFAR-10 (3x32x32). */
  dataset: z.enum(['cifar10']).optional(),
  /** Adam learning rate and batch size used by `fit` unless overridden. */
  lr: positiveNumber(),
  batchSize: positiveInt(1 << 20),
});

/** A VAE's config (see {@link vaeConfigSchema} for each field and its range). */
export type VaeConfig = z.infer<typeof vaeConfigSchema>;

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

/**
 * Presets: `mnist-mlp` (784-512-20, BCE), `mnist-conv` (Conv 1->32->64 stride 2, latent 16)
 * and `cifar-conv` (Conv 3->64->128 stride 2, latent 128, learned-sigma Gaussian on
 * dequantized CIFAR-10, scored in bits per dim).
 */
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
  'cifar-conv': {
    name: 'cifar-conv',
    description:
      'Conv 3->64->128 (k4 s2) encoder, latent 128, ConvTranspose 128->64->3 decoder, Gaussian likelihood with a learned sigma on dequantized CIFAR-10 (bits per dim)',
    config: {
      ...base,
      arch: 'conv',
      imageSize: 32,
      imageChannels: 3,
      latent: 128,
      channels: [64, 128],
      likelihood: 'gaussian',
      gaussianSigma: 'learned',
      dequantize: true,
      dataset: 'cifar10',
    },
    defaultEpochs: 10,
  },
};

const fail = (m: string) => new VaeError(m);

/** An image shape [C, H, W]: channels, height, width. */
export type ImageShape = [channels: number, height: number, width: number];

/**
 * The image shape [C, H, W] of a config: `imageChannels` (default 1), `imageHeight` and
 * `imageWidth` (default `imageSize`). The network reads images flat, [N, C*H*W], in the
 * memory order of [N, C, H, W] (channel planes one after the other).
 *
 * @example vaeImageShape(resolveConfig({ imageChannels: 3, imageHeight: 8, imageWidth: 12 })) // [3, 8, 12]
 */
export function vaeImageShape(cfg: VaeConfig): ImageShape {
  const h = cfg.imageHeight ?? cfg.imageSize;
  const w = cfg.imageWidth ?? cfg.imageSize;
  if (h === undefined || w === undefined)
    throw fail(
      'VAE config: no image size; give imageSize (square images) or imageHeight and imageWidth',
    );
  return [cfg.imageChannels ?? 1, h, w];
}

/** "3x8x12" */
export function formatImageShape(shape: readonly number[]): string {
  return shape.join('x');
}

/**
 * One way to write each image shape, so one model has one config (and one checkpoint):
 * square images keep `imageSize` alone, non-square ones `imageHeight` and `imageWidth`;
 * `imageChannels` only when it is not 1. A gray square config is written as before the
 * field existed.
 */
function canonicalShape(cfg: VaeConfig): VaeConfig {
  const [c, h, w] = vaeImageShape(cfg);
  const { arch, imageSize: _s, imageChannels: _c, imageHeight: _h, imageWidth: _w, ...rest } = cfg;
  return {
    arch,
    ...(h === w ? { imageSize: h } : {}),
    ...(c === 1 ? {} : { imageChannels: c }),
    ...(h === w ? {} : { imageHeight: h, imageWidth: w }),
    ...rest,
  };
}

/** A full config from a preset name or a partial config over `mnist-mlp`'s defaults; validated. */
export function resolveConfig(c: string | Partial<VaeConfig> = {}): VaeConfig {
  let cfg: VaeConfig;
  if (typeof c === 'string') {
    const p = Object.hasOwn(VAE_PRESETS, c) ? VAE_PRESETS[c] : undefined;
    if (!p)
      throw new VaeError(
        `unknown VAE preset '${c}'; expected one of ${Object.keys(VAE_PRESETS).join(', ')}`,
      );
    cfg = { ...p.config };
  } else {
    cfg = { ...base, ...c };
  }
  cfg = canonicalShape(parseConfig(vaeConfigSchema, cfg, 'VAE', fail));
  const [, h, w] = vaeImageShape(cfg);
  if (cfg.arch === 'conv' && (h % 4 !== 0 || w % 4 !== 0))
    throw fail(
      h === w
        ? `VAE config: conv needs imageSize divisible by 4, got ${h}`
        : `VAE config: conv needs imageHeight and imageWidth divisible by 4, got ${h}x${w}`,
    );
  if (cfg.dequantize && cfg.likelihood !== 'gaussian')
    throw fail(
      `VAE config: dequantize needs the Gaussian likelihood (a density on [0, 1]), got likelihood '${cfg.likelihood}'`,
    );
  if (cfg.dataset === 'cifar10' && formatImageShape(vaeImageShape(cfg)) !== '3x32x32')
    throw fail(
      `VAE config: dataset 'cifar10' holds 3x32x32 images, but the config's image shape is ${formatImageShape(vaeImageShape(cfg))}`,
    );
  checkParameterCount(vaeParameterCount(cfg), 'VAE', fail);
  return cfg;
}

/** The number of parameter values of the network of `cfg` (what `VaeNetwork` allocates). */
export function vaeParameterCount(cfg: VaeConfig): number {
  const [ch, h, w] = vaeImageShape(cfg);
  const d = ch * h * w;
  const sigma = cfg.likelihood === 'gaussian' && cfg.gaussianSigma === 'learned' ? 1 : 0;
  if (cfg.arch === 'mlp')
    return (
      linearParameters(d, cfg.hidden) +
      2 * linearParameters(cfg.hidden, cfg.latent) +
      linearParameters(cfg.latent, cfg.hidden) +
      linearParameters(cfg.hidden, d) +
      sigma
    );
  const [c1, c2] = cfg.channels;
  const flat = c2 * (h / 4) * (w / 4);
  return (
    convParameters(ch, c1, 4) +
    convParameters(c1, c2, 4) +
    2 * linearParameters(flat, cfg.latent) +
    linearParameters(cfg.latent, flat) +
    convParameters(c2, c1, 4) +
    convParameters(c1, ch, 4) +
    sigma
  );
}

/** The KL weight at 0-based `step`: beta * min(1, (step + 1) / klWarmupSteps). */
export function klWeight(cfg: VaeConfig, step: number): number {
  if (cfg.klWarmupSteps <= 0) return cfg.beta;
  return cfg.beta * Math.min(1, (step + 1) / cfg.klWarmupSteps);
}
