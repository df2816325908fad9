/**
 * `transformerFamily`: the ModelFamily the `genmodels` CLI drives. Training picks the kind
 * of model by preset (GPT presets train on `--corpus`, seq2seq presets on their synthetic
 * task); loading picks it by the `model` field of config.json.
 */
import {
  type FamilyPreset,
  type FamilyTrainOptions,
  GenmodelsError,
  type ModelFamily,
  type ModelSource,
  type Runtime,
  type TrainedModel,
} from '@genmodels/runtime';
import { readModelDir } from '@genmodels/runtime/internal';
import { GPT_PRESETS } from './gpt/config.js';
import { gptFromStore } from './gpt/gpt.js';
import { GPT_PARTS, gptStore } from './gpt/io.js';
import { trainGpt } from './gpt/train.js';
import { SEQ2SEQ_PRESETS } from './seq2seq/config.js';
import { SEQ2SEQ_PARTS } from './seq2seq/graphs.js';
import { seq2seqStore } from './seq2seq/io.js';
import { seq2seqFromStore } from './seq2seq/seq2seq.js';
import { trainSeq2seq } from './seq2seq/train.js';

/** Every preset of the family by name: `shakespeare-char`, `seq2seq-reverse`, `seq2seq-addition`. */
export const TRANSFORMER_PRESETS: Readonly<Record<string, FamilyPreset>> = {
  ...GPT_PRESETS,
  ...SEQ2SEQ_PRESETS,
};

/**
 * The Transformer family: a character GPT (`shakespeare-char`, on `opts.corpus` or
 * `opts.corpusText`; part
 * 'decoder', the KV-cache decoder) and an encoder-decoder on seeded synthetic tasks
 * (`seq2seq-reverse`, `seq2seq-addition`; parts 'model', 'encoder', 'decoder').
 *
 * @example
 * const gpt = await transformerFamily.train(rt, { preset: 'shakespeare-char', corpus: 'input.txt', steps: 200 });
 * const rev = await transformerFamily.train(rt, { preset: 'seq2seq-reverse' });
 */
export const transformerFamily: ModelFamily = {
  name: 'transformer',
  description:
    'Transformer: character GPT with KV-cache generation (trains on --corpus PATH); encoder-decoder on seq2seq tasks',
  presets: TRANSFORMER_PRESETS,
  parts: [...new Set<string>([...GPT_PARTS, ...SEQ2SEQ_PARTS])],
  sampleOptions: ['prompt', 'tokens', 'temperature', 'topK', 'topP'],
  trainOptions: ['corpus'],
  evalOptions: ['corpus'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<TrainedModel> {
    if (opts.preset in GPT_PRESETS) return trainGpt(rt, opts);
    if (opts.preset in SEQ2SEQ_PRESETS) return trainSeq2seq(rt, opts);
    throw new GenmodelsError(
      `unknown transformer preset '${opts.preset}'; expected one of ${Object.keys(TRANSFORMER_PRESETS).join(', ')}`,
    );
  },
  /** Read the checkpoint once (a directory, a URL base or the files), then build the kind it stores. */
  async load(rt: Runtime, source: ModelSource): Promise<TrainedModel> {
    const read = await readModelDir<{ config?: unknown; model?: string }>(source, gptStore.opts);
    if (read.stored?.model === 'seq2seq')
      return seq2seqFromStore(
        rt,
        seq2seqStore.build(seq2seqStore.check(read, source), source),
        source,
      );
    // Anything else is checked (and named) as a GPT, the family's default kind.
    return gptFromStore(rt, gptStore.build(gptStore.check(read, source), source), source);
  },
};
