/**
 * The U-Net's config rules (dataDim, sizes its levels can halve, groups, heads, attention
 * levels, data set), its one written form and its parameter count.
 */
import { convParameters, linearParameters } from '@genmodels/runtime/internal';
import type { DiffusionConfig } from './config.js';
import type { DiffusionError } from './errors.js';
import {
  DEFAULT_IMAGE_SHAPE,
  diffusionImageShape,
  downsamplings,
  formatImageShape,
  levelOfSide,
  levelSizes,
  nearestSizes,
} from './unet-shape.js';

/** The image shape each named data set has. */
const DATASET_SHAPES: Readonly<Record<'mnist' | 'cifar10', readonly number[]>> = {
  mnist: DEFAULT_IMAGE_SHAPE,
  cifar10: [3, 32, 32],
};

/**
 * One way to write each U-Net config, so that one model has one config.json: the image
 * fields only when the shape is not gray 28x28 (then all three), `attentionResolutions` only
 * when not empty (sorted, largest first), `dataset` only when not MNIST.
 */
export function canonicalUnet(cfg: DiffusionConfig): DiffusionConfig {
  const [c, h, w] = diffusionImageShape(cfg);
  const {
    imageChannels: _c,
    imageHeight: _h,
    imageWidth: _w,
    attentionResolutions,
    dataset,
    ...rest
  } = cfg;
  const out: DiffusionConfig = { ...rest };
  const [c0, h0, w0] = DEFAULT_IMAGE_SHAPE;
  if (c !== c0 || h !== h0 || w !== w0) {
    out.imageChannels = c;
    out.imageHeight = h;
    out.imageWidth = w;
  }
  if (attentionResolutions && attentionResolutions.length > 0)
    out.attentionResolutions = [...new Set(attentionResolutions)].sort((a, b) => b - a);
  if (dataset && dataset !== 'mnist') out.dataset = dataset;
  return out;
}

/** The U-Net's own rules: dataDim, sizes divisible by its downsamplings, groups, heads, attention levels, data set. */
export function checkUnet(cfg: DiffusionConfig, bad: (msg: string) => DiffusionError): void {
  const shape = diffusionImageShape(cfg);
  const [c, h, w] = shape;
  if (cfg.dataDim !== c * h * w)
    throw bad(
      `the U-Net's images are ${formatImageShape(shape)} (imageChannels x imageHeight x imageWidth), so dataDim must be C*H*W = ${c * h * w}, got ${cfg.dataDim}`,
    );
  const down = downsamplings(cfg);
  const f = 2 ** down;
  if (h % f !== 0 || w % f !== 0)
    throw bad(
      `a U-Net of ${cfg.channels.length} levels (channels [${cfg.channels.join(', ')}]) halves its feature maps ${down} time${down === 1 ? '' : 's'}, so imageHeight and imageWidth must be divisible by ${f}; got ${h}x${w} (valid: height ${nearestSizes(h, f)}, width ${nearestSizes(w, f)}; or fewer levels)`,
    );
  if (cfg.channels.some((ch) => ch % cfg.groups !== 0))
    throw bad(
      `every channel count [${cfg.channels.join(', ')}] must be divisible by groups ${cfg.groups}`,
    );
  if (cfg.diffusers) checkDiffusersLayout(cfg, bad);
  else checkAttention(cfg, bad);
  const want = cfg.dataset && DATASET_SHAPES[cfg.dataset];
  if (want && formatImageShape(want) !== formatImageShape(shape))
    throw bad(
      `dataset '${cfg.dataset}' has images of ${formatImageShape(want)}, but this U-Net's are ${formatImageShape(shape)}`,
    );
}

/** This package's U-Net's attention: heads dividing the attended levels' channels. */
function checkAttention(cfg: DiffusionConfig, bad: (msg: string) => DiffusionError): void {
  const heads = cfg.attentionHeads;
  const last = cfg.channels.length - 1;
  if (heads > 0 && cfg.channels[last] % heads !== 0)
    throw bad(
      `channels[${last}] ${cfg.channels[last]} must be divisible by attentionHeads ${heads}`,
    );
  const res = cfg.attentionResolutions ?? [];
  if (res.length > 0 && heads === 0)
    throw bad(
      `attentionResolutions [${res.join(', ')}] needs attentionHeads > 0 (the heads of every attention block)`,
    );
  for (const r of res) {
    const level = levelOfSide(cfg, r);
    if (level < 0)
      throw bad(
        `attentionResolutions: no level of this U-Net has a ${r}-pixel feature map; its levels' (shorter) sides are ${levelSizes(
          cfg,
        )
          .map(([a, b]) => Math.min(a, b))
          .join(', ')}`,
      );
    if (cfg.channels[level] % heads !== 0)
      throw bad(
        `channels[${level}] ${cfg.channels[level]} (attention at ${r}) must be divisible by attentionHeads ${heads}`,
      );
  }
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

/** Parameter values of an attention block over `c` channels: GroupNorm, in_proj 3C x C + 3C, out_proj C x C + C. */
function attentionParameters(c: number): number {
  return normParameters(c) + 3 * c * c + 3 * c + linearParameters(c, c);
}

/** The number of parameter values of the U-Net of `cfg` (see `diffusionParameterCount`). */
export function unetParameterCount(cfg: DiffusionConfig): number {
  const K = cfg.numClasses;
  const ch = cfg.channels;
  const L = ch.length;
  const c0 = ch[0];
  const cL = ch[L - 1];
  const [cImg] = diffusionImageShape(cfg);
  const td = 4 * c0;
  const attended = new Set((cfg.attentionResolutions ?? []).map((r) => levelOfSide(cfg, r)));
  let n =
    linearParameters(c0, td) +
    linearParameters(td, td) +
    (K > 0 ? (K + 1) * td : 0) +
    convParameters(cImg, c0, 3) +
    normParameters(c0) +
    convParameters(c0, cImg, 3);
  for (let l = 0; l < L; l++) {
    const attn = attended.has(l) ? attentionParameters(ch[l]) : 0;
    // down: Res ch[l-1] -> ch[l] (+ attention), then a stride-2 conv unless last
    n += resBlockParameters(l > 0 ? ch[l - 1] : c0, ch[l], td) + attn;
    if (l < L - 1) n += convParameters(ch[l], ch[l], 3);
    // up: Res (from the level below, or the middle) + skip -> ch[l] (+ attention), then upsampling unless top
    n += resBlockParameters(ch[Math.min(l + 1, L - 1)] + ch[l], ch[l], td) + attn;
    if (l > 0) n += convParameters(ch[l], ch[l], 3);
  }
  // middle: Res, attention, Res
  n += 2 * resBlockParameters(cL, cL, td) + (cfg.attentionHeads > 0 ? attentionParameters(cL) : 0);
  return n;
}

/**
 * The diffusers layout's own rules: a block type per level both ways, attentionHeads 0 and no
 * attentionResolutions (attention is chosen per block), heads dividing the attended channels.
 */
function checkDiffusersLayout(cfg: DiffusionConfig, bad: (msg: string) => DiffusionError): void {
  const lay = cfg.diffusers!;
  const L = cfg.channels.length;
  for (const [name, list] of [
    ['downAttention', lay.downAttention],
    ['upAttention', lay.upAttention],
  ] as const)
    if (list.length !== L)
      throw bad(
        `diffusers.${name} has ${list.length} entries, but channels [${cfg.channels.join(', ')}] has ${L} levels (one block each)`,
      );
  if (cfg.attentionHeads !== 0 || (cfg.attentionResolutions ?? []).length > 0)
    throw bad(
      'a diffusers-layout U-Net chooses attention per block (diffusers.downAttention, upAttention, midAttention) with diffusers.attentionHeadDim; attentionHeads must be 0 and attentionResolutions absent',
    );
  const hd = lay.attentionHeadDim;
  const attended = [
    ...cfg.channels.filter((_, l) => lay.downAttention[l]),
    ...cfg.channels.filter((_, l) => lay.upAttention[L - 1 - l]),
    ...(lay.midAttention ? [cfg.channels[L - 1]] : []),
  ];
  const odd = attended.filter((c) => hd > 0 && c % hd !== 0);
  if (odd.length > 0)
    throw bad(
      `diffusers.attentionHeadDim ${hd} must divide the channels of every attention block; ${[...new Set(odd)].join(', ')} ${odd.length > 1 ? 'do' : 'does'} not`,
    );
}

/** The number of parameter values of the diffusers-layout U-Net of `cfg` (see diffusers-unet.ts). */
export function diffusersParameterCount(cfg: DiffusionConfig): number {
  const lay = cfg.diffusers!;
  const ch = cfg.channels;
  const L = ch.length;
  const n = lay.layersPerBlock;
  const c0 = ch[0];
  const td = 4 * c0;
  const [cImg] = diffusionImageShape(cfg);
  const K = cfg.numClasses;
  let total =
    convParameters(cImg, c0, 3) +
    linearParameters(c0, td) +
    linearParameters(td, td) +
    (K > 0 ? (K + 1) * td : 0) +
    normParameters(c0) +
    convParameters(c0, cImg, 3);
  for (let l = 0; l < L; l++) {
    const cin = l > 0 ? ch[l - 1] : c0;
    const attn = attentionParameters(ch[l]);
    for (let j = 0; j < n; j++)
      total += resBlockParameters(j ? ch[l] : cin, ch[l], td) + (lay.downAttention[l] ? attn : 0);
    if (l < L - 1) total += convParameters(ch[l], ch[l], 3);
    // the up block of level l: n + 1 ResBlocks, the last over the skip of the level above
    const cprev = ch[Math.min(l + 1, L - 1)];
    for (let j = 0; j <= n; j++) {
      const cskip = j === n ? ch[Math.max(l - 1, 0)] : ch[l];
      total +=
        resBlockParameters((j ? ch[l] : cprev) + cskip, ch[l], td) +
        (lay.upAttention[L - 1 - l] ? attn : 0);
    }
    if (l > 0) total += convParameters(ch[l], ch[l], 3);
  }
  const cL = ch[L - 1];
  return (
    total + 2 * resBlockParameters(cL, cL, td) + (lay.midAttention ? attentionParameters(cL) : 0)
  );
}
