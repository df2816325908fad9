/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the graphs.
 */
import { encodeOnnx, Rng } from '@genmodels/runtime';
import { FamilyStore, parseConfig, z } from '@genmodels/runtime/internal';
import {
  resolveSeq2seqConfig,
  type Seq2seqConfig,
  type Seq2seqTaskSpec,
  seq2seqParameterCount,
  seq2seqTaskSchema,
} from './config.js';
import { Seq2seqModelError } from './errors.js';
import { checkPart, partFn, partInputs } from './graphs.js';
import { Seq2seqNetwork } from './network.js';

/** The file names inside a model directory (the runtime's, for every family). */
export {
  CONFIG_FILE as SEQ2SEQ_CONFIG_FILE,
  MODEL_FILE as SEQ2SEQ_MODEL_FILE,
} from '@genmodels/runtime';

/** What a seq2seq model stores beside its preset and config. */
export interface Seq2seqFields {
  /** Tells a seq2seq directory from the family's other models ('gpt'). */
  model: 'seq2seq';
  task: Seq2seqTaskSpec;
  /** Display string of each id (PAD, BOS, EOS first). */
  tokens: string[];
}

/** What config.json (and the checkpoint's metadata) hold. */
export interface Seq2seqStored extends Seq2seqFields {
  family: 'transformer';
  preset: string;
  config: Seq2seqConfig;
}

/** The stored token list: at most 2^20 tokens of at most 64 characters. */
const TOKENS = z.array(z.string().max(64)).max(1 << 20);

/** A seq2seq model directory: family 'transformer', model 'seq2seq', the task and token list beside the config. */
export const seq2seqStore = new FamilyStore<Seq2seqConfig, Seq2seqNetwork, Seq2seqFields>({
  family: 'transformer',
  label: 'seq2seq',
  trainHint: 'genmodels train transformer --preset seq2seq-reverse',
  fail: (m) => new Seq2seqModelError(m),
  resolve: resolveSeq2seqConfig,
  build: (cfg) => new Seq2seqNetwork(cfg, new Rng(0)),
  parameters: seq2seqParameterCount,
  fields: (stored, where) => {
    if (stored.model !== 'seq2seq')
      throw new Seq2seqModelError(
        `${where} holds a transformer of kind '${String(stored.model)}', not a seq2seq model`,
      );
    if (!stored.config || !stored.task || !Array.isArray(stored.tokens))
      throw new Seq2seqModelError(`${where}: the seq2seq config, task or token list is missing`);
    const fail = (m: string) => new Seq2seqModelError(`${where}: ${m}`);
    const task = parseConfig(seq2seqTaskSchema, stored.task, 'seq2seq', fail, 'task');
    const tokens = parseConfig(TOKENS, stored.tokens, 'seq2seq', fail, 'token list');
    return { model: 'seq2seq', task, tokens };
  },
});

/** `part` (see graphs.ts: 'model', 'encoder' or 'decoder') as an ONNX model's bytes. */
export function seq2seqOnnx(net: Seq2seqNetwork, stored: Seq2seqStored, part: string): Uint8Array {
  const p = checkPart(part);
  return encodeOnnx(net, partInputs(net.cfg, p), partFn(net, p), {
    name: `seq2seq_${p}`,
    config: { ...stored, part: p },
    metadata: { 'genmodels.tokens': JSON.stringify(stored.tokens) },
  });
}
