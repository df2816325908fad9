/**
 * Pre-tokenization: GPT-2 never merges across these boundaries. Special tokens are cut out
 * first (matched whole), then the rest splits into contractions, letter runs, number runs,
 * other-symbol runs (each may carry one leading space) and whitespace.
 */

/**
 * GPT-2's pattern. `\s` is JavaScript's (WhiteSpace and LineTerminator); the `regex`
 * module of GPT-2's Python may differ on a few rare characters (such as U+0085, U+FEFF).
 */
export const GPT2_SPLIT_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's pre-tokens of `text`; they concatenate back to `text`.
 *
 * @example pretokenize("I'm  here 42!!\n") // ['I', "'m", ' ', ' here', ' 42', '!!', '\n']
 */
export function pretokenize(text: string): string[] {
  return text.match(GPT2_SPLIT_PATTERN) ?? [];
}

/** A piece of text between special tokens, or a special token. */
export interface TextPiece {
  text: string;
  special: boolean;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A matcher of `tokens` (the longest first where two start at one place), or null if none. */
export function specialMatcher(tokens: readonly string[]): RegExp | null {
  if (tokens.length === 0) return null;
  const longestFirst = [...tokens].sort((a, b) => b.length - a.length);
  return new RegExp(`(${longestFirst.map(escapeRegExp).join('|')})`, 'u');
}

/**
 * `text` cut at the special tokens `matcher` finds (whole tokens only); empty pieces dropped.
 *
 * @example splitSpecial('a<|endoftext|>b', specialMatcher(['<|endoftext|>']))
 * // [{ text: 'a', special: false }, { text: '<|endoftext|>', special: true }, { text: 'b', special: false }]
 */
export function splitSpecial(text: string, matcher: RegExp | null): TextPiece[] {
  if (matcher === null) return text ? [{ text, special: false }] : [];
  // split() with one capturing group alternates text, token, text, token, ...
  return text
    .split(matcher)
    .map((t, i) => ({ text: t, special: i % 2 === 1 }))
    .filter((p) => p.text.length > 0);
}
