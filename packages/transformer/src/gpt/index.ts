/** The decoder-only character GPT of @genmodels/transformer. */
export type { GptConfig } from './config.js';
export { GPT_PRESETS, gptConfigSchema, gptParameterCount, resolveGptConfig } from './config.js';
export type { GptCorpus, ScoredWindow, TokenizedCorpus } from './data.js';
export {
  CORPUS_MAX_BYTES,
  corpusFromText,
  readCorpus,
  scoringWindows,
  tokenizeCorpus,
} from './data.js';
export { decoderInputs } from './decoder.js';
export { GptError } from './errors.js';
export type { GenerateOptions, GenerateResult } from './generate.js';
export type { GptEvalOptions, GptFitOptions, GptMetrics } from './gpt.js';
export { FINETUNE_LR, GPT, GPT_FINETUNE_DEFAULTS } from './gpt.js';
export type { Gpt2Architecture, Gpt2HfConfig } from './gpt2-format.js';
export {
  GPT2_FORMAT,
  GPT2_UNTIED_FORMAT,
  gpt2Architecture,
  gpt2Format,
  gpt2HfConfig,
} from './gpt2-format.js';
export type { Gpt2Directory, Gpt2LoadOptions, Gpt2Model, Gpt2SaveOptions } from './gpt2-io.js';
export {
  encodeGpt2Files,
  gpt2Network,
  gpt2StateDict,
  gpt2TokenizerFiles,
  readGpt2,
  writeGpt2Dir,
} from './gpt2-io.js';
export type { GptStored } from './io.js';
export { GPT_CONFIG_FILE, GPT_MODEL_FILE, GPT_PARTS } from './io.js';
export type { GptLoraOptions, LoraAdapters } from './lora.js';
export { GPT_LORA_TARGETS, gpt2LoraFiles, saveGpt2LoraAdapters } from './lora.js';
export type { GptOutput } from './network.js';
export { GptBlock, GptMlp, GptNetwork } from './network.js';
export type { SamplingOptions } from './sampling.js';
export { pickToken } from './sampling.js';
export type { GptTokenizer } from './tokenizer.js';
export { loadGpt, trainGpt } from './train.js';
export { Vocabulary } from './vocab.js';
