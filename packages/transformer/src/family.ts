/**
 * `transformerFamily`: the ModelFamily the `genmodels` CLI drives. Training dispatches on
 * the preset (GPT presets train on `--corpus`).
 */
import type { FamilyTrainOptions, ModelFamily, Runtime, TrainedModel } from '@genmodels/runtime';
import { GPT_PRESETS } from './gpt/config.js';
import { GptError } from './gpt/errors.js';
import { GPT_PARTS } from './gpt/io.js';
import { loadGpt, trainGpt } from './gpt/train.js';

/** Every preset of the family by name. */
export const TRANSFORMER_PRESETS = { ...GPT_PRESETS };

/**
 * The Transformer family: preset `shakespeare-char` (a character GPT on `opts.corpus`);
 * part 'decoder' (the GPT's KV-cache decoder).
 *
 * @example
 * const gpt = await transformerFamily.train(rt, { preset: 'shakespeare-char', corpus: 'input.txt', steps: 200 });
 * await gpt.save('out/gpt');
 */
export const transformerFamily: ModelFamily = {
  name: 'transformer',
  description: 'Transformer: character GPT with KV-cache generation (trains on --corpus PATH)',
  presets: TRANSFORMER_PRESETS,
  parts: GPT_PARTS,
  sampleOptions: ['prompt', 'tokens', 'temperature', 'topK', 'topP'],
  async train(rt: Runtime, opts: FamilyTrainOptions): Promise<TrainedModel> {
    if (opts.preset in GPT_PRESETS) return trainGpt(rt, opts);
    throw new GptError(
      `unknown transformer preset '${opts.preset}'; expected one of ${Object.keys(TRANSFORMER_PRESETS).join(', ')}`,
    );
  },
  load(rt: Runtime, dir: string): Promise<TrainedModel> {
    return loadGpt(rt, dir);
  },
};
