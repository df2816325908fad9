/**
 * LoRA fine-tuning of a GptNetwork through the runtime's adapters (`addLora`): which
 * weights get adapters by default, and the options a GPT takes.
 */
import { addLora, type LoraAdapters, Rng } from '@genmodels/runtime';
import { GptError } from './errors.js';
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
