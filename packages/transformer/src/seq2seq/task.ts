/**
 * The synthetic tasks of @genmodels/datasets (imported on demand, so loading a model and
 * decoding a given source work without it) and the text form of token ids.
 */
import type { Seq2seqExample, Seq2seqTask } from '@genmodels/datasets';
import { importOptional } from '@genmodels/runtime/internal';
import type { Seq2seqConfig, Seq2seqTaskSpec } from './config.js';
import { Seq2seqModelError } from './errors.js';

const datasets = () =>
  importOptional(
    () => import('@genmodels/datasets'),
    (why) =>
      new Seq2seqModelError(
        `training and evaluating seq2seq models need @genmodels/datasets: install it next to @genmodels/transformer (${why})`,
      ),
  );

/** The seeded example stream of `spec` on one side of its held-out split. */
export async function openTask(
  spec: Seq2seqTaskSpec,
  split: 'train' | 'test',
  seed: number,
): Promise<Seq2seqTask> {
  const { seq2seqTask } = await datasets();
  const { name, ...options } = spec;
  return seq2seqTask(name, { ...options, seed, split });
}

/** Display strings of the task's ids (PAD, BOS, EOS first). */
export async function taskTokens(spec: Seq2seqTaskSpec): Promise<string[]> {
  const { seq2seqVocab } = await datasets();
  return [...seq2seqVocab(spec.name, { symbols: spec.symbols }).tokens];
}

/** Longest source and target of a task, from its spec (the datasets defaults: lengths 1-10, 3 digits). */
export function taskLengths(spec: Seq2seqTaskSpec): { src: number; tgt: number } {
  if (spec.name === 'addition') {
    const d = spec.digits ?? 3;
    return { src: 2 * d + 1, tgt: d + 1 };
  }
  const n = spec.maxLen ?? 10;
  return { src: n, tgt: n };
}

/** Throws when examples of `spec` cannot fit the model (vocabulary, source or decoder length). */
export function checkTaskFits(spec: Seq2seqTaskSpec, cfg: Seq2seqConfig, vocabSize: number): void {
  const { src, tgt } = taskLengths(spec);
  const what = `task '${spec.name}'`;
  if (vocabSize !== cfg.vocabSize)
    throw new Seq2seqModelError(
      `${what} has ${vocabSize} token ids but the model's vocabSize is ${cfg.vocabSize}`,
    );
  if (src > cfg.maxSrcLen)
    throw new Seq2seqModelError(
      `${what} has sources of up to ${src} tokens but the model's maxSrcLen is ${cfg.maxSrcLen}`,
    );
  if (tgt + 1 > cfg.maxTgtLen)
    throw new Seq2seqModelError(
      `${what} has targets of up to ${tgt} tokens; the decoder needs maxTgtLen >= ${tgt + 1} (BOS/EOS), not ${cfg.maxTgtLen}`,
    );
}

/** Ids <-> text over a task's token strings: one character per token when they all are, else spaces. */
export class TokenText {
  readonly #ids = new Map<string, number>();
  readonly #compact: boolean;

  /** tokens[id]; ids 0-2 are PAD, BOS, EOS and never appear in text. */
  constructor(readonly tokens: readonly string[]) {
    tokens.forEach((t, id) => {
      if (id >= 3) this.#ids.set(t, id);
    });
    this.#compact = tokens.slice(3).every((t) => [...t].length === 1 && t.trim() === t);
  }

  /** '321' (or '12 7 3' for multi-character tokens). */
  format(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.tokens[i] ?? `<${i}>`).join(this.#compact ? '' : ' ');
  }

  /** The ids of `text` (spaces ignored when tokens are single characters); unknown tokens are named. */
  parse(text: string, what = 'source'): number[] {
    const parts = this.#compact ? [...text.replace(/\s+/g, '')] : text.trim().split(/\s+/);
    const bad = [...new Set(parts.filter((p) => !this.#ids.has(p)))];
    if (bad.length > 0)
      throw new Seq2seqModelError(
        `${what} '${text}' has token(s) outside the model's vocabulary: ${bad.map((b) => JSON.stringify(b)).join(', ')}; expected ${this.tokens.slice(3).join(' ')}`,
      );
    if (parts.length === 0 || parts[0] === '')
      throw new Seq2seqModelError(`${what} is empty; expected at least one token`);
    return parts.map((p) => this.#ids.get(p) as number);
  }
}

export type { Seq2seqExample };
