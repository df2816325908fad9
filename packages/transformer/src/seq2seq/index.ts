/** The encoder-decoder Transformer for seq2seq tasks of @genmodels/transformer. */
export type { Seq2seqConfig, Seq2seqPreset, Seq2seqTaskSpec } from './config.js';
export {
  checkTaskSpec,
  resolveSeq2seqConfig,
  SEQ2SEQ_PRESETS,
  seq2seqConfigSchema,
  seq2seqParameterCount,
  seq2seqPreset,
  seq2seqTaskSchema,
} from './config.js';
export type { BeamOptions, Hypothesis, NextTokenFn } from './decode.js';
export { beamDecode, beamScore, greedyDecode } from './decode.js';
export { Seq2seqModelError } from './errors.js';
export type { Seq2seqPart } from './graphs.js';
export { SEQ2SEQ_PARTS } from './graphs.js';
export type { Seq2seqStored } from './io.js';
export { SEQ2SEQ_CONFIG_FILE, SEQ2SEQ_MODEL_FILE } from './io.js';
export { Decoder, DecoderLayer, Encoder, EncoderLayer, Seq2seqNetwork } from './network.js';
export { sinusoidalTable } from './positional.js';
export type {
  Seq2seqDecodeOptions,
  Seq2seqEvalOptions,
  Seq2seqFitOptions,
  Seq2seqMetrics,
} from './seq2seq.js';
export { Seq2seq } from './seq2seq.js';
export { TokenText } from './task.js';
export { loadSeq2seq, SEQ2SEQ_EPOCH_STEPS, trainSeq2seq } from './train.js';
