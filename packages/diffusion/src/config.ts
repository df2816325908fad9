/** Diffusion configurations and the presets of reference-configs ("Diffusion"). */
import type { FamilyPreset } from '@genmodels/runtime';
import {
  checkParameterCount,
  intIn,
  linearParameters,
  parseConfig,
  positiveInt,
  positiveNumber,
  z,
} from '@genmodels/runtime/internal';
import { DiffusionError } from './errors.js';
import {
  canonicalUnet,
  checkUnet,
  diffusersParameterCount,
  unetParameterCount,
} from './unet-config.js';
import { DEFAULT_IMAGE_SHAPE, diffusionImageShape } from './unet-shape.js';

const scheduleKind = z.enum(['linear', 'cosine']);
const prediction = z.enum(['eps', 'x0', 'v']);
const samplerKind = z.enum(['ddpm', 'ddim']);
/** Noise schedule of the forward process. */
export type ScheduleKind = z.infer<typeof scheduleKind>;
/** What the denoiser predicts: the noise, the clean data, or v = sqrt(ab) eps - sqrt(1 - ab) x0. */
export type Prediction = z.infer<typeof prediction>;
/** Reverse-process sampler. */
export type SamplerKind = z.infer<typeof samplerKind>;

/**
 * The layout of diffusers' UNet2DModel (see diffusers-unet.ts): `layersPerBlock` ResBlocks per
 * down block and one more per up block, attention by block, heads of `attentionHeadDim`
 * channels, GroupNorm epsilon `normEps`, the time embedding's `flipSinToCos` and `freqShift`.
 */
export const diffusersUnetSchema = z.strictObject({
  /** ResBlocks per down block (diffusers' `layers_per_block`); up blocks have one more. */
  layersPerBlock: positiveInt(64),
  /** Per down block, full size first: AttnDownBlock2D (true) or DownBlock2D (false). */
  downAttention: z.array(z.boolean()).min(1).max(8),
  /** Per up block, smallest level first: AttnUpBlock2D (true) or UpBlock2D (false). */
  upAttention: z.array(z.boolean()).min(1).max(8),
  /** Self-attention between the middle's two ResBlocks (diffusers' `add_attention`). */
  midAttention: z.boolean(),
  /** Channels per attention head (diffusers' `attention_head_dim`); 0: one head per block (null there). */
  attentionHeadDim: intIn(0, 4096),
  /** Epsilon of every GroupNorm (diffusers' `norm_eps`). */
  normEps: positiveNumber().lt(1),
  /** Time embedding [cos | sin] (diffusers' `flip_sin_to_cos`). */
  flipSinToCos: z.boolean(),
  /** Time embedding frequency shift (diffusers' `freq_shift`), in [0, 1]. */
  freqShift: z.number().min(0).max(1),
});

/** A diffusers UNet2DModel layout (see {@link diffusersUnetSchema}). */
export type DiffusersUnetLayout = z.infer<typeof diffusersUnetSchema>;

/** The most diffusion steps T a config may have (the schedule holds a dozen float64 arrays of T). */
const MAX_TIMESTEPS = 100_000;
/** The most points dimensions of the MLP (its input and output layers are dataDim wide). */
const MAX_POINT_DIM = 65_536;
/** The most U-Net levels (each halves the feature map). */
const MAX_LEVELS = 8;

/**
 * The diffusion config's schema: every config (given to `create`, or read from a model
 * directory) is checked against it before a network is built. {@link DiffusionConfig} is
 * derived from it. The U-Net's optional fields are written only when they differ from the
 * defaults, so configs from before they existed read (and write) as they always did.
 */
export const diffusionConfigSchema = z.strictObject({
  /** 'mlp' for points [N, dataDim]; 'unet' for images [N, C, H, W]. */
  arch: z.enum(['mlp', 'unet']),
  /** Point dimension (mlp, at most 65,536); the U-Net's C * H * W (784 for MNIST). */
  dataDim: positiveInt(1 << 26),
  /** Diffusion steps T. */
  timesteps: positiveInt(MAX_TIMESTEPS),
  schedule: scheduleKind,
  /** Linear schedule end points (beta_1, beta_T), each in (0, 1), start <= end. */
  betaStart: positiveNumber().lt(1),
  betaEnd: positiveNumber().lt(1),
  prediction,
  /** MLP: hidden width (even); the sinusoidal time embedding has the same width. */
  hidden: positiveInt(65536),
  /** MLP: hidden layers (each gets the time embedding added). */
  layers: positiveInt(1024),
  /**
   * U-Net channels per level, full resolution first: one ResBlock per level on the way down
   * and up, a stride-2 conv between levels (28, 14, 7 for [32, 64, 64] on MNIST). Base width
   * times channel multipliers: [64, 128, 128] is base 64 with multipliers [1, 2, 2].
   */
  channels: z.array(positiveInt(4096)).min(1).max(MAX_LEVELS),
  /** GroupNorm groups of the U-Net (every channel count must be divisible by it). */
  groups: positiveInt(4096),
  /**
   * Heads of the U-Net's self-attention (0: none): always in the middle, at the smallest
   * feature map (7x7 for MNIST), and at the levels of `attentionResolutions`.
   */
  attentionHeads: intIn(0, 1024),
  /** Classes for class-conditional denoisers (0: unconditional); class K is the null class. */
  numClasses: intIn(0, 1 << 20),
  /** Probability of replacing a label by the null class in training (classifier-free guidance), in [0, 1). */
  labelDropout: z.number().min(0).lt(1),
  lr: positiveNumber(),
  batchSize: positiveInt(1 << 20),
  /** Decay of the weight EMA used for sampling (0: off), in [0, 1). */
  emaDecay: z.number().min(0).lt(1),
  /** Clip the predicted x0 to [-1, 1] while sampling (images). */
  clipDenoised: z.boolean(),
  /** Default sampler, steps (1..timesteps) and guidance of `sample`. */
  sampler: samplerKind,
  sampleSteps: positiveInt(MAX_TIMESTEPS),
  guidance: z.number().min(0),
  /** Toy set the 2-D presets train on and are evaluated against. */
  toy: z.enum(['moons']).optional(),
  /** U-Net: channels C of the images (default 1, gray; 3 for RGB). */
  imageChannels: positiveInt(4096).optional(),
  /** U-Net: image height H (default 28); divisible by 2^(levels - 1). */
  imageHeight: positiveInt(4096).optional(),
  /** U-Net: image width W (default 28); divisible by 2^(levels - 1). */
  imageWidth: positiveInt(4096).optional(),
  /**
   * U-Net: the feature-map sides (the shorter side at a level: 32, 16, 8 for CIFAR's
   * [64, 128, 128]) at which a self-attention block follows the ResBlock, on the way down
   * and up (default: none; DDPM's CIFAR-10 model uses [16]). Needs attentionHeads > 0.
   */
  attentionResolutions: z.array(positiveInt(4096)).max(MAX_LEVELS).optional(),
  /**
   * U-Net: the image set the preset trains on and is evaluated against. A gray 28x28 U-Net
   * without it is an MNIST U-Net (the field is not written for MNIST).
   */
  dataset: z.enum(['mnist', 'cifar10']).optional(),
  /**
   * U-Net: build diffusers' UNet2DModel layout (its module tree, so that its checkpoints map
   * onto it; see `Diffusion.fromDiffusers`) instead of this package's own U-Net. Absent (the
   * default): this package's U-Net, as every preset. `channels` are then its
   * `block_out_channels`, `groups` its `norm_num_groups`; `attentionHeads` must be 0 and
   * `attentionResolutions` absent (attention is chosen per block here).
   */
  diffusers: diffusersUnetSchema.optional(),
});

/** A diffusion model's config (see {@link diffusionConfigSchema} for each field and its range). */
export type DiffusionConfig = z.infer<typeof diffusionConfigSchema>;

const BASE: DiffusionConfig = {
  arch: 'mlp',
  dataDim: 2,
  timesteps: 1000,
  schedule: 'linear',
  betaStart: 1e-4,
  betaEnd: 0.02,
  prediction: 'eps',
  hidden: 128,
  layers: 3,
  channels: [32, 64, 64],
  groups: 8,
  attentionHeads: 0,
  numClasses: 0,
  labelDropout: 0.1,
  lr: 1e-3,
  batchSize: 256,
  emaDecay: 0.995,
  clipDenoised: false,
  sampler: 'ddpm',
  sampleSteps: 1000,
  guidance: 0,
};

const UNET: DiffusionConfig = {
  ...BASE,
  arch: 'unet',
  dataDim: 784,
  channels: [32, 64, 64],
  groups: 8,
  attentionHeads: 4,
  numClasses: 10,
  lr: 2e-4,
  batchSize: 64,
  emaDecay: 0.999,
  clipDenoised: true,
  sampler: 'ddim',
  sampleSteps: 50,
  guidance: 2,
};

/** Presets of reference-configs; `defaultEpochs` is the CLI's training length. */
export const DIFFUSION_PRESETS: Readonly<Record<string, FamilyPreset<DiffusionConfig>>> =
  Object.freeze({
    'moons-2d': {
      name: 'moons-2d',
      description:
        'Two moons; MLP denoiser (hidden 128, 3 layers, sinusoidal time embedding), T = 1000 linear',
      config: { ...BASE, toy: 'moons' },
      // One epoch = 100 steps of 256 over 25,600 points; 60 epochs = 6,000 steps, under a
      // minute on 2 CPU cores.
      defaultEpochs: 60,
    },
    'mnist-unet': {
      name: 'mnist-unet',
      description:
        'Class-conditional U-Net 32-64-64 on MNIST 28x28 (GroupNorm(8), SiLU, attention at 7x7), classifier-free guidance',
      config: UNET,
      defaultEpochs: 10,
    },
    'mnist-unet-tiny': {
      name: 'mnist-unet-tiny',
      description:
        'Class-conditional U-Net 16-32-32 on MNIST, no attention: trains in minutes on CPU',
      config: { ...UNET, channels: [16, 32, 32], attentionHeads: 0 },
      defaultEpochs: 1,
    },
    'cifar-unet': {
      name: 'cifar-unet',
      description:
        'Class-conditional U-Net on CIFAR-10 32x32 RGB: base 64, channel multipliers [1, 2, 2], attention at 16x16 and 8x8, classifier-free guidance (DDPM-style; GPU recommended)',
      config: {
        ...UNET,
        dataDim: 3 * 32 * 32,
        channels: [64, 128, 128],
        imageChannels: 3,
        imageHeight: 32,
        imageWidth: 32,
        attentionResolutions: [16],
        dataset: 'cifar10',
      },
      defaultEpochs: 20,
    },
  });

/** Points per epoch of the 2-D presets (the toy sets are infinite). */
export const TOY_EPOCH = 25_600;

const fail = (m: string) => new DiffusionError(m);

/** The U-Net's own fields, which an MLP config must leave out. */
const UNET_FIELDS = [
  'imageChannels',
  'imageHeight',
  'imageWidth',
  'attentionResolutions',
  'dataset',
  'diffusers',
] as const;

/** The image shape of a partial U-Net config, when its fields are plain positive integers. */
function partialShape(given: Record<string, unknown>): number | undefined {
  const [c, h, w] = DEFAULT_IMAGE_SHAPE;
  const dims = [given.imageChannels ?? c, given.imageHeight ?? h, given.imageWidth ?? w];
  if (!dims.every((d) => Number.isSafeInteger(d) && (d as number) > 0)) return undefined;
  return (dims as number[]).reduce((a, b) => a * b, 1);
}

/**
 * A full, validated config from a preset name or a partial config (over the moons-2d /
 * mnist-unet defaults). A partial U-Net config without `dataDim` takes it from its image
 * shape (C * H * W).
 *
 * @example resolveConfig({ arch: 'unet', imageChannels: 3, imageHeight: 16, imageWidth: 32 }).dataDim // 1536
 */
export function resolveConfig(config: string | Partial<DiffusionConfig>): DiffusionConfig {
  let given: unknown;
  if (typeof config === 'string') {
    const p = Object.hasOwn(DIFFUSION_PRESETS, config) ? DIFFUSION_PRESETS[config] : undefined;
    if (!p)
      throw new DiffusionError(
        `unknown diffusion preset '${config}'; expected one of ${Object.keys(DIFFUSION_PRESETS).join(', ')}`,
      );
    given = p.config;
  } else {
    // A stored config can be any JSON value: only an object is merged over the defaults.
    parseConfig(z.looseObject({}), config, 'diffusion', fail);
    const merged: Record<string, unknown> = {
      ...(config.arch === 'unet' ? UNET : BASE),
      ...config,
    };
    if (config.arch === 'unet' && config.dataDim === undefined)
      merged.dataDim = partialShape(merged) ?? merged.dataDim;
    given = merged;
  }
  // The schema's output is a fresh object (with a fresh `channels`): a preset is never shared.
  let cfg = parseConfig(diffusionConfigSchema, given, 'diffusion', fail);
  const bad = (msg: string) => fail(`diffusion config: ${msg}`);
  if (!(cfg.betaStart <= cfg.betaEnd))
    throw bad(`betas ${cfg.betaStart}..${cfg.betaEnd} must satisfy 0 < start <= end < 1`);
  if (cfg.arch === 'unet') {
    checkUnet(cfg, bad);
    cfg = canonicalUnet(cfg);
  } else {
    const extra = UNET_FIELDS.filter((k) => cfg[k] !== undefined);
    if (extra.length > 0)
      throw bad(
        `${extra.join(', ')} ${extra.length > 1 ? 'are U-Net fields' : 'is a U-Net field'}; an MLP config (arch 'mlp') leaves ${extra.length > 1 ? 'them' : 'it'} out`,
      );
    if (cfg.dataDim > MAX_POINT_DIM)
      throw bad(
        `dataDim (${cfg.dataDim}) must be at most ${MAX_POINT_DIM} for points (arch 'mlp')`,
      );
    if (cfg.hidden % 2 !== 0) throw bad(`hidden (${cfg.hidden}) must be even (sin/cos halves)`);
  }
  if (cfg.sampleSteps > cfg.timesteps)
    throw bad(`sampleSteps (${cfg.sampleSteps}) must be an integer in 1..${cfg.timesteps}`);
  checkParameterCount(diffusionParameterCount(cfg), 'diffusion', fail);
  return cfg;
}

/**
 * The number of parameter values of the denoiser of `cfg` (what `DiffusionNetwork`
 * allocates; the EMA copy, when kept, holds as many again).
 */
export function diffusionParameterCount(cfg: DiffusionConfig): number {
  const K = cfg.numClasses;
  if (cfg.arch === 'mlp') {
    const h = cfg.hidden;
    const D = cfg.dataDim;
    return (
      2 * linearParameters(h, h) + // time1, time2
      (K > 0 ? (K + 1) * h : 0) + // class embedding (K + 1: the null class)
      linearParameters(D, h) + // input
      (cfg.layers - 1) * linearParameters(h, h) + // layers
      cfg.layers * linearParameters(h, h) + // timeProj
      linearParameters(h, D) // output
    );
  }
  return cfg.diffusers ? diffusersParameterCount(cfg) : unetParameterCount(cfg);
}

/** The data shape of one example: [dataDim] for points, [C, H, W] for images. */
export function exampleShape(cfg: DiffusionConfig): number[] {
  return cfg.arch === 'unet' ? diffusionImageShape(cfg) : [cfg.dataDim];
}
