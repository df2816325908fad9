/**
 * The merge step of byte-level BPE, GPT-2's `bpe()`: within one pre-token, repeatedly merge
 * the adjacent pair of lowest rank, every occurrence of it left to right, until no adjacent
 * pair has a rank.
 */

/**
 * The key of pair (a, b) in a rank table. A space cannot occur in byte-level tokens (the
 * byte 0x20 is 'Ġ'), so the key is unambiguous.
 */
export function pairKey(a: string, b: string): string {
  return `${a} ${b}`;
}

/** Every occurrence of (a, b) in `symbols`, left to right and without overlaps, as a + b. */
export function mergePair(symbols: readonly string[], a: string, b: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
      out.push(a + b);
      i++;
    } else out.push(symbols[i]);
  }
  return out;
}

/**
 * `symbols` after all merges that apply, lowest rank first.
 *
 * @example
 * const ranks = new Map([[pairKey('b', 'c'), 0], [pairKey('a', 'b'), 1]]);
 * applyMerges(['a', 'b', 'c'], ranks); // ['a', 'bc']: once b and c merge, a and b are not adjacent
 */
export function applyMerges(
  symbols: readonly string[],
  ranks: ReadonlyMap<string, number>,
): string[] {
  let word = [...symbols];
  while (word.length > 1) {
    let best = Number.POSITIVE_INFINITY;
    let at = -1;
    for (let i = 0; i + 1 < word.length; i++) {
      const r = ranks.get(pairKey(word[i], word[i + 1]));
      if (r !== undefined && r < best) {
        best = r;
        at = i;
      }
    }
    if (at < 0) break;
    word = mergePair(word, word[at], word[at + 1]);
  }
  return word;
}
