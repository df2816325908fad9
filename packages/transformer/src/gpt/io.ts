/**
 * model.safetensors + config.json with the vocabulary (a directory on Node.js, or the same
 * files as bytes anywhere), and ONNX export.
 */
import { encodeOnnx, type ModelSource, Rng } from '@genmodels/runtime';
import { describeModelSource, FamilyStore } from '@genmodels/runtime/internal';
import { type GptConfig, gptParameterCount, resolveGptConfig } from './config.js';
import { decoderFn, decoderInputs } from './decoder.js';
import { GptError } from './errors.js';
import { GptNetwork } from './network.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE as GPT_CONFIG_FILE, MODEL_FILE as GPT_MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first. */
export const GPT_PARTS = ['decoder'] as const;

/** What a GPT stores beside its preset and config. */
export interface GptFields {
  /** Tells a GPT directory from the family's other models. */
  model: 'gpt';
  /** id -> character. */
  vocab: string[];
  /** The training corpus file (a path, or a URL in browsers), if the model was trained on one (evaluate() reads it). */
  corpus: string | null;
}

/** What config.json (and the checkpoint's metadata) hold. */
export interface GptStored extends GptFields {
  family: 'transformer';
  preset: string;
  config: GptConfig;
}

/** A GPT's model directory: family 'transformer', model 'gpt', the vocabulary and corpus beside the config. */
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
    if (!Array.isArray(stored.vocab))
      throw new GptError(`${where}: the GPT config or its vocabulary is missing`);
    const corpus = typeof stored.corpus === 'string' ? stored.corpus : null;
    return { model: 'gpt', vocab: stored.vocab as string[], corpus };
  },
});

/** A loaded vocabulary must have one character per id of the config (the error names `source`). */
export function checkVocab(vocab: readonly string[], cfg: GptConfig, source: ModelSource): void {
  if (vocab.length !== cfg.vocabSize)
    throw new GptError(
      `${describeModelSource(source)}: the vocabulary has ${vocab.length} characters but vocabSize is ${cfg.vocabSize}`,
    );
}

/** `part` (checked by the caller; 'decoder': the KV-cache decoder, see decoder.ts) as an ONNX model's bytes. */
export function gptOnnx(net: GptNetwork, stored: GptStored, part: string): Uint8Array {
  return encodeOnnx(net, decoderInputs(net.cfg), decoderFn(net), {
    name: 'gpt_decoder',
    config: { ...stored, part },
    metadata: { 'genmodels.vocab': JSON.stringify(stored.vocab) },
  });
}
