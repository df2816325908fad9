/** Encoder-decoder configurations and the `seq2seq-reverse` / `seq2seq-addition` presets. */
import type { FamilyPreset } from '@genmodels/runtime';
import { Seq2seqModelError } from './errors.js';

/** Which synthetic task of @genmodels/datasets a model is trained and evaluated on. */
export interface Seq2seqTaskSpec {
  name: 'copy' | 'reverse' | 'sort' | 'addition';
  /** copy/reverse/sort: shortest and longest source. */
  minLen?: number;
  maxLen?: number;
  /** copy/reverse/sort: alphabet size (default 10). */
  symbols?: number;
  /** addition: digits per operand. */
  digits?: number;
  /** Share of all sources held out for evaluation (default 0.1). */
  testFraction?: number;
}

/** Architecture and training hyper-parameters of the encoder-decoder Transformer. */
export interface Seq2seqConfig {
  /** Ids in the (shared source/target) vocabulary, PAD = 0, BOS = 1, EOS = 2 included. */
  vocabSize: number;
  dModel: number;
  nHead: number;
  nEncoderLayers: number;
  nDecoderLayers: number;
  /** Hidden width of the ReLU feed-forward sublayers. */
  dFf: number;
  /** Longest source (the encoder's positions). */
  maxSrcLen: number;
  /** Longest decoder sequence: target + 1 (BOS in, EOS out); also the decoding limit. */
  maxTgtLen: number;
  /** AdamW peak learning rate, reached after `warmupSteps`, then cosine decay to `minLr`. */
  lr: number;
  minLr: number;
  warmupSteps: number;
  betas: [number, number];
  /** Decoupled weight decay on parameters of rank >= 2. */
  weightDecay: number;
  /** Global gradient-norm clipping (0: none). */
  gradClip: number;
  batchSize: number;
  /** Training length when the caller gives neither steps nor epochs (also the cosine horizon). */
  steps: number;
}

const base: Seq2seqConfig = {
  vocabSize: 13,
  dModel: 64,
  nHead: 4,
  nEncoderLayers: 2,
  nDecoderLayers: 2,
  dFf: 256,
  maxSrcLen: 10,
  maxTgtLen: 11,
  lr: 1e-3,
  minLr: 1e-4,
  warmupSteps: 200,
  betas: [0.9, 0.98],
  weightDecay: 0.01,
  gradClip: 1,
  batchSize: 64,
  steps: 2000,
};

/** A preset: the config plus the task it trains on. */
export interface Seq2seqPreset extends FamilyPreset<Seq2seqConfig> {
  task: Seq2seqTaskSpec;
}

/** Presets of the reference configs: `seq2seq-reverse` (length 1-10) and `seq2seq-addition` (3 digits). */
export const SEQ2SEQ_PRESETS: Readonly<Record<string, Seq2seqPreset>> = {
  'seq2seq-reverse': {
    name: 'seq2seq-reverse',
    description:
      'encoder-decoder, d_model 64, 2+2 pre-LN layers, 4 heads, FFN 256, sinusoidal positions; reverse 1-10 symbols of 10; AdamW 1e-3, warmup 200 + cosine, batch 64',
    config: { ...base },
    task: { name: 'reverse', minLen: 1, maxLen: 10 },
  },
  'seq2seq-addition': {
    name: 'seq2seq-addition',
    description:
      'encoder-decoder, d_model 64, 2+2 pre-LN layers, 4 heads, FFN 256, sinusoidal positions; 3-digit addition, reversed answer; AdamW 1e-3, warmup 200 + cosine, batch 64',
    config: { ...base, vocabSize: 14, maxSrcLen: 7, maxTgtLen: 5 },
    task: { name: 'addition', digits: 3 },
  },
};

/** The preset `name`, or a Seq2seqModelError listing the known ones. */
export function seq2seqPreset(name: string): Seq2seqPreset {
  const p = SEQ2SEQ_PRESETS[name];
  if (!p)
    throw new Seq2seqModelError(
      `unknown seq2seq preset '${name}'; expected one of ${Object.keys(SEQ2SEQ_PRESETS).join(', ')}`,
    );
  return p;
}

const TASK_NAMES: readonly string[] = ['copy', 'reverse', 'sort', 'addition'];

/** Throws a Seq2seqModelError unless `spec` names a task of @genmodels/datasets. */
export function checkTaskSpec(spec: Seq2seqTaskSpec): void {
  if (!spec || !TASK_NAMES.includes(spec.name))
    throw new Seq2seqModelError(
      `unknown seq2seq task '${String(spec?.name)}'; expected one of ${TASK_NAMES.join(', ')}`,
    );
}

/** A full config from a preset name or a partial config over `seq2seq-reverse`'s; validated. */
export function resolveSeq2seqConfig(c: string | Partial<Seq2seqConfig> = {}): Seq2seqConfig {
  const cfg = typeof c === 'string' ? { ...seq2seqPreset(c).config } : { ...base, ...c };
  for (const k of [
    'vocabSize',
    'dModel',
    'nHead',
    'nEncoderLayers',
    'nDecoderLayers',
    'dFf',
    'maxSrcLen',
    'maxTgtLen',
    'batchSize',
    'steps',
  ] as const) {
    const v = cfg[k];
    if (!Number.isInteger(v) || v < 1)
      throw new Seq2seqModelError(`seq2seq config: ${k} (${String(v)}) must be a positive integer`);
  }
  if (cfg.vocabSize < 4)
    throw new Seq2seqModelError(
      `seq2seq config: vocabSize (${cfg.vocabSize}) must be >= 4 (PAD, BOS, EOS and one symbol)`,
    );
  if (cfg.dModel % cfg.nHead !== 0 || cfg.dModel % 2 !== 0)
    throw new Seq2seqModelError(
      `seq2seq config: dModel (${cfg.dModel}) must be even and divisible by nHead (${cfg.nHead})`,
    );
  for (const k of ['lr', 'minLr', 'weightDecay', 'gradClip', 'warmupSteps'] as const) {
    if (!(cfg[k] >= 0 && Number.isFinite(cfg[k])))
      throw new Seq2seqModelError(`seq2seq config: ${k} (${cfg[k]}) must be a finite number >= 0`);
  }
  if (
    !(Array.isArray(cfg.betas) && cfg.betas.length === 2 && cfg.betas.every((b) => b >= 0 && b < 1))
  )
    throw new Seq2seqModelError(
      `seq2seq config: betas (${JSON.stringify(cfg.betas)}) must be two numbers in [0, 1)`,
    );
  return cfg;
}
