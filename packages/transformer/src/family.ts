/**
 * `transformerFamily`: the ModelFamily the `genmodels` CLI drives. Training picks the kind
 * of model by preset (GPT presets train on `--corpus`, seq2seq presets on their synthetic
 * task); loading picks it by the `model` field of config.json.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type FamilyPreset,
  type FamilyTrainOptions,
  GenmodelsError,
  type ModelFamily,
  type Runtime,
  type TrainedModel,
} from '@genmodels/runtime';
import { GPT_PRESETS } from './gpt/config.js';
import { GPT_CONFIG_FILE, GPT_PARTS } from './gpt/io.js';
import { loadGpt, trainGpt } from './gpt/train.js';
import { SEQ2SEQ_PRESETS } from './seq2seq/config.js';
import { SEQ2SEQ_PARTS } from './seq2seq/graphs.js';
import { loadSeq2seq, trainSeq2seq } from './seq2seq/train.js';

/** Every preset of the family by name: `shakespeare-char`, `seq2seq-reverse`, `seq2seq-addition`. */
export const TRANSFORMER_PRESETS: Readonly<Record<string, FamilyPreset>> = {
  ...GPT_PRESETS,
  ...SEQ2SEQ_PRESETS,
};

/** `model` in config.json ('gpt' or 'seq2seq'), or undefined when there is none to read. */
async function storedModel(dir: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(dir, GPT_CONFIG_FILE), 'utf8'))?.model;
  } catch {
    return undefined; // the GPT loader names the missing or corrupt file
  }
}

/**
 * The Transformer family: a character GPT (`shakespeare-char`, on `opts.corpus`; part
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
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<TrainedModel> {
    if (opts.preset in GPT_PRESETS) return trainGpt(rt, opts);
    if (opts.preset in SEQ2SEQ_PRESETS) return trainSeq2seq(rt, opts);
    throw new GenmodelsError(
      `unknown transformer preset '${opts.preset}'; expected one of ${Object.keys(TRANSFORMER_PRESETS).join(', ')}`,
    );
  },
  async load(rt: Runtime, dir: string): Promise<TrainedModel> {
    return (await storedModel(dir)) === 'seq2seq' ? loadSeq2seq(rt, dir) : loadGpt(rt, dir);
  },
};
