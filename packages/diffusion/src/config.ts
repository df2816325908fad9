/** Diffusion configurations and the presets of reference-configs ("Diffusion"). */
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
import { DiffusionError } from './errors.js';

const scheduleKind = z.enum(['linear', 'cosine']);
const prediction = z.enum(['eps', 'x0', 'v']);
const samplerKind = z.enum(['ddpm', 'ddim']);
/** Noise schedule of the forward process. */
export type ScheduleKind = z.infer<typeof scheduleKind>;
/** What the denoiser predicts: the noise, the clean data, or v = sqrt(ab) eps - sqrt(1 - ab) x0. */
export type Prediction = z.infer<typeof prediction>;
/** Reverse-process sampler. */
export type SamplerKind = z.infer<typeof samplerKind>;

/** The most diffusion steps T a config may have (the schedule holds a dozen float64 arrays of T). */
const MAX_TIMESTEPS = 100_000;

/**
 * The diffusion config's schema: every config (given to `create`, or read from a model
 * directory) is checked against it before a network is built. {@link DiffusionConfig} is
 * derived from it.
 */
export const diffusionConfigSchema = z.strictObject({
  /** 'mlp' for points [N, dataDim]; 'unet' for 28x28 images [N, 1, 28, 28]. */
  arch: z.enum(['mlp', 'unet']),
  /** Point dimension (mlp); 784 for the U-Net. */
  dataDim: positiveInt(65536),
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
  /** U-Net channels per resolution (28, 14, 7). */
  channels: z.tuple([positiveInt(4096), positiveInt(4096), positiveInt(4096)]),
  /** GroupNorm groups of the U-Net (every channel count must be divisible by it). */
  groups: positiveInt(4096),
  /** Self-attention at 7x7 in the U-Net's middle (heads; 0: off). */
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
  });

/** Points per epoch of the 2-D presets (the toy sets are infinite). */
export const TOY_EPOCH = 25_600;

const fail = (m: string) => new DiffusionError(m);

/** A full, validated config from a preset name or a partial config (over the moons-2d / mnist-unet defaults). */
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
    given = { ...(config.arch === 'unet' ? UNET : BASE), ...config };
  }
  // The schema's output is a fresh object (with a fresh `channels`): a preset is never shared.
  const cfg = parseConfig(diffusionConfigSchema, given, 'diffusion', fail);
  const bad = (msg: string) => fail(`diffusion config: ${msg}`);
  if (!(cfg.betaStart <= cfg.betaEnd))
    throw bad(`betas ${cfg.betaStart}..${cfg.betaEnd} must satisfy 0 < start <= end < 1`);
  if (cfg.arch === 'unet') {
    if (cfg.dataDim !== 784)
      throw bad(`the U-Net takes 28x28 images (dataDim 784), got ${cfg.dataDim}`);
    if (cfg.channels.some((c) => c % cfg.groups !== 0))
      throw bad(
        `every channel count [${cfg.channels.join(', ')}] must be divisible by groups ${cfg.groups}`,
      );
    if (cfg.attentionHeads > 0 && cfg.channels[2] % cfg.attentionHeads !== 0)
      throw bad(
        `channels[2] ${cfg.channels[2]} must be divisible by attentionHeads ${cfg.attentionHeads}`,
      );
  } else if (cfg.hidden % 2 !== 0)
    throw bad(`hidden (${cfg.hidden}) must be even (sin/cos halves)`);
  if (cfg.sampleSteps > cfg.timesteps)
    throw bad(`sampleSteps (${cfg.sampleSteps}) must be an integer in 1..${cfg.timesteps}`);
  checkParameterCount(diffusionParameterCount(cfg), 'diffusion', fail);
  return cfg;
}

/** Parameter values of a GroupNorm (or LayerNorm) over `c` channels: weight and bias. */
function normParameters(c: number): number {
  return 2 * c;
}

/** Parameter values of the U-Net's ResBlock `cin` -> `cout` with a `tdim`-wide time embedding. */
function resBlockParameters(cin: number, cout: number, tdim: number): number {
  return (
    normParameters(cin) +
    convParameters(cin, cout, 3) +
    linearParameters(tdim, cout) +
    normParameters(cout) +
    convParameters(cout, cout, 3) +
    (cin !== cout ? convParameters(cin, cout, 1) : 0)
  );
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
  const [c0, c1, c2] = cfg.channels;
  const td = 4 * c0;
  const heads = cfg.attentionHeads;
  return (
    linearParameters(c0, td) +
    linearParameters(td, td) +
    (K > 0 ? (K + 1) * td : 0) +
    convParameters(1, c0, 3) +
    // down path and its stride-2 convs
    resBlockParameters(c0, c0, td) +
    resBlockParameters(c0, c1, td) +
    resBlockParameters(c1, c2, td) +
    convParameters(c0, c0, 3) +
    convParameters(c1, c1, 3) +
    // middle: Res, attention (GroupNorm, in_proj 3C x C + 3C, out_proj C x C + C), Res
    2 * resBlockParameters(c2, c2, td) +
    (heads > 0 ? normParameters(c2) + 3 * c2 * c2 + 3 * c2 + linearParameters(c2, c2) : 0) +
    // up path with skip concatenation, and its upsampling convs
    resBlockParameters(c2 + c2, c2, td) +
    resBlockParameters(c2 + c1, c1, td) +
    resBlockParameters(c1 + c0, c0, td) +
    convParameters(c2, c2, 3) +
    convParameters(c1, c1, 3) +
    normParameters(c0) +
    convParameters(c0, 1, 3)
  );
}

/** The data shape of one example: [dataDim] for points, [1, 28, 28] for images. */
export function exampleShape(cfg: DiffusionConfig): number[] {
  return cfg.arch === 'unet' ? [1, 28, 28] : [cfg.dataDim];
}
