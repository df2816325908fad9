import { GenmodelsError } from '@genmodels/runtime';

/**
 * A byte-level BPE vocabulary, merges list, tokenizer.json, serialized tokenizer, text or
 * id that cannot be used; the message names the file and entry (`merges.txt line 7`,
 * `tokenizer.json model.vocab`) and what was expected.
 */
export class BpeError extends GenmodelsError {}

/** `value` as JSON ('missing' for undefined), cut to `max` characters so a message stays one line. */
export function show(value: unknown, max = 40): string {
  const j = JSON.stringify(value) ?? 'missing';
  return j.length <= max ? j : `${j.slice(0, max - 3)}...`;
}
