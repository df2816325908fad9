/** Flow configurations and the presets of reference-configs ("Flow"). */
import type { FamilyPreset } from '@genmodels/runtime';
import {
  checkParameterCount,
  intIn,
  linearParameters,
  parseConfig,
  positiveNumber,
  z,
} from '@genmodels/runtime/internal';
import { FlowError } from './errors.js';

/**
 * A positive integer in 1..max whose error keeps the family's wording: "hidden (0) must be
 * a positive integer" (the runtime's `positiveInt` says "must be at least 1").
 */
function positiveInteger(max: number): z.ZodNumber {
  return z
    .number()
    .refine((v) => Number.isInteger(v) && v > 0, 'must be a positive integer')
    .max(max);
}

const flowToySchema = z.enum(['moons', '8gaussians', 'ring8', 'checkerboard']);
/** The 2-D toy sets a preset trains on (names as in @genmodels/datasets' toyData). */
export type FlowToy = z.infer<typeof flowToySchema>;

/**
 * The flow config's schema: every config (given to `create`, or read from a model directory)
 * is checked against it before a network is built. {@link FlowConfig} is derived from it.
 */
export const flowConfigSchema = z.strictObject({
  /** Dimension D of a data point (2 for the toy sets, 784 for MNIST; >= 2 for couplings). */
  dim: positiveInteger(1 << 24),
  /** Image side when the points are flattened square images (28 for MNIST), else 0. */
  imageSize: intIn(0, 4096),
  /** Number of affine coupling layers. */
  couplings: positiveInteger(1024),
  /** Width of the coupling networks' hidden layers (D -> hidden -> hidden -> D' MLPs). */
  hidden: positiveInteger(65536),
  /** Hidden layers per coupling network (2 in the reference configs). */
  depth: positiveInteger(1024),
  /**
   * Which coordinates each coupling keeps: 'alternating' flips a fixed split from layer
   * to layer (index parity, or a checkerboard for images); 'permuted' draws a seeded
   * random half per layer.
   */
  mask: z.enum(['alternating', 'permuted']),
  /** ActNorm (data-dependent init) before every coupling. */
  actnorm: z.boolean(),
  /** 'lu': a Glow-style invertible 1x1 (D x D) mixing, LU-parameterized, before every coupling. */
  mixing: z.enum(['none', 'lu']),
  /**
   * Pixel data (MNIST): inputs are integers 0..255, dequantized as y = (x + u) / 256 with
   * u ~ U[0, 1), and the flow models y through the logit transform.
   */
  pixels: z.boolean(),
  /** alpha of the logit transform logit(alpha + (1 - 2 alpha) y), in [0, 0.5). */
  logitAlpha: z.number().min(0).lt(0.5),
  /** Adam learning rate (cosine-decayed to 0 over a family run), batch size. */
  lr: positiveNumber(),
  batchSize: positiveInteger(1 << 20),
  /** Clip the global gradient norm (0: off). */
  clipNorm: z.number().min(0),
  /**
   * Toy set of the 2-D presets (training data, held-out test set, pictures). Last, as in the
   * configs the presets have always stored.
   */
  toy: flowToySchema.optional(),
});

/** A flow's config (see {@link flowConfigSchema} for each field and its range). */
export type FlowConfig = z.infer<typeof flowConfigSchema>;

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

const fail = (m: string) => new FlowError(m);

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
    const given: unknown = config;
    // Not an object (a stored config of 5, null, [...]): a FlowError saying what it is.
    if (typeof given !== 'object' || given === null || Array.isArray(given))
      parseConfig(flowConfigSchema, given, 'flow', fail);
    cfg = { ...(config.pixels ? MNIST : TOY), ...config };
  }
  cfg = parseConfig(flowConfigSchema, cfg, 'flow', fail);
  if (cfg.dim < 2) throw fail(`flow config: dim (${cfg.dim}) must be >= 2 for couplings`);
  if (cfg.imageSize > 0 && cfg.imageSize ** 2 !== cfg.dim)
    throw fail(
      `flow config: imageSize ${cfg.imageSize} does not match dim ${cfg.dim} (imageSize^2 = dim)`,
    );
  if (cfg.toy !== undefined && cfg.dim !== 2)
    throw fail(`flow config: toy set '${cfg.toy}' is 2-D, but dim is ${cfg.dim}`);
  checkParameterCount(flowParameterCount(cfg), 'flow', fail);
  return cfg;
}

/**
 * The number of values in the state dict of the network of `cfg` (what `FlowNetwork`
 * allocates: per coupling its mask buffer, scales and MLP; per ActNorm its bias, log-scales
 * and init flag; per LU mixing its L, U, log|s|, and the permutation and sign buffers).
 */
export function flowParameterCount(cfg: FlowConfig): number {
  const d = cfg.dim;
  const h = cfg.hidden;
  const n = cfg.couplings;
  const block = (cfg.actnorm ? 2 * d + 1 : 0) + (cfg.mixing === 'lu' ? 3 * d * d + 2 * d : 0);
  const coupling = (changed: number) =>
    d +
    changed +
    linearParameters(d, h) +
    (cfg.depth - 1) * linearParameters(h, h) +
    linearParameters(h, 2 * changed);
  // Coordinates a coupling changes: 'permuted' keeps floor(D/2) on every layer; 'alternating'
  // (parity or checkerboard) keeps ceil(D/2) on even layers and floor(D/2) on odd ones.
  const half = Math.floor(d / 2);
  if (cfg.mask === 'permuted') return n * (block + coupling(d - half));
  return n * block + Math.ceil(n / 2) * coupling(half) + Math.floor(n / 2) * coupling(d - half);
}
