/** Flow configurations and the presets of reference-configs ("Flow"). */
import type { FamilyPreset } from '@genmodels/runtime';
import {
  checkParameterCount,
  convParameters,
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
  /**
   * Image side when the points are flattened square images (28 for MNIST, 32 for CIFAR-10),
   * else 0 (points, or non-square images: `imageHeight` and `imageWidth`).
   */
  imageSize: intIn(0, 4096),
  /** Channels C of the images: 1 (gray, the default; not stored), 3 (RGB) or any other count. */
  imageChannels: positiveInteger(4096).optional(),
  /** Height H of non-square images (with `imageWidth`, `imageSize` 0); see {@link flowImageShape}. */
  imageHeight: positiveInteger(4096).optional(),
  /** Width W of non-square images (with `imageHeight`, `imageSize` 0). */
  imageWidth: positiveInteger(4096).optional(),
  /**
   * 'mlp' (the default; not stored): couplings with MLP nets over the flat D coordinates.
   * 'multiscale': RealNVP's multi-scale architecture over images [C, H, W] with conv ResNet
   * couplings (see {@link multiscaleShapes}); `hidden` is then the nets' channels, `depth`
   * their residual blocks, and `couplings` is 6 * scales + 4.
   */
  arch: z.enum(['mlp', 'multiscale']).optional(),
  /**
   * 'multiscale' only: levels of (3 checkerboard couplings, squeeze, 3 channel-wise
   * couplings, factor out half the channels) before the final 4 checkerboard couplings;
   * H and W must be divisible by 2^scales.
   */
  scales: intIn(0, 12).optional(),
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

/**
 * CIFAR-10 with RealNVP's multi-scale flow as the paper sets it up for CIFAR-10 (one
 * squeeze, batch 64, Adam 1e-3, logit alpha 0.05), with CPU-sized coupling nets: 64
 * channels as in the paper, but 2 residual blocks instead of 8.
 */
const CIFAR: FlowConfig = {
  dim: 3 * 32 * 32,
  imageSize: 32,
  imageChannels: 3,
  arch: 'multiscale',
  scales: 1,
  couplings: 10,
  hidden: 64,
  depth: 2,
  mask: 'alternating',
  actnorm: false,
  mixing: 'none',
  pixels: true,
  logitAlpha: 0.05,
  lr: 1e-3,
  batchSize: 64,
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
  'cifar-realnvp': {
    name: 'cifar-realnvp',
    description:
      'CIFAR-10 3x32x32, uniform dequantization + logit (alpha 0.05), RealNVP multi-scale: 3 checkerboard couplings, squeeze, 3 channel-wise couplings, factor out half, 4 checkerboard couplings at 6x16x16; conv ResNet nets 64 channels x 2 blocks, Adam 1e-3, batch 64',
    config: CIFAR,
    defaultEpochs: 1,
  },
});

const fail = (m: string) => new FlowError(m);

/** An image shape [C, H, W]: channels, height, width. */
export type ImageShape = [channels: number, height: number, width: number];

/**
 * The image shape [C, H, W] of a config whose points are flattened images (in the memory
 * order of [C, H, W], channel planes one after the other), or undefined for points:
 * `imageChannels` (default 1), `imageHeight` and `imageWidth` (default `imageSize`).
 *
 * @example flowImageShape(resolveConfig('cifar-realnvp')) // [3, 32, 32]
 */
export function flowImageShape(cfg: FlowConfig): ImageShape | undefined {
  const h = cfg.imageHeight ?? cfg.imageSize;
  const w = cfg.imageWidth ?? cfg.imageSize;
  return h > 0 && w > 0 ? [cfg.imageChannels ?? 1, h, w] : undefined;
}

/** Couplings of a multi-scale flow: 3 checkerboard + 3 channel-wise per scale, 4 checkerboard at the end. */
export function multiscaleCouplings(scales: number): number {
  return 6 * scales + 4;
}

/**
 * The shapes a multi-scale flow works at: per level the input [C, H, W] of its checkerboard
 * couplings (the channel-wise ones see [4C, H/2, W/2]; half of those channels are factored
 * out, so the next level starts at [2C, H/2, W/2]), and the final couplings' shape.
 *
 * @example multiscaleShapes([3, 32, 32], 1) // { levels: [[3, 32, 32]], final: [6, 16, 16] }
 */
export function multiscaleShapes(
  shape: ImageShape,
  scales: number,
): { levels: ImageShape[]; final: ImageShape } {
  const levels: ImageShape[] = [];
  let [c, h, w] = shape;
  for (let i = 0; i < scales; i++) {
    levels.push([c, h, w]);
    [c, h, w] = [2 * c, h / 2, w / 2];
  }
  return { levels, final: [c, h, w] };
}

/** The default config under a partial one: CIFAR's for 'multiscale', MNIST's for pixels, else the 2-D one. */
function baseOf(config: Partial<FlowConfig>): FlowConfig {
  if (config.arch === 'multiscale') return CIFAR;
  return config.pixels ? MNIST : TOY;
}

/**
 * One way to write each config: square images keep `imageSize` alone, non-square ones
 * `imageHeight` and `imageWidth` (with `imageSize` 0); `imageChannels` only when not 1;
 * `arch` only when 'multiscale'. The configs written before these fields existed stay as
 * they were.
 */
function canonical(cfg: FlowConfig): FlowConfig {
  const out: FlowConfig = { ...cfg };
  if (cfg.imageHeight !== undefined || cfg.imageWidth !== undefined) {
    const h = cfg.imageHeight ?? cfg.imageSize;
    const w = cfg.imageWidth ?? cfg.imageSize;
    if (!(h > 0 && w > 0))
      throw fail(
        `flow config: imageHeight (${cfg.imageHeight}) and imageWidth (${cfg.imageWidth}) go together (non-square images); square images give imageSize`,
      );
    delete out.imageHeight;
    delete out.imageWidth;
    if (h === w) out.imageSize = h;
    else Object.assign(out, { imageSize: 0, imageHeight: h, imageWidth: w });
  }
  if (out.imageChannels === 1) delete out.imageChannels;
  if (out.arch === 'mlp') delete out.arch;
  return out;
}

/**
 * A partial config completed from what it gives: `dim` = C * H * W when it gives no dim
 * but the result is an image, and a multi-scale flow's `couplings` from its scales.
 */
function completed(cfg: FlowConfig, given: Partial<FlowConfig>): FlowConfig {
  const out = { ...cfg };
  const shape = flowImageShape(cfg);
  if (given.dim === undefined && shape) out.dim = shape[0] * shape[1] * shape[2];
  if (given.couplings === undefined && cfg.arch === 'multiscale' && cfg.scales !== undefined)
    out.couplings = multiscaleCouplings(cfg.scales);
  return out;
}

/** "3x32x32" */
export function formatImageShape(shape: readonly number[]): string {
  return shape.join('x');
}

/** The image sizes divisible by m nearest to v, for messages: "24 or 32". */
function nearSizes(v: number, m: number): string {
  const down = Math.max(m, v - (v % m));
  return down === v ? `${v}` : `${down} or ${down + m}`;
}

/** The checks of a multi-scale config (image shape, divisibility, couplings, no ActNorm/LU). */
function checkMultiscale(cfg: FlowConfig, shape: ImageShape): void {
  if (cfg.scales === undefined)
    throw fail("flow config: arch 'multiscale' needs scales (squeeze levels before the last)");
  const s = cfg.scales;
  const m = 2 ** s;
  const [, h, w] = shape;
  if (h % m !== 0 || w % m !== 0)
    throw fail(
      h === w
        ? `flow config: arch 'multiscale' with scales ${s} needs an image size divisible by ${m} (2^scales), got ${h}; use imageSize ${nearSizes(h, m)}, or fewer scales`
        : `flow config: arch 'multiscale' with scales ${s} needs imageHeight and imageWidth divisible by ${m} (2^scales), got ${h}x${w}; use a height of ${nearSizes(h, m)} and a width of ${nearSizes(w, m)}, or fewer scales`,
    );
  const n = multiscaleCouplings(s);
  if (cfg.couplings !== n)
    throw fail(
      `flow config: arch 'multiscale' with scales ${s} has ${n} couplings (3 checkerboard + 3 channel-wise per scale, 4 checkerboard at the end), but couplings is ${cfg.couplings}`,
    );
  if (cfg.actnorm || cfg.mixing !== 'none' || cfg.mask !== 'alternating')
    throw fail(
      `flow config: arch 'multiscale' has its own masks (checkerboard and channel-wise) and no ActNorm or LU mixing; got actnorm ${cfg.actnorm}, mixing '${cfg.mixing}', mask '${cfg.mask}' (use false, 'none', 'alternating')`,
    );
}

/**
 * A full, validated config from a preset name or a partial config (over the 2-D defaults,
 * MNIST's when `pixels`, CIFAR-10's when `arch` is 'multiscale'). A partial config that
 * gives an image shape but no `dim` gets dim = C * H * W; a multi-scale one without
 * `couplings` gets 6 * scales + 4.
 */
export function resolveConfig(config: string | Partial<FlowConfig> = 'moons'): FlowConfig {
  let cfg: FlowConfig;
  if (typeof config === 'string') {
    const p = Object.hasOwn(FLOW_PRESETS, config) ? FLOW_PRESETS[config] : undefined;
    if (!p)
      throw new FlowError(
        `unknown flow preset '${config}'; expected one of ${Object.keys(FLOW_PRESETS).join(', ')}`,
      );
    cfg = parseConfig(flowConfigSchema, { ...p.config }, 'flow', fail);
  } else {
    const given: unknown = config;
    // Not an object (a stored config of 5, null, [...]): a FlowError saying what it is.
    if (typeof given !== 'object' || given === null || Array.isArray(given))
      parseConfig(flowConfigSchema, given, 'flow', fail);
    cfg = parseConfig(flowConfigSchema, { ...baseOf(config), ...config }, 'flow', fail);
    cfg = completed(cfg, config);
  }
  // Parsed again: the completed values are checked too, and the keys come in schema order.
  cfg = parseConfig(flowConfigSchema, canonical(cfg), 'flow', fail);
  if (cfg.dim < 2) throw fail(`flow config: dim (${cfg.dim}) must be >= 2 for couplings`);
  const shape = flowImageShape(cfg);
  if (cfg.arch === 'multiscale' && !shape)
    throw fail(
      "flow config: arch 'multiscale' models images; give imageSize (square) or imageHeight and imageWidth, and imageChannels",
    );
  if (cfg.imageChannels !== undefined && !shape)
    throw fail(
      `flow config: imageChannels (${cfg.imageChannels}) is for images; give imageSize (or imageHeight and imageWidth) too`,
    );
  if (shape && shape[0] * shape[1] * shape[2] !== cfg.dim)
    throw fail(
      shape[0] === 1 && shape[1] === shape[2]
        ? `flow config: imageSize ${cfg.imageSize} does not match dim ${cfg.dim} (imageSize^2 = dim)`
        : `flow config: image shape ${formatImageShape(shape)} (C*H*W = ${shape[0] * shape[1] * shape[2]}) does not match dim ${cfg.dim}`,
    );
  if (cfg.toy !== undefined && cfg.dim !== 2)
    throw fail(`flow config: toy set '${cfg.toy}' is 2-D, but dim is ${cfg.dim}`);
  if (cfg.arch === 'multiscale' && shape) checkMultiscale(cfg, shape);
  else {
    if (cfg.scales !== undefined)
      throw fail(
        `flow config: scales (${cfg.scales}) is for arch 'multiscale'; the MLP flow has none`,
      );
    if (shape && shape[1] !== shape[2])
      throw fail(
        `flow config: non-square images (${formatImageShape(shape)}) need arch 'multiscale'; the MLP flow's checkerboard is over square images (imageSize)`,
      );
  }
  checkParameterCount(flowParameterCount(cfg), 'flow', fail);
  return cfg;
}

/** Values of a multi-scale flow's conv ResNet: 3x3 convs in -> hidden, 2 per block, hidden -> out. */
function convNetParameters(
  inputs: number,
  outputs: number,
  hidden: number,
  blocks: number,
): number {
  return (
    convParameters(inputs, hidden, 3) +
    2 * blocks * convParameters(hidden, hidden, 3) +
    convParameters(hidden, outputs, 3)
  );
}

/** Values of a multi-scale flow (no buffers): per coupling its scales and conv ResNet. */
function multiscaleParameterCount(cfg: FlowConfig, shape: ImageShape): number {
  const net = (inputs: number, outputs: number) =>
    convNetParameters(inputs, outputs, cfg.hidden, cfg.depth);
  // Checkerboard: the net sees all C channels (masked), gives s and t for all C (scale: C).
  const checker = (c: number) => c + net(c, 2 * c);
  // Channel-wise over 4C channels: the net sees 2C, gives s and t for the other 2C.
  const channel = (c4: number) => c4 / 2 + net(c4 / 2, c4);
  const { levels, final } = multiscaleShapes(shape, cfg.scales ?? 0);
  let n = 4 * checker(final[0]);
  for (const [c] of levels) n += 3 * checker(c) + 3 * channel(4 * c);
  return n;
}

/**
 * The number of values in the state dict of the network of `cfg` (what `FlowNetwork`
 * allocates: per coupling its mask buffer, scales and MLP; per ActNorm its bias, log-scales
 * and init flag; per LU mixing its L, U, log|s|, and the permutation and sign buffers; a
 * multi-scale flow: per coupling its per-channel scales and conv ResNet).
 */
export function flowParameterCount(cfg: FlowConfig): number {
  const shape = flowImageShape(cfg);
  if (cfg.arch === 'multiscale' && shape) return multiscaleParameterCount(cfg, shape);
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
