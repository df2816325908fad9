/** model.safetensors + config.json in a directory, and ONNX export of the graphs. */
import { exportOnnx, readModelDir, type Tensor, writeModelDir } from '@genmodels/runtime';
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

/** Write the state dict (family 'transformer', stored config in metadata) and config.json. */
export async function writeSeq2seq(
  dir: string,
  net: Seq2seqNetwork,
  stored: Seq2seqStored,
): Promise<void> {
  await writeModelDir(dir, net, stored, { fail: (m) => new Seq2seqModelError(m) });
}

/** Read a directory written by `writeSeq2seq`; another family's checkpoint is a CheckpointError. */
export async function readSeq2seq(
  dir: string,
): Promise<{ stored: Seq2seqStored; stateDict: Record<string, Tensor> }> {
  const { stored, stateDict } = await readModelDir<Seq2seqStored>(dir, {
    family: 'transformer',
    label: 'seq2seq',
    trainHint: 'genmodels train transformer --preset seq2seq-reverse',
    fail: (m) => new Seq2seqModelError(m),
  });
  if (stored?.model !== 'seq2seq')
    throw new Seq2seqModelError(
      `'${dir}' holds a transformer of kind '${String(stored?.model)}', not a seq2seq model`,
    );
  if (!stored.config || !stored.task || !Array.isArray(stored.tokens))
    throw new Seq2seqModelError(`'${dir}': the seq2seq config, task or token list is missing`);
  const config = resolveSeq2seqConfig(stored.config);
  if (stored.tokens.length !== config.vocabSize)
    throw new Seq2seqModelError(
      `'${dir}': the token list has ${stored.tokens.length} entries but vocabSize is ${config.vocabSize}`,
    );
  return {
    stored: {
      family: 'transformer',
      model: 'seq2seq',
      preset: stored.preset ?? 'custom',
      task: stored.task,
      config,
      tokens: stored.tokens,
    },
    stateDict,
  };
}

function ioError(what: string, e: unknown): never {
  if (e instanceof Error && 'code' in e) throw new Seq2seqModelError(`${what}: ${e.message}`);
  throw e;
}

/** Export `part` (see graphs.ts: 'model', 'encoder' or 'decoder') to `path`. */
export async function exportSeq2seq(
  net: Seq2seqNetwork,
  stored: Seq2seqStored,
  path: string,
  part: string,
): Promise<void> {
  const p = checkPart(part);
  try {
    await exportOnnx(path, net, partInputs(net.cfg, p), partFn(net, p), {
      name: `seq2seq_${p}`,
      config: { ...stored, part: p },
      metadata: { 'genmodels.tokens': JSON.stringify(stored.tokens) },
    });
  } catch (e) {
    ioError(`cannot write '${path}'`, e);
  }
}
