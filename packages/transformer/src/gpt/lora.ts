/**
 * LoRA fine-tuning of a GptNetwork through the runtime's adapters (`addLora`): which
 * weights get adapters by default, and the options a GPT takes.
 */
import {
  addLora,
  encodeLoraAdapters,
  type LoraAdapters,
  type LoraFileData,
  Rng,
  saveLoraAdapters,
} from '@genmodels/runtime';
import { GptError } from './errors.js';
import { gpt2Format } from './gpt2-format.js';
import type { GptNetwork } from './network.js';

export type { LoraAdapters };

/**
 * Default LoRA targets: GPT-2's `c_attn` (the fused q, k, v projection), our
 * `h.{i}.attn.in_proj_weight`, as PEFT's default for GPT-2.
 */
export const GPT_LORA_TARGETS: readonly (string | RegExp)[] = [/^h\.\d+\.attn\.in_proj_weight$/];

/** Options of `GPT.addLora`. */
export interface GptLoraOptions {
  /** Rank r of the adapters (default 8). */
  rank?: number;
  /** Scale alpha (the update is alpha / r * B A; default: the rank, i.e. scale 1). */
  alpha?: number;
  /** Dropout on the adapters' input (default 0). */
  dropout?: number;
  /** Weights (state-dict keys or patterns) that get adapters (default {@link GPT_LORA_TARGETS}). */
  targets?: readonly (string | RegExp)[];
  /** Seeds the adapters' initialization (default 0). */
  seed?: number;
}

/** Adapters on `net` (see {@link GptLoraOptions}); a bad rank is a GptError. */
export function startLora(net: GptNetwork, opts: GptLoraOptions = {}): LoraAdapters {
  const rank = opts.rank ?? 8;
  if (!(Number.isInteger(rank) && rank >= 1))
    throw new GptError(`LoRA rank (${rank}) must be a positive integer`);
  return addLora(net, {
    rank,
    alpha: opts.alpha ?? rank,
    dropout: opts.dropout ?? 0,
    targets: [...(opts.targets ?? GPT_LORA_TARGETS)],
    rng: new Rng(opts.seed ?? 0),
  });
}

/**
 * The adapters of a GPT-2 model in PEFT's files (`adapter_model.safetensors` keys such as
 * `base_model.model.transformer.h.0.attn.c_attn.lora_A.weight`, and `adapter_config.json`
 * with `fan_in_fan_out` true for GPT-2's Conv1D layers), so PEFT's
 * `PeftModel.from_pretrained(gpt2, dir)` reads them. Browsers: these bytes; Node.js:
 * {@link saveGpt2LoraAdapters}.
 */
export function gpt2LoraFiles(
  net: GptNetwork,
  adapters: LoraAdapters,
  baseModel?: string,
): LoraFileData {
  return encodeLoraAdapters(adapters, {
    format: gpt2Format(net.cfg.tieEmbeddings ?? false),
    taskType: 'CAUSAL_LM',
    baseModel,
  });
}

/** Write {@link gpt2LoraFiles} into `dir` (created; each file written atomically). */
export function saveGpt2LoraAdapters(
  dir: string,
  net: GptNetwork,
  adapters: LoraAdapters,
  baseModel?: string,
): Promise<void> {
  return saveLoraAdapters(dir, adapters, {
    format: gpt2Format(net.cfg.tieEmbeddings ?? false),
    taskType: 'CAUSAL_LM',
    baseModel,
  });
}
