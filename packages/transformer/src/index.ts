/**
 * @genmodels/transformer: a decoder-only character GPT with KV-cache generation and an
 * encoder-decoder Transformer for seq2seq tasks, trained with @genmodels/runtime.
 */

// The runtime's essentials, so an app that installs only this package (pnpm's strict
// node_modules included) can import `Runtime`, `Tensor` and `Rng` from it.
export type { RuntimeOptions } from '@genmodels/runtime';
export { Rng, Runtime, Tensor } from '@genmodels/runtime';
export { TRANSFORMER_PRESETS, transformerFamily } from './family.js';
export type {
  GenerateOptions,
  GenerateResult,
  GptConfig,
  GptCorpus,
  GptEvalOptions,
  GptFitOptions,
  GptMetrics,
  GptOutput,
  GptStored,
  SamplingOptions,
  ScoredWindow,
  TokenizedCorpus,
} from './gpt/index.js';
export {
  CORPUS_MAX_BYTES,
  corpusFromText,
  decoderInputs,
  GPT,
  GPT_CONFIG_FILE,
  GPT_MODEL_FILE,
  GPT_PARTS,
  GPT_PRESETS,
  GptBlock,
  GptError,
  GptMlp,
  GptNetwork,
  gptConfigSchema,
  gptParameterCount,
  loadGpt,
  pickToken,
  readCorpus,
  resolveGptConfig,
  scoringWindows,
  trainGpt,
  Vocabulary,
} from './gpt/index.js';
export type {
  BeamOptions,
  Hypothesis,
  NextTokenFn,
  Seq2seqConfig,
  Seq2seqDecodeOptions,
  Seq2seqEvalOptions,
  Seq2seqFitOptions,
  Seq2seqMetrics,
  Seq2seqPart,
  Seq2seqPreset,
  Seq2seqStored,
  Seq2seqTaskSpec,
} from './seq2seq/index.js';
export {
  beamDecode,
  beamScore,
  checkTaskSpec,
  Decoder,
  DecoderLayer,
  Encoder,
  EncoderLayer,
  greedyDecode,
  loadSeq2seq,
  resolveSeq2seqConfig,
  SEQ2SEQ_CONFIG_FILE,
  SEQ2SEQ_EPOCH_STEPS,
  SEQ2SEQ_MODEL_FILE,
  SEQ2SEQ_PARTS,
  SEQ2SEQ_PRESETS,
  Seq2seq,
  Seq2seqModelError,
  Seq2seqNetwork,
  seq2seqConfigSchema,
  seq2seqParameterCount,
  seq2seqPreset,
  seq2seqTaskSchema,
  sinusoidalTable,
  TokenText,
  trainSeq2seq,
} from './seq2seq/index.js';
