/**
 * diffusers' UNet2DModel checkpoint convention as a key-format table for a diffusers-layout
 * DiffusionNetwork (diffusers-unet.ts), and its config.json <-> DiffusionConfig.
 *
 * Layouts are PyTorch's on both sides; the one change is attention: diffusers keeps q, k and v
 * as three Linear layers (`to_q`, `to_k`, `to_v`), our attention block PyTorch's fused
 * `in_proj_weight` [3C, C] (q, k, v rows), so they are concatenated on import and split on
 * export. Checkpoints from before diffusers 0.14 name them `query`, `key`, `value` and
 * `proj_attn`: read, but written back in today's names.
 */
import {
  concatKeys,
  defineKeyFormat,
  type KeyFormat,
  type KeyRule,
  renameKey,
} from '@genmodels/runtime';

/** diffusers' ResnetBlock2D parts and ours (`{p}`: weight or bias). */
const RESNET_PARTS: readonly (readonly [string, string])[] = [
  ['norm1', 'norm1'],
  ['conv1', 'conv1'],
  ['time_emb_proj', 'temb'],
  ['norm2', 'norm2'],
  ['conv2', 'conv2'],
  ['conv_shortcut', 'skip'],
];

/** A ResnetBlock2D at `src` is our ResBlock at `dst`. */
function resnet(src: string, dst: string): KeyRule[] {
  return RESNET_PARTS.map(([s, d]) => renameKey(`${src}.${s}.{p}`, `${dst}.${d}.{p}`));
}

/** An Attention at `src` (q, k, v under `names`, output under `out`) is our AttentionBlock at `dst`. */
function qkv(src: string, dst: string, names: readonly string[], out: string): KeyRule[] {
  return [
    concatKeys(
      names.map((n) => `${src}.${n}.weight`),
      `${dst}.attn.in_proj_weight`,
      0,
    ),
    concatKeys(
      names.map((n) => `${src}.${n}.bias`),
      `${dst}.attn.in_proj_bias`,
      0,
    ),
    renameKey(`${src}.${out}.{p}`, `${dst}.attn.out_proj.{p}`),
  ];
}

/** Today's names first (export writes them), then the pre-0.14 ones (import only). */
function attention(src: string, dst: string): KeyRule[] {
  return [
    renameKey(`${src}.group_norm.{p}`, `${dst}.norm.{p}`),
    ...qkv(src, dst, ['to_q', 'to_k', 'to_v'], 'to_out.0'),
    ...qkv(src, dst, ['query', 'key', 'value'], 'proj_attn'),
  ];
}

const D = 'denoiser';

/** UNet2DModel (diffusers' names) <-> a diffusers-layout DiffusionNetwork (`denoiser.*`). */
export const DIFFUSERS_UNET_FORMAT: KeyFormat = defineKeyFormat('diffusers UNet2DModel', [
  renameKey('conv_in.{p}', `${D}.convIn.{p}`),
  renameKey('time_embedding.linear_1.{p}', `${D}.time1.{p}`),
  renameKey('time_embedding.linear_2.{p}', `${D}.time2.{p}`),
  renameKey('class_embedding.weight', `${D}.classEmbed.weight`),
  ...resnet('down_blocks.{i}.resnets.{j}', `${D}.down.{i}.res.{j}`),
  ...attention('down_blocks.{i}.attentions.{j}', `${D}.down.{i}.attn.{j}`),
  renameKey('down_blocks.{i}.downsamplers.0.conv.{p}', `${D}.down.{i}.downsample.{p}`),
  ...resnet('mid_block.resnets.{j}', `${D}.mid.res.{j}`),
  ...attention('mid_block.attentions.0', `${D}.mid.attn`),
  ...resnet('up_blocks.{i}.resnets.{j}', `${D}.up.{i}.res.{j}`),
  ...attention('up_blocks.{i}.attentions.{j}', `${D}.up.{i}.attn.{j}`),
  renameKey('up_blocks.{i}.upsamplers.0.conv.{p}', `${D}.up.{i}.upsample.conv.{p}`),
  renameKey('conv_norm_out.{p}', `${D}.normOut.{p}`),
  renameKey('conv_out.{p}', `${D}.convOut.{p}`),
]);
