/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the graphs.
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
import { resolveSeq2seqConfig, type Seq2seqConfig, type Seq2seqTaskSpec } from './config.js';
import { Seq2seqModelError } from './errors.js';
import { checkPart, partFn, partInputs } from './graphs.js';
import type { Seq2seqNetwork } from './network.js';

/** The checkpoint's file name inside a model directory. */
export const SEQ2SEQ_MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const SEQ2SEQ_CONFIG_FILE = 'config.json';

/** What config.json (and the checkpoint's metadata) hold. */
export interface Seq2seqStored {
  family: 'transformer';
  /** Tells a seq2seq directory from the family's other models ('gpt'). */
  model: 'seq2seq';
  preset: string;
  task: Seq2seqTaskSpec;
  config: Seq2seqConfig;
  /** Display string of each id (PAD, BOS, EOS first). */
  tokens: string[];
}

const fail = (m: string) => new Seq2seqModelError(m);

/** How `readModelDir` reads a seq2seq model. */
export const SEQ2SEQ_READ: ReadModelDirOptions = {
  family: 'transformer',
  label: 'seq2seq',
  trainHint: 'genmodels train transformer --preset seq2seq-reverse',
  fail,
};

/** The state dict (family 'transformer', stored config in metadata) and config.json, as bytes and text. */
export function seq2seqFiles(net: Seq2seqNetwork, stored: Seq2seqStored): ModelDirFiles {
  return encodeModelFiles(net, stored, { fail });
}

/** Write {@link seq2seqFiles} into `dir` (Node.js). */
export async function writeSeq2seq(
  dir: string,
  net: Seq2seqNetwork,
  stored: Seq2seqStored,
): Promise<void> {
  await writeModelDir(dir, net, stored, { fail });
}

/** Check what a checkpoint read from `source` stores for a seq2seq model, with defaults filled in. */
export function checkSeq2seqStored(
  stored: Partial<Seq2seqStored> | null,
  source: ModelSource,
): Seq2seqStored {
  const where = describeModelSource(source);
  if (stored?.model !== 'seq2seq')
    throw new Seq2seqModelError(
      `${where} holds a transformer of kind '${String(stored?.model)}', not a seq2seq model`,
    );
  if (!stored.config || !stored.task || !Array.isArray(stored.tokens))
    throw new Seq2seqModelError(`${where}: the seq2seq config, task or token list is missing`);
  const config = resolveSeq2seqConfig(stored.config);
  if (stored.tokens.length !== config.vocabSize)
    throw new Seq2seqModelError(
      `${where}: the token list has ${stored.tokens.length} entries but vocabSize is ${config.vocabSize}`,
    );
  return {
    family: 'transformer',
    model: 'seq2seq',
    preset: stored.preset ?? 'custom',
    task: stored.task,
    config,
    tokens: stored.tokens,
  };
}

/** `part` (see graphs.ts: 'model', 'encoder' or 'decoder') as an ONNX model's bytes. */
export function seq2seqOnnx(net: Seq2seqNetwork, stored: Seq2seqStored, part: string): Uint8Array {
  const p = checkPart(part);
  return encodeOnnx(net, partInputs(net.cfg, p), partFn(net, p), {
    name: `seq2seq_${p}`,
    config: { ...stored, part: p },
    metadata: { 'genmodels.tokens': JSON.stringify(stored.tokens) },
  });
}
