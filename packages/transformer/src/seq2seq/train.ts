/** Family glue: train a seq2seq preset on its synthetic task, or load one, for the `transformer` family. */
import type { FamilyTrainOptions, ModelSource, Runtime } from '@genmodels/runtime';
import { seq2seqPreset } from './config.js';
import { Seq2seqModelError } from './errors.js';
import { Seq2seq } from './seq2seq.js';

/**
 * Train a seq2seq preset on fresh seeded examples of its task (no data files). Length:
 * `opts.steps`, or `opts.epochs` x 100 steps (the tasks are endless streams, so an
 * "epoch" is a nominal 100 steps), else the preset's `steps`.
 *
 * @example const m = await trainSeq2seq(rt, { preset: 'seq2seq-reverse', steps: 100 });
 */
export async function trainSeq2seq(rt: Runtime, opts: FamilyTrainOptions): Promise<Seq2seq> {
  const preset = seq2seqPreset(opts.preset);
  if (opts.corpus !== undefined || opts.corpusText !== undefined)
    throw new Seq2seqModelError(
      `the seq2seq preset '${opts.preset}' trains on its synthetic task '${preset.task.name}'; it takes no corpus`,
    );
  const model = await Seq2seq.create(rt, opts.preset, { seed: opts.seed ?? 0 });
  const steps =
    opts.steps ??
    (opts.epochs !== undefined
      ? Math.max(1, Math.round(opts.epochs * SEQ2SEQ_EPOCH_STEPS))
      : preset.config.steps);
  await model.fit({
    steps,
    seed: opts.seed ?? 0,
    signal: opts.signal,
    progressEvery: 10,
    onProgress: opts.onProgress && ((e) => opts.onProgress?.({ ...e, total: steps })),
  });
  return model;
}

/** Steps in one nominal epoch of a synthetic task (an endless stream). */
export const SEQ2SEQ_EPOCH_STEPS = 100;

/** Load a seq2seq model saved by `Seq2seq.save` / the CLI: a directory, a URL base or the files. */
export function loadSeq2seq(rt: Runtime, source: ModelSource): Promise<Seq2seq> {
  return Seq2seq.load(rt, source);
}
