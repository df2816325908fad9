/**
 * model.safetensors + config.json with the vocabulary (a directory on Node.js, or the same
 * files as bytes anywhere), and ONNX export.
 */
import {
  describeModelSource,
  encodeModelFiles,
  encodeOnnx,
  type ModelDirFiles,
  type ModelSource,
  type ReadModelDirOptions,
  writeModelDir,
} from '@genmodels/runtime';
import { type GptConfig, resolveGptConfig } from './config.js';
import { decoderFn, decoderInputs } from './decoder.js';
import { GptError } from './errors.js';
import type { GptNetwork } from './network.js';

/** The checkpoint's file name inside a model directory. */
export const GPT_MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const GPT_CONFIG_FILE = 'config.json';
/** Exportable parts, the default first. */
export const GPT_PARTS = ['decoder'] as const;

/** What config.json (and the checkpoint's metadata) hold. */
export interface GptStored {
  family: 'transformer';
  /** Tells a GPT directory from the family's other models. */
  model: 'gpt';
  preset: string;
  config: GptConfig;
  /** id -> character. */
  vocab: string[];
  /** The training corpus file (a path, or a URL in browsers), if the model was trained on one (evaluate() reads it). */
  corpus: string | null;
}

const fail = (m: string) => new GptError(m);

/** How `readModelDir` reads a GPT (the family's loader too: a missing model is named a GPT). */
export const GPT_READ: ReadModelDirOptions = { family: 'transformer', label: 'GPT', fail };

/** The state dict (PyTorch keys, family 'transformer', stored config in metadata) and config.json, as bytes and text. */
export function gptFiles(net: GptNetwork, stored: GptStored): ModelDirFiles {
  return encodeModelFiles(net, stored, { fail });
}

/** Write {@link gptFiles} into `dir` (Node.js). */
export async function writeGpt(dir: string, net: GptNetwork, stored: GptStored): Promise<void> {
  await writeModelDir(dir, net, stored, { fail });
}

/** Check what a checkpoint read from `source` stores for a GPT, with defaults filled in. */
export function checkGptStored(stored: Partial<GptStored> | null, source: ModelSource): GptStored {
  const where = describeModelSource(source);
  if (stored?.model !== 'gpt')
    throw new GptError(
      `${where} holds a transformer of kind '${String(stored?.model)}', not a GPT`,
    );
  if (!stored.config || !Array.isArray(stored.vocab))
    throw new GptError(`${where}: the GPT config or its vocabulary is missing`);
  const config = resolveGptConfig(stored.config);
  if (stored.vocab.length !== config.vocabSize)
    throw new GptError(
      `${where}: the vocabulary has ${stored.vocab.length} characters but vocabSize is ${config.vocabSize}`,
    );
  return {
    family: 'transformer',
    model: 'gpt',
    preset: stored.preset ?? 'custom',
    config,
    vocab: stored.vocab,
    corpus: stored.corpus ?? null,
  };
}

/** `part` ('decoder': the KV-cache decoder, see decoder.ts) as an ONNX model's bytes. */
export function gptOnnx(net: GptNetwork, stored: GptStored, part: string): Uint8Array {
  if (part !== 'decoder')
    throw new GptError(`unknown GPT part '${part}'; expected one of ${GPT_PARTS.join(', ')}`);
  return encodeOnnx(net, decoderInputs(net.cfg), decoderFn(net), {
    name: 'gpt_decoder',
    config: { ...stored, part },
    metadata: { 'genmodels.vocab': JSON.stringify(stored.vocab) },
  });
}
