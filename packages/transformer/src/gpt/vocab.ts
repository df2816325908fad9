/**
 * The model's own character vocabulary (id <-> character), stored in its checkpoint, so
 * loading and generating need no @genmodels/datasets. Ids follow the order of `chars`
 * (training builds it as the corpus's sorted unique code points, nanoGPT's order).
 */
import { GptError } from './errors.js';

/**
 * @example
 * const v = new Vocabulary(['\n', ' ', 'a', 'b']);
 * v.encode('ab a');   // [2, 3, 1, 2]
 * v.decode([3, 2]);   // 'ba'
 */
export class Vocabulary {
  readonly chars: readonly string[];
  readonly #ids = new Map<string, number>();

  constructor(chars: readonly string[]) {
    chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1)
        throw new GptError(`vocabulary: entry ${i} (${JSON.stringify(c)}) must be one character`);
      if (this.#ids.has(c))
        throw new GptError(`vocabulary: character ${JSON.stringify(c)} appears twice`);
      this.#ids.set(c, i);
    });
    if (chars.length === 0) throw new GptError('vocabulary: needs at least one character');
    this.chars = Object.freeze([...chars]);
  }

  get size(): number {
    return this.chars.length;
  }

  has(c: string): boolean {
    return this.#ids.has(c);
  }

  /** Ids of the characters (code points) of `text`; unknown characters are a GptError naming all of them. */
  encode(text: string, what = 'text'): number[] {
    const out: number[] = [];
    const missing = new Set<string>();
    for (const c of text) {
      const id = this.#ids.get(c);
      if (id === undefined) missing.add(c);
      else out.push(id);
    }
    if (missing.size > 0) {
      const list = [...missing].map((c) => JSON.stringify(c)).join(', ');
      throw new GptError(
        `${what} has ${missing.size} character(s) missing from the model's ${this.size}-character vocabulary: ${list}`,
      );
    }
    return out;
  }

  /** The text of `ids`. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]];
      if (c === undefined)
        throw new GptError(`vocabulary: id ${ids[i]} is outside [0, ${this.size})`);
      s += c;
    }
    return s;
  }
}
