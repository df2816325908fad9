/**
 * @genmodels/transformer: a decoder-only character GPT with KV-cache generation and an
 * encoder-decoder Transformer for seq2seq tasks, trained with @genmodels/runtime.
 */
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
} from './gpt/index.js';
export {
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
  loadGpt,
  pickToken,
  readCorpus,
  resolveGptConfig,
  scoringWindows,
  trainGpt,
  Vocabulary,
} from './gpt/index.js';
