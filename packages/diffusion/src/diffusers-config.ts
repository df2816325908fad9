/**
 * diffusers' UNet2DModel config.json <-> the architecture fields of a DiffusionConfig with the
 * diffusers layout. The supported subset is what a small image model needs: positional time
 * embedding, DownBlock2D / AttnDownBlock2D, UpBlock2D / AttnUpBlock2D, UNetMidBlock2D (with or
 * without attention), conv down- and upsampling, SiLU, time_embedding_norm 'default', a class
 * embedding or none; anything else is refused with the field and value named.
 *
 * Classes: our conditional models keep one embedding row more than their classes (class K is
 * the null class of classifier-free guidance), so `num_class_embeds` N reads as numClasses
 * N - 1, the last row being the null class, and numClasses K writes N = K + 1.
 */
import type { DiffusionConfig } from './config.js';
import { DiffusionError } from './errors.js';
import { diffusionImageShape } from './unet-shape.js';

/** What a UNet2DModel config.json may hold (the fields that change the network; others are kept). */
export interface DiffusersUnetConfig {
  _class_name?: string;
  sample_size?: number | number[] | null;
  in_channels?: number;
  out_channels?: number;
  block_out_channels?: number[];
  layers_per_block?: number;
  down_block_types?: string[];
  up_block_types?: string[];
  attention_head_dim?: number | null;
  norm_num_groups?: number;
  norm_eps?: number;
  flip_sin_to_cos?: boolean;
  freq_shift?: number;
  add_attention?: boolean;
  num_class_embeds?: number | null;
  num_train_timesteps?: number | null;
  [field: string]: unknown;
}

/** UNet2DModel's defaults (its constructor's), for a config.json that leaves a field out. */
const DEFAULTS = {
  in_channels: 3,
  out_channels: 3,
  block_out_channels: [224, 448, 672, 896],
  layers_per_block: 2,
  down_block_types: ['DownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D'],
  up_block_types: ['AttnUpBlock2D', 'AttnUpBlock2D', 'AttnUpBlock2D', 'UpBlock2D'],
  attention_head_dim: 8,
  norm_num_groups: 32,
  norm_eps: 1e-5,
  flip_sin_to_cos: true,
  freq_shift: 0,
  add_attention: true,
} as const;

/** Fields that must have one value (diffusers' default; null where diffusers' is null). */
const FIXED: Readonly<Record<string, unknown>> = {
  center_input_sample: false,
  time_embedding_type: 'positional',
  act_fn: 'silu',
  downsample_padding: 1,
  downsample_type: 'conv',
  upsample_type: 'conv',
  mid_block_scale_factor: 1,
  resnet_time_scale_shift: 'default',
  class_embed_type: null,
  dropout: 0,
};

const DOWN_TYPES: Readonly<Record<string, boolean>> = { DownBlock2D: false, AttnDownBlock2D: true };
const UP_TYPES: Readonly<Record<string, boolean>> = { UpBlock2D: false, AttnUpBlock2D: true };

/** Per block, whether it attends; an unsupported type is an error naming it. */
function blockAttention(
  types: readonly string[],
  known: Readonly<Record<string, boolean>>,
  field: string,
  fail: (m: string) => DiffusionError,
): boolean[] {
  const bad = types.filter((t) => !Object.hasOwn(known, t));
  if (bad.length > 0)
    throw fail(
      `${field} has ${bad.map((t) => `'${t}'`).join(', ')}; supported block types: ${Object.keys(known).join(', ')}`,
    );
  return types.map((t) => known[t]);
}

/** [H, W] from sample_size (a side or [height, width]). */
function sampleSize(v: DiffusersUnetConfig['sample_size'], fail: (m: string) => DiffusionError) {
  const hw = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(hw) || hw.length !== 2 || !hw.every((d) => Number.isSafeInteger(d) && d > 0))
    throw fail(
      `sample_size is ${JSON.stringify(v)}; expected the image side (an integer) or [height, width]`,
    );
  return hw as [number, number];
}

/**
 * The architecture fields of a DiffusionConfig (`arch: 'unet'`, the diffusers layout) for a
 * UNet2DModel config.json; `where` names the checkpoint in messages.
 *
 * @throws DiffusionError naming every unsupported field value.
 *
 * @example resolveConfig({ ...diffusersArchitecture(json, 'model/'), timesteps: 1000 })
 */
export function diffusersArchitecture(
  hf: DiffusersUnetConfig,
  where: string,
): Partial<DiffusionConfig> {
  const fail = (m: string) => new DiffusionError(`${where}: config.json: ${m}`);
  if (hf._class_name !== undefined && hf._class_name !== 'UNet2DModel')
    throw fail(`_class_name is '${String(hf._class_name)}'; only 'UNet2DModel' is supported`);
  for (const [k, want] of Object.entries(FIXED))
    if (hf[k] !== undefined && hf[k] !== want)
      throw fail(`${k} is ${JSON.stringify(hf[k])}; only ${JSON.stringify(want)} is supported`);
  const v = { ...DEFAULTS, ...stripUndefined(hf) } as Required<DiffusersUnetConfig>;
  if (v.in_channels !== v.out_channels)
    throw fail(
      `in_channels ${v.in_channels} and out_channels ${v.out_channels} differ; only a denoiser whose output has the image's shape is supported`,
    );
  const groups = v.attn_norm_num_groups;
  if (groups !== undefined && groups !== null && groups !== v.norm_num_groups)
    throw fail(`attn_norm_num_groups ${groups} differs from norm_num_groups ${v.norm_num_groups}`);
  const L = v.block_out_channels.length;
  if (v.down_block_types.length !== L || v.up_block_types.length !== L)
    throw fail(
      `block_out_channels has ${L} entries, down_block_types ${v.down_block_types.length} and up_block_types ${v.up_block_types.length}; expected one block per level`,
    );
  const K = v.num_class_embeds ?? 0;
  if (K === 1)
    throw fail(
      'num_class_embeds 1 is not supported (genmodels keeps its last class embedding as the null class: it needs at least 2)',
    );
  const [h, w] = sampleSize(v.sample_size, fail);
  const T = v.num_train_timesteps;
  return {
    ...(typeof T === 'number' ? { timesteps: T } : {}),
    arch: 'unet',
    imageChannels: v.in_channels,
    imageHeight: h,
    imageWidth: w,
    dataDim: v.in_channels * h * w,
    channels: [...v.block_out_channels],
    groups: v.norm_num_groups,
    attentionHeads: 0,
    numClasses: K > 0 ? K - 1 : 0,
    diffusers: {
      layersPerBlock: v.layers_per_block,
      downAttention: blockAttention(v.down_block_types, DOWN_TYPES, 'down_block_types', fail),
      upAttention: blockAttention(v.up_block_types, UP_TYPES, 'up_block_types', fail),
      midAttention: v.add_attention,
      attentionHeadDim: v.attention_head_dim ?? 0,
      normEps: v.norm_eps,
      flipSinToCos: v.flip_sin_to_cos,
      freqShift: v.freq_shift,
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;
}

/**
 * A UNet2DModel config.json for `cfg` (a diffusers-layout U-Net): `keep`'s fields (e.g. the
 * file it was read from) with the architecture's written over them.
 *
 * @throws DiffusionError when `cfg` is not a diffusers-layout U-Net.
 */
export function diffusersConfigJson(
  cfg: DiffusionConfig,
  keep: DiffusersUnetConfig | null = null,
): DiffusersUnetConfig {
  const lay = cfg.diffusers;
  if (cfg.arch !== 'unet' || !lay)
    throw new DiffusionError(
      'diffusers export: only a U-Net with the diffusers layout (config `diffusers`) can be written as a UNet2DModel; load one with Diffusion.fromDiffusers, or create one with a `diffusers` layout',
    );
  const [c, h, w] = diffusionImageShape(cfg);
  return {
    _class_name: 'UNet2DModel',
    ...keep,
    ...FIXED,
    sample_size: h === w ? h : [h, w],
    in_channels: c,
    out_channels: c,
    block_out_channels: [...cfg.channels],
    layers_per_block: lay.layersPerBlock,
    down_block_types: lay.downAttention.map((a) => (a ? 'AttnDownBlock2D' : 'DownBlock2D')),
    up_block_types: lay.upAttention.map((a) => (a ? 'AttnUpBlock2D' : 'UpBlock2D')),
    attention_head_dim: lay.attentionHeadDim === 0 ? null : lay.attentionHeadDim,
    norm_num_groups: cfg.groups,
    attn_norm_num_groups: null,
    norm_eps: lay.normEps,
    flip_sin_to_cos: lay.flipSinToCos,
    freq_shift: lay.freqShift,
    add_attention: lay.midAttention,
    num_class_embeds: cfg.numClasses > 0 ? cfg.numClasses + 1 : null,
  };
}
