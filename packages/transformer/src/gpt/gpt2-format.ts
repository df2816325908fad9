/**
 * GPT-2's checkpoint convention (Hugging Face's GPT2LMHeadModel) as a key-format table for
 * GptNetwork, and its config.json <-> GptConfig.
 *
 * Layouts: GPT-2's Conv1D layers store weights [in, out], so `c_attn`, `c_proj`, `c_fc`
 * are the transposes of our Linear / in_proj weights ([out, in]). `c_attn` [E, 3E] holds
 * q | k | v side by side in its columns, which transposed is exactly PyTorch's fused
 * `in_proj_weight` [3E, E] (q, k, v rows): one transpose, no split. The LM head is tied to
 * `transformer.wte.weight`; files written by `save_pretrained` leave `lm_head.weight` out.
 * The causal-mask buffers `attn.bias` / `attn.masked_bias` of older files are ignored.
 */
import {
  defineKeyFormat,
  ignoreKey,
  type KeyFormat,
  type KeyRule,
  renameKey,
  sameTensor,
  type Tensor,
  tieKeys,
  transposeKey,
} from '@genmodels/runtime';
import type { GptConfig } from './config.js';
import { GptError } from './errors.js';

const H = 'transformer.h.{i}';

/** Every tensor but the token embedding and the head. */
const BODY: readonly KeyRule[] = [
  renameKey('transformer.wpe.weight', 'wpe.weight'),
  renameKey(`${H}.ln_1.weight`, 'h.{i}.ln_1.weight'),
  renameKey(`${H}.ln_1.bias`, 'h.{i}.ln_1.bias'),
  transposeKey(`${H}.attn.c_attn.weight`, 'h.{i}.attn.in_proj_weight'),
  renameKey(`${H}.attn.c_attn.bias`, 'h.{i}.attn.in_proj_bias'),
  transposeKey(`${H}.attn.c_proj.weight`, 'h.{i}.attn.out_proj.weight'),
  renameKey(`${H}.attn.c_proj.bias`, 'h.{i}.attn.out_proj.bias'),
  renameKey(`${H}.ln_2.weight`, 'h.{i}.ln_2.weight'),
  renameKey(`${H}.ln_2.bias`, 'h.{i}.ln_2.bias'),
  transposeKey(`${H}.mlp.c_fc.weight`, 'h.{i}.mlp.c_fc.weight'),
  renameKey(`${H}.mlp.c_fc.bias`, 'h.{i}.mlp.c_fc.bias'),
  transposeKey(`${H}.mlp.c_proj.weight`, 'h.{i}.mlp.c_proj.weight'),
  renameKey(`${H}.mlp.c_proj.bias`, 'h.{i}.mlp.c_proj.bias'),
  renameKey('transformer.ln_f.weight', 'ln_f.weight'),
  renameKey('transformer.ln_f.bias', 'ln_f.bias'),
  // Causal-mask buffers that older transformers versions saved: constants, not weights.
  ignoreKey(`${H}.attn.bias`),
  ignoreKey(`${H}.attn.masked_bias`),
];

/** GPT-2 with its head tied to the token embedding (`lm_head.weight`, if present, a copy). */
export const GPT2_FORMAT: KeyFormat = defineKeyFormat('GPT-2', [
  tieKeys(['transformer.wte.weight', 'lm_head.weight'], ['wte.weight', 'lm_head.weight']),
  ...BODY,
]);

/** GPT-2 with an LM head of its own (`tie_word_embeddings: false`). */
export const GPT2_UNTIED_FORMAT: KeyFormat = defineKeyFormat('GPT-2 (untied head)', [
  renameKey('transformer.wte.weight', 'wte.weight'),
  renameKey('lm_head.weight', 'lm_head.weight'),
  ...BODY,
]);

/** The format of a network with (or without) tied embeddings. */
export function gpt2Format(tied: boolean): KeyFormat {
  return tied ? GPT2_FORMAT : GPT2_UNTIED_FORMAT;
}

/** GPT-2 `activation_function` values and the GELU each is. */
const ACTIVATIONS: Readonly<Record<string, NonNullable<GptConfig['activation']>>> = {
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  gelu: 'gelu',
};

/** What a GPT-2 config.json may hold (Hugging Face's GPT2Config fields that change the network). */
export interface Gpt2HfConfig {
  model_type?: string;
  vocab_size?: number;
  n_positions?: number;
  n_embd?: number;
  n_layer?: number;
  n_head?: number;
  n_inner?: number | null;
  activation_function?: string;
  layer_norm_epsilon?: number;
  tie_word_embeddings?: boolean;
  scale_attn_weights?: boolean;
  scale_attn_by_inverse_layer_idx?: boolean;
  [field: string]: unknown;
}

/** The architecture read from a GPT-2 checkpoint's tensors and config.json. */
export type Gpt2Architecture = Pick<
  GptConfig,
  'vocabSize' | 'nLayer' | 'nHead' | 'nEmbd' | 'blockSize' | 'tieEmbeddings' | 'activation'
>;

const shown = (t: Tensor | undefined) => (t ? `[${t.shape.join(', ')}]` : 'absent');

/** Refuse config.json settings GptNetwork does not have. */
function checkSupported(hf: Gpt2HfConfig, where: string, nEmbd: number): void {
  const fail = (what: string) => new GptError(`${where}: ${what}`);
  if (hf.model_type !== undefined && hf.model_type !== 'gpt2')
    throw fail(`model_type is '${String(hf.model_type)}'; expected 'gpt2'`);
  if (hf.activation_function !== undefined && !Object.hasOwn(ACTIVATIONS, hf.activation_function))
    throw fail(
      `activation_function '${String(hf.activation_function)}' is not supported; expected one of ${Object.keys(ACTIVATIONS).join(', ')}`,
    );
  if (hf.layer_norm_epsilon !== undefined && hf.layer_norm_epsilon !== 1e-5)
    throw fail(`layer_norm_epsilon is ${hf.layer_norm_epsilon}; only 1e-5 (GPT-2's) is supported`);
  if (hf.n_inner !== undefined && hf.n_inner !== null && hf.n_inner !== 4 * nEmbd)
    throw fail(`n_inner is ${hf.n_inner}; only 4 * n_embd (${4 * nEmbd}) or null is supported`);
  if (hf.scale_attn_weights === false || hf.scale_attn_by_inverse_layer_idx === true)
    throw fail(
      'only attention scaled by 1/sqrt(head size) is supported (scale_attn_weights true, scale_attn_by_inverse_layer_idx false)',
    );
}

/**
 * The architecture of a GPT-2 state dict (in GPT-2 names): vocabSize and nEmbd from
 * `transformer.wte.weight`, blockSize from `transformer.wpe.weight`, nLayer from the highest
 * block index, nHead from `nHead` or config.json's `n_head` (the weights do not tell it),
 * the GELU from `activation_function`, tying from `tie_word_embeddings` (else: tied unless
 * the file has an `lm_head.weight` that differs from the embedding). Config fields must
 * agree with the tensors.
 *
 * @throws GptError naming the field or tensor that is missing, unsupported or inconsistent.
 *
 * @example gpt2Architecture(tensors, { n_head: 12 }, undefined, 'gpt2/')   // { vocabSize: 50257, nLayer: 12, ... }
 */
export function gpt2Architecture(
  tensors: Readonly<Record<string, Tensor>>,
  hf: Gpt2HfConfig | null,
  nHead: number | undefined,
  where: string,
): Gpt2Architecture {
  const wte = tensors['transformer.wte.weight'];
  const wpe = tensors['transformer.wpe.weight'];
  if (wte?.rank !== 2 || wpe?.rank !== 2)
    throw new GptError(
      `${where}: not a GPT-2 checkpoint: expected transformer.wte.weight [vocab, n_embd] and transformer.wpe.weight [n_positions, n_embd], found ${shown(wte)} and ${shown(wpe)}`,
    );
  const layers = Object.keys(tensors)
    .map((k) => /^transformer\.h\.(\d+)\./.exec(k)?.[1])
    .filter((i) => i !== undefined)
    .map(Number);
  const arch = {
    vocab_size: wte.shape[0],
    n_embd: wte.shape[1],
    n_positions: wpe.shape[0],
    n_layer: layers.length ? Math.max(...layers) + 1 : 0,
  };
  const cfg = hf ?? {};
  for (const [field, value] of Object.entries(arch)) {
    const said = cfg[field];
    if (said !== undefined && said !== value)
      throw new GptError(
        `${where}: config.json has ${field} ${JSON.stringify(said)} but the weights have ${value} (transformer.wte.weight ${shown(wte)}, transformer.wpe.weight ${shown(wpe)}, ${arch.n_layer} blocks)`,
      );
  }
  if (arch.n_layer === 0)
    throw new GptError(`${where}: no transformer.h.{i} blocks in the checkpoint`);
  checkSupported(cfg, where, arch.n_embd);
  const heads = nHead ?? cfg.n_head;
  if (heads === undefined)
    throw new GptError(
      `${where}: the number of attention heads is not in the weights; pass nHead or a config.json with n_head`,
    );
  if (nHead !== undefined && cfg.n_head !== undefined && cfg.n_head !== nHead)
    throw new GptError(
      `${where}: nHead ${nHead} was given but config.json has n_head ${cfg.n_head}`,
    );
  if (!Number.isInteger(heads) || heads < 1 || arch.n_embd % heads !== 0)
    throw new GptError(
      `${where}: n_embd ${arch.n_embd} must be divisible by the number of heads, got ${JSON.stringify(heads)}`,
    );
  const head = tensors['lm_head.weight'];
  return {
    vocabSize: arch.vocab_size,
    nLayer: arch.n_layer,
    nHead: heads,
    nEmbd: arch.n_embd,
    blockSize: arch.n_positions,
    tieEmbeddings:
      typeof cfg.tie_word_embeddings === 'boolean'
        ? cfg.tie_word_embeddings
        : !head || sameTensor(head, wte),
    activation: ACTIVATIONS[cfg.activation_function ?? 'gelu_new'],
  };
}

/**
 * A Hugging Face GPT2Config (config.json) for `cfg`: the fields of `base` (e.g. the
 * config.json a model was loaded with: token ids, names) with the architecture's over them.
 *
 * @example JSON.stringify(gpt2HfConfig(net.cfg), null, 2)
 */
export function gpt2HfConfig(cfg: GptConfig, base: Gpt2HfConfig | null = null): Gpt2HfConfig {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    ...base,
    vocab_size: cfg.vocabSize,
    n_positions: cfg.blockSize,
    n_embd: cfg.nEmbd,
    n_layer: cfg.nLayer,
    n_head: cfg.nHead,
    n_inner: null,
    activation_function: cfg.activation === 'gelu_tanh' ? 'gelu_new' : 'gelu',
    layer_norm_epsilon: 1e-5,
    tie_word_embeddings: cfg.tieEmbeddings === true,
  };
}
