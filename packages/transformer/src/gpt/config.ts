/** GPT configurations and the `shakespeare-char` preset of the reference configs. */
import type { FamilyPreset } from '@genmodels/runtime';
import { GptError } from './errors.js';

/** Architecture and training hyper-parameters of a decoder-only character GPT. */
export interface GptConfig {
  /** Tokens in the vocabulary (set from the corpus when training starts). */
  vocabSize: number;
  nLayer: number;
  nHead: number;
  /** Width of the residual stream; a multiple of nHead. */
  nEmbd: number;
  /** Longest context (learned positions 0..blockSize-1). */
  blockSize: number;
  /** AdamW peak learning rate, reached after `warmupSteps`, then cosine decay to `minLr`. */
  lr: number;
  minLr: number;
  warmupSteps: number;
  betas: [number, number];
  /** Decoupled weight decay on every parameter of rank >= 2 (matrices and embeddings). */
  weightDecay: number;
  /** Global gradient-norm clipping. */
  gradClip: number;
  batchSize: number;
  /** Training length when the caller gives neither steps nor epochs (also the cosine horizon). */
  steps: number;
}

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

/** A full config from a preset name or a partial config over `shakespeare-char`'s; validated. */
export function resolveGptConfig(c: string | Partial<GptConfig> = {}): GptConfig {
  let cfg: GptConfig;
  if (typeof c === 'string') {
    const p = GPT_PRESETS[c];
    if (!p)
      throw new GptError(
        `unknown GPT preset '${c}'; expected one of ${Object.keys(GPT_PRESETS).join(', ')}`,
      );
    cfg = { ...p.config };
  } else cfg = { ...base, ...c };
  for (const k of [
    'vocabSize',
    'nLayer',
    'nHead',
    'nEmbd',
    'blockSize',
    'batchSize',
    'steps',
  ] as const) {
    const v = cfg[k];
    if (!Number.isInteger(v) || v < 1)
      throw new GptError(`GPT config: ${k} (${String(v)}) must be a positive integer`);
  }
  if (cfg.nEmbd % cfg.nHead !== 0)
    throw new GptError(
      `GPT config: nEmbd (${cfg.nEmbd}) must be divisible by nHead (${cfg.nHead})`,
    );
  for (const k of ['lr', 'minLr', 'weightDecay', 'gradClip', 'warmupSteps'] as const) {
    if (!(cfg[k] >= 0 && Number.isFinite(cfg[k])))
      throw new GptError(`GPT config: ${k} (${cfg[k]}) must be a finite number >= 0`);
  }
  if (
    !(Array.isArray(cfg.betas) && cfg.betas.length === 2 && cfg.betas.every((b) => b >= 0 && b < 1))
  )
    throw new GptError(
      `GPT config: betas (${JSON.stringify(cfg.betas)}) must be two numbers in [0, 1)`,
    );
  return cfg;
}
