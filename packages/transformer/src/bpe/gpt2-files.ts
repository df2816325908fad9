/**
 * Readers of GPT-2's two tokenizer files, given as text (no file system: browsers too):
 * `vocab.json` (token -> id) and `merges.txt` (an optional '#version' line, then one merge
 * 'a b' per line in rank order).
 */
import { BpeError, show } from './errors.js';
import type { BpeNames, BpeTokenizerSpec } from './table.js';

/** `text` parsed as JSON; a BpeError names `name` and what it should hold. */
export function parseJson(text: string, name: string, expected: string): unknown {
  if (typeof text !== 'string')
    throw new BpeError(`${name}: expected its text (a string), got ${typeof text}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BpeError(`${name} is not valid JSON (${(e as Error).message}); expected ${expected}`);
  }
}

/** A JSON object of token -> integer id, checked; `name` labels messages. */
export function vocabObject(value: unknown, name: string): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BpeError(
      `${name} must be an object of token -> id, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
    );
  for (const [token, id] of Object.entries(value)) {
    if (typeof id !== 'number')
      throw new BpeError(`${name}: token ${show(token)} has id ${show(id)}; expected a number`);
  }
  return value as Record<string, number>;
}

/**
 * The merges of merges.txt and the line of each. '\r\n' line ends are fine, blank lines only
 * at the end.
 *
 * @example parseMergesTxt('#version: 0.2\nĠ t\nh e\n').merges // [['Ġ', 't'], ['h', 'e']]
 */
export function parseMergesTxt(
  text: string,
  name = 'merges.txt',
): { merges: [string, string][]; lines: number[] } {
  if (typeof text !== 'string')
    throw new BpeError(`${name}: expected its text (a string), got ${typeof text}`);
  const all = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (all.length > 0 && all[all.length - 1].trim() === '') all.pop();
  const merges: [string, string][] = [];
  const lines: number[] = [];
  all.forEach((line, i) => {
    if (i === 0 && line.startsWith('#version')) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
      throw new BpeError(
        `${name} line ${i + 1}: ${show(line)}; expected two tokens separated by one space ('Ġ t')` +
          (line.trim() === '' ? ' (blank lines only at the end)' : ''),
      );
    merges.push([parts[0], parts[1]]);
    lines.push(i + 1);
  });
  return { merges, lines };
}

/** The spec and message names of a vocab.json + merges.txt pair. */
export function gpt2FilesSpec(
  vocabJson: string,
  mergesTxt: string,
  specialTokens?: readonly string[],
): { spec: BpeTokenizerSpec; names: BpeNames } {
  const vocab = vocabObject(
    parseJson(vocabJson, 'vocab.json', 'an object of token -> id'),
    'vocab.json',
  );
  const { merges, lines } = parseMergesTxt(mergesTxt);
  return {
    spec: { vocab, merges, specialTokens },
    names: { vocab: 'vocab.json', merge: (i) => `merges.txt line ${lines[i]}` },
  };
}
