/** Encoder-decoder configurations and the `seq2seq-reverse` / `seq2seq-addition` presets. */
import type { FamilyPreset } from '@genmodels/runtime';
import {
  checkParameterCount,
  linearParameters,
  parseConfig,
  positiveInt,
  z,
} from '@genmodels/runtime/internal';
import { trainingFields } from '../training-fields.js';
import { Seq2seqModelError } from './errors.js';

/** Which synthetic task of @genmodels/datasets a model is trained and evaluated on. */
/**
 * The synthetic task of a seq2seq model, as stored beside its config: checked against this
 * schema when a model directory is read (the task's own constructor checks the ranges that
 * depend on the task's kind). {@link Seq2seqTaskSpec} is derived from it.
 */
export const seq2seqTaskSchema = z.strictObject({
  name: z.enum(['copy', 'reverse', 'sort', 'addition']),
  /** copy/reverse/sort: shortest and longest source. */
  minLen: positiveInt(4096).optional(),
  maxLen: positiveInt(4096).optional(),
  /** copy/reverse/sort: alphabet size (default 10). */
  symbols: positiveInt(1 << 16).optional(),
  /** addition: digits per operand. */
  digits: positiveInt(9).optional(),
  /** Share of all sources held out for evaluation (default 0.1). */
  testFraction: z.number().min(0).lt(1).optional(),
});

/** A seq2seq task (see {@link seq2seqTaskSchema}). */
export type Seq2seqTaskSpec = z.infer<typeof seq2seqTaskSchema>;

/**
 * The seq2seq config's schema (architecture and training hyper-parameters of the
 * encoder-decoder Transformer): every config (given to `create`, or read from a model
 * directory) is checked against it before a network is built. {@link Seq2seqConfig} is
 * derived from it.
 */
export const seq2seqConfigSchema = z.strictObject({
  /** Ids in the (shared source/target) vocabulary, PAD = 0, BOS = 1, EOS = 2 included (>= 4). */
  vocabSize: positiveInt(1 << 20),
  /** Model width: even and a multiple of nHead. */
  dModel: positiveInt(65536),
  nHead: positiveInt(1024),
  nEncoderLayers: positiveInt(1024),
  nDecoderLayers: positiveInt(1024),
  /** Hidden width of the ReLU feed-forward sublayers. */
  dFf: positiveInt(1 << 18),
  /** Longest source (the encoder's positions). */
  maxSrcLen: positiveInt(65536),
  /** Longest decoder sequence: target + 1 (BOS in, EOS out); also the decoding limit. */
  maxTgtLen: positiveInt(65536),
  ...trainingFields,
});

/** A seq2seq model's config (see {@link seq2seqConfigSchema} for each field and its range). */
export type Seq2seqConfig = z.infer<typeof seq2seqConfigSchema>;

/**
 * The most values of the sinusoidal position table (max(maxSrcLen, maxTgtLen) x dModel,
 * float32, built with the network but not a parameter): 2^26, 256 MiB.
 */
export const MAX_POSITION_TABLE = 2 ** 26;

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
  const p = Object.hasOwn(SEQ2SEQ_PRESETS, name) ? SEQ2SEQ_PRESETS[name] : undefined;
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

const fail = (m: string) => new Seq2seqModelError(m);

/** A full config from a preset name or a partial config over `seq2seq-reverse`'s; validated. */
export function resolveSeq2seqConfig(c: string | Partial<Seq2seqConfig> = {}): Seq2seqConfig {
  let given: unknown;
  if (typeof c === 'string') given = seq2seqPreset(c).config;
  else {
    // A stored config can be any JSON value: only an object is merged over the defaults.
    parseConfig(z.looseObject({}), c, 'seq2seq', fail);
    given = { ...base, ...c };
  }
  // The schema's output is a fresh object (with fresh `betas`): a preset is never shared.
  const cfg = parseConfig(seq2seqConfigSchema, given, 'seq2seq', fail);
  if (cfg.vocabSize < 4)
    throw fail(
      `seq2seq config: vocabSize (${cfg.vocabSize}) must be >= 4 (PAD, BOS, EOS and one symbol)`,
    );
  if (cfg.dModel % cfg.nHead !== 0 || cfg.dModel % 2 !== 0)
    throw fail(
      `seq2seq config: dModel (${cfg.dModel}) must be even and divisible by nHead (${cfg.nHead})`,
    );
  checkParameterCount(seq2seqParameterCount(cfg), 'seq2seq', fail);
  const table = Math.max(cfg.maxSrcLen, cfg.maxTgtLen) * cfg.dModel;
  if (table > MAX_POSITION_TABLE)
    throw fail(
      `seq2seq config: the position table of max(maxSrcLen, maxTgtLen) x dModel = ${table} values is over the limit of ${MAX_POSITION_TABLE}; shorten the sequences or narrow the model`,
    );
  return cfg;
}

/** Parameter values of a MultiheadAttention of width `d`: in_proj 3d x d + 3d, out_proj d x d + d. */
function attentionParameters(d: number): number {
  return 3 * d * d + 3 * d + linearParameters(d, d);
}

/**
 * The number of parameter values of the network of `cfg` (what `Seq2seqNetwork`
 * allocates): the source and target embeddings, the encoder layers (self-attention, FFN,
 * two LayerNorms), the decoder layers (self- and cross-attention, FFN, three LayerNorms),
 * the final LayerNorm of each side and the generator. The sinusoidal position table is a
 * constant, not a parameter.
 */
export function seq2seqParameterCount(cfg: Seq2seqConfig): number {
  const d = cfg.dModel;
  const ffn = linearParameters(d, cfg.dFf) + linearParameters(cfg.dFf, d);
  const encoderLayer = attentionParameters(d) + ffn + 2 * (2 * d);
  const decoderLayer = 2 * attentionParameters(d) + ffn + 3 * (2 * d);
  return (
    2 * cfg.vocabSize * d + // src_embed, tgt_embed
    cfg.nEncoderLayers * encoderLayer +
    2 * d + // encoder.norm
    cfg.nDecoderLayers * decoderLayer +
    2 * d + // decoder.norm
    linearParameters(d, cfg.vocabSize) // generator
  );
}
