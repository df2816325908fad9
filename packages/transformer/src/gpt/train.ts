/** Family glue: train a GPT on a corpus file or text, or load one, for the `transformer` family. */
import type { FamilyTrainOptions, ModelSource, Runtime } from '@genmodels/runtime';
import { GPT_PRESETS, resolveGptConfig } from './config.js';
import { corpusFromText, readCorpus } from './data.js';
import { GptError } from './errors.js';
import { GPT } from './gpt.js';

/**
 * Train a GPT preset on `opts.corpus` (a UTF-8 text file: a path on Node.js, a URL in
 * browsers) or on `opts.corpusText`: the vocabulary is the text's characters, the first
 * 90% trains and the last 10% validates. Length: `opts.steps`, or
 * `opts.epochs` passes' worth of tokens (batchSize x blockSize per step), else the preset's.
 *
 * @example const gpt = await trainGpt(rt, { preset: 'shakespeare-char', corpus: 'tinyshakespeare.txt', steps: 100 });
 */
export async function trainGpt(rt: Runtime, opts: FamilyTrainOptions): Promise<GPT> {
  const cfg = resolveGptConfig(opts.preset); // unknown preset: GptError before any data is read
  if (opts.corpus !== undefined && opts.corpusText !== undefined)
    throw new GptError(
      'pass the training text as opts.corpus (a path or URL) or opts.corpusText, not both',
    );
  if (opts.corpusText === undefined && !opts.corpus)
    throw new GptError(
      `the GPT preset '${opts.preset}' trains on a text corpus: pass its path as opts.corpus (CLI: --corpus PATH) or the text as opts.corpusText`,
    );
  const corpus =
    opts.corpusText !== undefined
      ? await corpusFromText(opts.corpusText)
      : await readCorpus(opts.corpus as string);
  const gpt = GPT.create(rt, opts.preset, { vocab: corpus.chars, seed: opts.seed ?? 0, corpus });
  const perStep = cfg.batchSize * cfg.blockSize;
  const steps =
    opts.steps ??
    (opts.epochs !== undefined
      ? Math.max(1, Math.ceil((opts.epochs * corpus.train.length) / perStep))
      : (GPT_PRESETS[opts.preset]?.config.steps ?? cfg.steps));
  await gpt.fit(corpus, {
    steps,
    seed: opts.seed ?? 0,
    signal: opts.signal,
    progressEvery: 10,
    onProgress: opts.onProgress && ((e) => opts.onProgress?.({ ...e, total: steps })),
  });
  return gpt;
}

/** Load a GPT saved by `GPT.save` / the CLI: a directory, a URL base or the files. */
export function loadGpt(rt: Runtime, source: ModelSource): Promise<GPT> {
  return GPT.load(rt, source);
}
