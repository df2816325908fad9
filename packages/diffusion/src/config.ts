/** Diffusion configurations and the presets of reference-configs ("Diffusion"). */
import type { FamilyPreset } from '@genmodels/runtime';
import { DiffusionError } from './errors.js';

/** Noise schedule of the forward process. */
export type ScheduleKind = 'linear' | 'cosine';
/** What the denoiser predicts: the noise, the clean data, or v = sqrt(ab) eps - sqrt(1 - ab) x0. */
export type Prediction = 'eps' | 'x0' | 'v';
/** Reverse-process sampler. */
export type SamplerKind = 'ddpm' | 'ddim';

export interface DiffusionConfig {
  /** 'mlp' for points [N, dataDim]; 'unet' for 28x28 images [N, 1, 28, 28]. */
  arch: 'mlp' | 'unet';
  /** Point dimension (mlp); 784 for the U-Net. */
  dataDim: number;
  /** Diffusion steps T. */
  timesteps: number;
  schedule: ScheduleKind;
  /** Linear schedule end points (beta_1, beta_T). */
  betaStart: number;
  betaEnd: number;
  prediction: Prediction;
  /** MLP: hidden width; the sinusoidal time embedding has the same width. */
  hidden: number;
  /** MLP: hidden layers (each gets the time embedding added). */
  layers: number;
  /** U-Net channels per resolution (28, 14, 7). */
  channels: [number, number, number];
  /** GroupNorm groups of the U-Net (every channel count must be divisible by it). */
  groups: number;
  /** Self-attention at 7x7 in the U-Net's middle (heads; 0: off). */
  attentionHeads: number;
  /** Classes for class-conditional denoisers (0: unconditional); class K is the null class. */
  numClasses: number;
  /** Probability of replacing a label by the null class in training (classifier-free guidance). */
  labelDropout: number;
  lr: number;
  batchSize: number;
  /** Decay of the weight EMA used for sampling (0: off). */
  emaDecay: number;
  /** Clip the predicted x0 to [-1, 1] while sampling (images). */
  clipDenoised: boolean;
  /** Default sampler, steps and guidance of `sample`. */
  sampler: SamplerKind;
  sampleSteps: number;
  guidance: number;
  /** Toy set the 2-D presets train on and are evaluated against. */
  toy?: 'moons';
}

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

function deepCopy(c: DiffusionConfig): DiffusionConfig {
  return { ...c, channels: [...c.channels] };
}

/** A full, validated config from a preset name or a partial config (over the moons-2d / mnist-unet defaults). */
export function resolveConfig(config: string | Partial<DiffusionConfig>): DiffusionConfig {
  if (typeof config === 'string') {
    const p = Object.hasOwn(DIFFUSION_PRESETS, config) ? DIFFUSION_PRESETS[config] : undefined;
    if (!p)
      throw new DiffusionError(
        `unknown diffusion preset '${config}'; expected one of ${Object.keys(DIFFUSION_PRESETS).join(', ')}`,
      );
    return deepCopy(p.config);
  }
  const base = config.arch === 'unet' ? UNET : BASE;
  const cfg = deepCopy({ ...base, ...config });
  const bad = (msg: string) => new DiffusionError(`diffusion config: ${msg}`);
  for (const k of ['dataDim', 'timesteps', 'hidden', 'layers', 'batchSize', 'groups'] as const) {
    const v = cfg[k];
    if (!(Number.isInteger(v) && v > 0))
      throw bad(`${k} (${String(v)}) must be a positive integer`);
  }
  if (!['mlp', 'unet'].includes(cfg.arch)) throw bad(`arch '${cfg.arch}' must be 'mlp' or 'unet'`);
  if (!['linear', 'cosine'].includes(cfg.schedule))
    throw bad(`schedule '${cfg.schedule}' must be 'linear' or 'cosine'`);
  if (!['eps', 'x0', 'v'].includes(cfg.prediction))
    throw bad(`prediction '${cfg.prediction}' must be 'eps', 'x0' or 'v'`);
  if (!['ddpm', 'ddim'].includes(cfg.sampler))
    throw bad(`sampler '${cfg.sampler}' must be 'ddpm' or 'ddim'`);
  if (!(cfg.betaStart > 0 && cfg.betaStart <= cfg.betaEnd && cfg.betaEnd < 1))
    throw bad(`betas ${cfg.betaStart}..${cfg.betaEnd} must satisfy 0 < start <= end < 1`);
  if (cfg.arch === 'unet') {
    if (cfg.dataDim !== 784)
      throw bad(`the U-Net takes 28x28 images (dataDim 784), got ${cfg.dataDim}`);
    if (cfg.channels.length !== 3 || cfg.channels.some((c) => !(Number.isInteger(c) && c > 0)))
      throw bad(`channels [${cfg.channels.join(', ')}] must be three positive integers`);
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
  if (!(Number.isInteger(cfg.numClasses) && cfg.numClasses >= 0))
    throw bad(`numClasses (${cfg.numClasses}) must be an integer >= 0`);
  if (!(cfg.labelDropout >= 0 && cfg.labelDropout < 1))
    throw bad(`labelDropout (${cfg.labelDropout}) must be in [0, 1)`);
  if (!(cfg.emaDecay >= 0 && cfg.emaDecay < 1))
    throw bad(`emaDecay (${cfg.emaDecay}) must be in [0, 1)`);
  if (!(cfg.lr > 0)) throw bad(`lr (${cfg.lr}) must be > 0`);
  if (
    !(Number.isInteger(cfg.sampleSteps) && cfg.sampleSteps >= 1 && cfg.sampleSteps <= cfg.timesteps)
  )
    throw bad(`sampleSteps (${cfg.sampleSteps}) must be an integer in 1..${cfg.timesteps}`);
  if (!(cfg.guidance >= 0)) throw bad(`guidance (${cfg.guidance}) must be >= 0`);
  return cfg;
}

/** The data shape of one example: [dataDim] for points, [1, 28, 28] for images. */
export function exampleShape(cfg: DiffusionConfig): number[] {
  return cfg.arch === 'unet' ? [1, 28, 28] : [cfg.dataDim];
}
