/** model.safetensors + config.json (with the vocabulary) in a directory, and ONNX export. */
import { join } from 'node:path';
import { exportOnnx, readModelDir, type Tensor, writeModelDir } from '@genmodels/runtime';
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
  /** The training corpus file, if the model was trained on one (evaluate() reads it). */
  corpus: string | null;
}

/** Write the state dict (PyTorch keys, family 'transformer', stored config in metadata) and config.json. */
export async function writeGpt(dir: string, net: GptNetwork, stored: GptStored): Promise<void> {
  await writeModelDir(dir, net, stored, { fail: (m) => new GptError(m) });
}

/** Read a directory written by `writeGpt`; another family's checkpoint is a CheckpointError. */
export async function readGpt(
  dir: string,
): Promise<{ stored: GptStored; stateDict: Record<string, Tensor> }> {
  const { stored, stateDict } = await readModelDir<GptStored>(dir, {
    family: 'transformer',
    label: 'GPT',
    fail: (m) => new GptError(m),
  });
  if (stored?.model !== 'gpt')
    throw new GptError(
      `'${dir}' holds a transformer of kind '${String(stored?.model)}', not a GPT`,
    );
  if (!stored.config || !Array.isArray(stored.vocab))
    throw new GptError(`'${dir}': the GPT config or its vocabulary is missing`);
  const config = resolveGptConfig(stored.config);
  if (stored.vocab.length !== config.vocabSize)
    throw new GptError(
      `'${dir}': the vocabulary has ${stored.vocab.length} characters but vocabSize is ${config.vocabSize}`,
    );
  return {
    stored: {
      family: 'transformer',
      model: 'gpt',
      preset: stored.preset ?? 'custom',
      config,
      vocab: stored.vocab,
      corpus: stored.corpus ?? null,
    },
    stateDict,
  };
}

function ioError(what: string, e: unknown): never {
  if (e instanceof Error && 'code' in e) throw new GptError(`${what}: ${e.message}`);
  throw e;
}

/** Export `part` ('decoder': the KV-cache decoder, see decoder.ts) to `path`. */
export async function exportGpt(
  net: GptNetwork,
  stored: GptStored,
  path: string,
  part: string,
): Promise<void> {
  if (part !== 'decoder')
    throw new GptError(`unknown GPT part '${part}'; expected one of ${GPT_PARTS.join(', ')}`);
  try {
    await exportOnnx(path, net, decoderInputs(net.cfg), decoderFn(net), {
      name: 'gpt_decoder',
      config: { ...stored, part },
      metadata: { 'genmodels.vocab': JSON.stringify(stored.vocab) },
    });
  } catch (e) {
    ioError(`cannot write '${path}'`, e);
  }
}
