/** Flow configurations and the presets of reference-configs ("Flow"). */
import type { FamilyPreset } from '@genmodels/runtime';
import { FlowError } from './errors.js';

/** The 2-D toy sets a preset trains on (names as in @genmodels/datasets' toyData). */
export type FlowToy = 'moons' | '8gaussians' | 'ring8' | 'checkerboard';

export interface FlowConfig {
  /** Dimension D of a data point (2 for the toy sets, 784 for MNIST). */
  dim: number;
  /** Image side when the points are flattened square images (28 for MNIST), else 0. */
  imageSize: number;
  /** Number of affine coupling layers. */
  couplings: number;
  /** Width of the coupling networks' hidden layers (D -> hidden -> hidden -> D' MLPs). */
  hidden: number;
  /** Hidden layers per coupling network (2 in the reference configs). */
  depth: number;
  /**
   * Which coordinates each coupling keeps: 'alternating' flips a fixed split from layer
   * to layer (index parity, or a checkerboard for images); 'permuted' draws a seeded
   * random half per layer.
   */
  mask: 'alternating' | 'permuted';
  /** ActNorm (data-dependent init) before every coupling. */
  actnorm: boolean;
  /** 'lu': a Glow-style invertible 1x1 (D x D) mixing, LU-parameterized, before every coupling. */
  mixing: 'none' | 'lu';
  /**
   * Pixel data (MNIST): inputs are integers 0..255, dequantized as y = (x + u) / 256 with
   * u ~ U[0, 1), and the flow models y through the logit transform.
   */
  pixels: boolean;
  /** alpha of the logit transform logit(alpha + (1 - 2 alpha) y). */
  logitAlpha: number;
  /** Toy set of the 2-D presets (training data, held-out test set, pictures). */
  toy?: FlowToy;
  /** Adam learning rate (cosine-decayed to 0 over a family run), batch size. */
  lr: number;
  batchSize: number;
  /** Clip the global gradient norm (0: off). */
  clipNorm: number;
}

const TOY: FlowConfig = {
  dim: 2,
  imageSize: 0,
  couplings: 8,
  hidden: 256,
  depth: 2,
  mask: 'alternating',
  actnorm: false,
  mixing: 'none',
  pixels: false,
  logitAlpha: 1e-6,
  lr: 1e-3,
  batchSize: 512,
  clipNorm: 0,
};

const MNIST: FlowConfig = {
  ...TOY,
  dim: 784,
  imageSize: 28,
  couplings: 6,
  hidden: 1024,
  pixels: true,
  batchSize: 128,
  clipNorm: 100,
};

/** Points per epoch of the 2-D presets (the toy sets are infinite: fresh points every step). */
export const TOY_EPOCH = 51_200;

const toy = (
  name: FlowToy,
  description: string,
  defaultEpochs: number,
): FamilyPreset<FlowConfig> => ({
  name,
  description: `${description}; RealNVP, 8 affine couplings, nets 2-256-256-2, Adam 1e-3, batch 512`,
  config: { ...TOY, toy: name },
  defaultEpochs,
});

/** Presets of reference-configs; `defaultEpochs` is the CLI's training length (1 toy epoch = 100 steps). */
export const FLOW_PRESETS: Readonly<Record<string, FamilyPreset<FlowConfig>>> = Object.freeze({
  moons: toy('moons', 'two moons (FFJORD toy_data, entropy 2.391 nats)', 10),
  '8gaussians': toy(
    '8gaussians',
    "FFJORD's 8 Gaussians (radius 4/1.414, std 0.5/1.414, entropy 2.834 nats)",
    10,
  ),
  ring8: toy(
    'ring8',
    'ring of 8 narrow Gaussians (radius 2, std 0.02, entropy -2.907 nats; the GAN preset)',
    20,
  ),
  checkerboard: toy(
    'checkerboard',
    'checkerboard, uniform on 8 squares (entropy log 32 = 3.466 nats)',
    20,
  ),
  'mnist-mlp': {
    name: 'mnist-mlp',
    description:
      'MNIST 784, uniform dequantization + logit (alpha 1e-6), 6 couplings with 784-1024-1024-784 nets, batch 128',
    config: MNIST,
    defaultEpochs: 1,
  },
});

/** A full, validated config from a preset name or a partial config (over the 2-D defaults, or MNIST's when `pixels`). */
export function resolveConfig(config: string | Partial<FlowConfig> = 'moons'): FlowConfig {
  let cfg: FlowConfig;
  if (typeof config === 'string') {
    const p = Object.hasOwn(FLOW_PRESETS, config) ? FLOW_PRESETS[config] : undefined;
    if (!p)
      throw new FlowError(
        `unknown flow preset '${config}'; expected one of ${Object.keys(FLOW_PRESETS).join(', ')}`,
      );
    cfg = { ...p.config };
  } else {
    cfg = { ...(config.pixels ? MNIST : TOY), ...config };
  }
  for (const k of ['dim', 'couplings', 'hidden', 'depth', 'batchSize'] as const) {
    const v = cfg[k];
    if (!(Number.isInteger(v) && v > 0))
      throw new FlowError(`flow config: ${k} (${String(v)}) must be a positive integer`);
  }
  if (cfg.dim < 2) throw new FlowError(`flow config: dim (${cfg.dim}) must be >= 2 for couplings`);
  if (!(Number.isInteger(cfg.imageSize) && cfg.imageSize >= 0))
    throw new FlowError(`flow config: imageSize (${cfg.imageSize}) must be an integer >= 0`);
  if (cfg.imageSize > 0 && cfg.imageSize ** 2 !== cfg.dim)
    throw new FlowError(
      `flow config: imageSize ${cfg.imageSize} does not match dim ${cfg.dim} (imageSize^2 = dim)`,
    );
  if (cfg.mask !== 'alternating' && cfg.mask !== 'permuted')
    throw new FlowError(`flow config: mask '${cfg.mask}' must be 'alternating' or 'permuted'`);
  if (cfg.mixing !== 'none' && cfg.mixing !== 'lu')
    throw new FlowError(`flow config: mixing '${cfg.mixing}' must be 'none' or 'lu'`);
  if (!(cfg.logitAlpha >= 0 && cfg.logitAlpha < 0.5))
    throw new FlowError(`flow config: logitAlpha (${cfg.logitAlpha}) must be in [0, 0.5)`);
  if (!(cfg.lr > 0)) throw new FlowError(`flow config: lr (${cfg.lr}) must be > 0`);
  if (!(cfg.clipNorm >= 0))
    throw new FlowError(`flow config: clipNorm (${cfg.clipNorm}) must be >= 0`);
  if (cfg.toy !== undefined && !['moons', '8gaussians', 'ring8', 'checkerboard'].includes(cfg.toy))
    throw new FlowError(
      `flow config: toy '${cfg.toy}' must be moons, 8gaussians, ring8 or checkerboard`,
    );
  if (cfg.toy !== undefined && cfg.dim !== 2)
    throw new FlowError(`flow config: toy set '${cfg.toy}' is 2-D, but dim is ${cfg.dim}`);
  return cfg;
}
