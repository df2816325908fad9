/**
 * model.safetensors + config.json with the vocabulary (a directory on Node.js, or the same
 * files as bytes anywhere), and ONNX export.
 */
import { encodeOnnx, type ModelSource, Rng } from '@genmodels/runtime';
import { describeModelSource, FamilyStore } from '@genmodels/runtime/internal';
import type { BpeTokenizerJSON } from '../bpe/index.js';
import { type GptConfig, gptParameterCount, resolveGptConfig } from './config.js';
import { decoderFn, decoderInputs } from './decoder.js';
import { GptError } from './errors.js';
import { GptNetwork } from './network.js';
import { checkTokenizerSize, type GptTokenizer, loadTokenizer } from './tokenizer.js';
import { Vocabulary } from './vocab.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE as GPT_CONFIG_FILE, MODEL_FILE as GPT_MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first. */
export const GPT_PARTS = ['decoder'] as const;

/** What a GPT stores beside its preset and config. */
export interface GptFields {
  /** Tells a GPT directory from the family's other models. */
  model: 'gpt';
  /** id -> character (a character GPT). */
  vocab?: string[];
  /** The byte-level BPE tokenizer (a GPT read from a GPT-2 directory); `vocab` is then absent. */
  tokenizer?: BpeTokenizerJSON;
  /** The training corpus file (a path, or a URL in browsers), if the model was trained on one (evaluate() reads it). */
  corpus: string | null;
}

/** What config.json (and the checkpoint's metadata) hold. */
export interface GptStored extends GptFields {
  family: 'transformer';
  preset: string;
  config: GptConfig;
}

/** A GPT's model directory: family 'transformer', model 'gpt', the vocabulary or tokenizer and corpus beside the config. */
export const gptStore = new FamilyStore<GptConfig, GptNetwork, GptFields>({
  family: 'transformer',
  label: 'GPT',
  fail: (m) => new GptError(m),
  resolve: resolveGptConfig,
  build: (cfg) => new GptNetwork(cfg, new Rng(0)),
  parameters: gptParameterCount,
  fields: (stored, where) => {
    if (stored.model !== 'gpt')
      throw new GptError(
        `${where} holds a transformer of kind '${String(stored.model)}', not a GPT`,
      );
    const corpus = typeof stored.corpus === 'string' ? stored.corpus : null;
    if (stored.tokenizer !== undefined)
      return { model: 'gpt', tokenizer: stored.tokenizer as BpeTokenizerJSON, corpus };
    if (!Array.isArray(stored.vocab))
      throw new GptError(`${where}: the GPT config or its vocabulary is missing`);
    return { model: 'gpt', vocab: stored.vocab as string[], corpus };
  },
});

/** The tokenizer of loaded fields; it must fit the config's vocabSize (the error names `source`). */
export function storedTokenizer(
  fields: GptFields,
  cfg: GptConfig,
  source: ModelSource,
): GptTokenizer {
  const where = describeModelSource(source);
  const tok = loadTokenizer(fields as unknown as Record<string, unknown>, where);
  if (tok instanceof Vocabulary && tok.size !== cfg.vocabSize)
    throw new GptError(
      `${where}: the vocabulary has ${tok.size} characters but vocabSize is ${cfg.vocabSize}`,
    );
  checkTokenizerSize(tok, cfg.vocabSize, where);
  return tok;
}

/** `part` (checked by the caller; 'decoder': the KV-cache decoder, see decoder.ts) as an ONNX model's bytes. */
export function gptOnnx(net: GptNetwork, stored: GptStored, part: string): Uint8Array {
  return encodeOnnx(net, decoderInputs(net.cfg), decoderFn(net), {
    name: 'gpt_decoder',
    config: { ...stored, part },
    metadata: stored.tokenizer
      ? { 'genmodels.tokenizer': JSON.stringify(stored.tokenizer) }
      : { 'genmodels.vocab': JSON.stringify(stored.vocab) },
  });
}
