/** GPT configurations and the `shakespeare-char` preset of the reference configs. */
import type { FamilyPreset } from '@genmodels/runtime';
import {
  checkParameterCount,
  linearParameters,
  parseConfig,
  positiveInt,
  z,
} from '@genmodels/runtime/internal';
import { trainingFields } from '../training-fields.js';
import { GptError } from './errors.js';

/**
 * The GPT config's schema (architecture and training hyper-parameters of a decoder-only
 * character GPT): every config (given to `create`, or read from a model directory) is
 * checked against it before a network is built. {@link GptConfig} is derived from it.
 */
export const gptConfigSchema = z.strictObject({
  /** Tokens in the vocabulary (set from the corpus when training starts). */
  vocabSize: positiveInt(1 << 20),
  nLayer: positiveInt(1024),
  nHead: positiveInt(1024),
  /** Width of the residual stream; a multiple of nHead. */
  nEmbd: positiveInt(65536),
  /** Longest context (learned positions 0..blockSize-1). */
  blockSize: positiveInt(65536),
  /**
   * The LM head shares the token embedding's weight (one parameter, as GPT-2's `lm_head`);
   * absent or false: an untied head of its own.
   */
  tieEmbeddings: z.boolean().optional(),
  /**
   * The MLP's GELU: 'gelu' (exact, erf; the default when absent) or 'gelu_tanh' (the tanh
   * approximation, GPT-2's `gelu_new`).
   */
  activation: z.enum(['gelu', 'gelu_tanh']).optional(),
  ...trainingFields,
});

/** A GPT's config (see {@link gptConfigSchema} for each field and its range). */
export type GptConfig = z.infer<typeof gptConfigSchema>;

const base: GptConfig = {
  vocabSize: 65,
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  blockSize: 128,
  lr: 1e-3,
  minLr: 1e-4,
  warmupSteps: 100,
  betas: [0.9, 0.99],
  weightDecay: 0.1,
  gradClip: 1,
  batchSize: 32,
  steps: 3000,
};

/** Presets: `shakespeare-char` (4 layers, 4 heads, 128 wide, context 128). */
export const GPT_PRESETS: Readonly<Record<string, FamilyPreset<GptConfig>>> = {
  'shakespeare-char': {
    name: 'shakespeare-char',
    description:
      'character GPT: 4 layers, 4 heads, n_embd 128, block 128, pre-LayerNorm, GELU MLP 4x; AdamW 1e-3 (0.9, 0.99), wd 0.1, 100 warmup + cosine, batch 32, clip 1.0',
    config: { ...base },
  },
};

const fail = (m: string) => new GptError(m);

/** A full config from a preset name or a partial config over `shakespeare-char`'s; validated. */
export function resolveGptConfig(c: string | Partial<GptConfig> = {}): GptConfig {
  let given: unknown;
  if (typeof c === 'string') {
    const p = Object.hasOwn(GPT_PRESETS, c) ? GPT_PRESETS[c] : undefined;
    if (!p)
      throw new GptError(
        `unknown GPT preset '${c}'; expected one of ${Object.keys(GPT_PRESETS).join(', ')}`,
      );
    given = p.config;
  } else {
    // A stored config can be any JSON value: only an object is merged over the defaults.
    parseConfig(z.looseObject({}), c, 'GPT', fail);
    given = { ...base, ...c };
  }
  // The schema's output is a fresh object (with fresh `betas`): a preset is never shared.
  const cfg = parseConfig(gptConfigSchema, given, 'GPT', fail);
  if (cfg.nEmbd % cfg.nHead !== 0)
    throw fail(`GPT config: nEmbd (${cfg.nEmbd}) must be divisible by nHead (${cfg.nHead})`);
  checkParameterCount(gptParameterCount(cfg), 'GPT', fail);
  return cfg;
}

/**
 * The number of parameter values of the network of `cfg` (what `GptNetwork` allocates):
 * token and position embeddings, per block two LayerNorms, the attention (in_proj 3E x E +
 * 3E, out_proj E x E + E) and the MLP (E -> 4E -> E), the final LayerNorm and the LM head
 * (none of its own when tied to the token embedding).
 */
export function gptParameterCount(cfg: GptConfig): number {
  const E = cfg.nEmbd;
  const block =
    2 * (2 * E) + // ln_1, ln_2
    3 * E * E +
    3 * E + // attn in_proj
    linearParameters(E, E) + // attn out_proj
    linearParameters(E, 4 * E) + // mlp c_fc
    linearParameters(4 * E, E); // mlp c_proj
  return (
    cfg.vocabSize * E + // wte
    cfg.blockSize * E + // wpe
    cfg.nLayer * block +
    2 * E + // ln_f
    (cfg.tieEmbeddings ? 0 : linearParameters(E, cfg.vocabSize, false)) // lm_head
  );
}
