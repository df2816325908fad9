/**
 * Seeded synthetic sequence-to-sequence tasks (copy, reverse, sort, addition) with
 * held-out splits that never share a source sequence, and a padding batcher.
 */

import { GenmodelsError, Rng, Tensor } from '@genmodels/runtime';

/**
 * A task was configured or batched incorrectly (unknown name, bad lengths, over-long example).
 * @example try { seq2seqTask('reverse', { seed: 0, minLen: 0 }); } catch (e) { e instanceof Seq2seqError }
 */
export class Seq2seqError extends GenmodelsError {}

/** Names of the built-in tasks. */
export type Seq2seqTaskName = 'copy' | 'reverse' | 'sort' | 'addition';

const TASKS: readonly Seq2seqTaskName[] = ['copy', 'reverse', 'sort', 'addition'];

/**
 * Ids shared by every task: PAD = 0, BOS = 1, EOS = 2; task symbols start at 3.
 * @example const pred = greedy.indexOf(SEQ2SEQ_SPECIALS.eos); // end of a decoded target
 */
export const SEQ2SEQ_SPECIALS = { pad: 0, bos: 1, eos: 2 } as const;
const FIRST = 3;

/**
 * Token layout of a task. copy/reverse/sort: symbol k (0 <= k < symbols) is id 3 + k, shown as
 * `String(k)`. addition: digit d is id 3 + d, '+' is id 13 (size 14).
 */
export interface Seq2seqVocab {
  /** Number of ids, specials included. */
  size: number;
  pad: 0;
  bos: 1;
  eos: 2;
  /** Display string of each id: tokens[id]. */
  tokens: readonly string[];
}

/** One example: source and target ids, without BOS/EOS/PAD. */
export interface Seq2seqExample {
  src: Int32Array;
  tgt: Int32Array;
}

/** Options of {@link seq2seqTask}. */
export interface Seq2seqOptions {
  seed: number | bigint;
  /** Which side of the held-out split to draw from (default 'train'). */
  split?: 'train' | 'test';
  /** Share of all possible sources reserved for 'test' (default 0.1). */
  testFraction?: number;
  /** copy/reverse/sort: shortest source (default 1). */
  minLen?: number;
  /** copy/reverse/sort: longest source (default 10). */
  maxLen?: number;
  /** copy/reverse/sort: alphabet size (default 10). */
  symbols?: number;
  /** addition: digits per operand (default 3). */
  digits?: number;
}

/** Padded batch. `srcPad`/`tgtPad` are true on padding (PyTorch's key_padding_mask sense). */
export interface Seq2seqBatch {
  /** int64 [B, S] source ids, PAD after each source. */
  src: Tensor<'int64'>;
  /** int64 [B, T] decoder input: BOS, tgt, PAD... */
  tgtIn: Tensor<'int64'>;
  /** int64 [B, T] decoder target: tgt, EOS, PAD... */
  tgtOut: Tensor<'int64'>;
  /** bool [B, S] */
  srcPad: Tensor<'bool'>;
  /** bool [B, T], the same for tgtIn and tgtOut */
  tgtPad: Tensor<'bool'>;
}

function fail(msg: string): never {
  throw new Seq2seqError(msg);
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi)
    fail(`seq2seqTask: ${name} (${v}) must be an integer in [${lo}, ${hi}]`);
}

function checkName(name: string): asserts name is Seq2seqTaskName {
  if (!TASKS.includes(name as Seq2seqTaskName))
    fail(`seq2seqTask: unknown task '${name}'; expected one of ${TASKS.join(', ')}`);
}

/**
 * Token layout of task `name` (see {@link Seq2seqVocab}).
 * @example seq2seqVocab('addition').tokens.slice(3) // ['0', ..., '9', '+']
 */
export function seq2seqVocab(
  name: Seq2seqTaskName,
  options: { symbols?: number } = {},
): Seq2seqVocab {
  checkName(name);
  const symbols = name === 'addition' ? 10 : (options.symbols ?? 10);
  checkInt('symbols', symbols, 1, 65536);
  const tokens = [
    '<pad>',
    '<bos>',
    '<eos>',
    ...Array.from({ length: symbols }, (_, k) => String(k)),
  ];
  if (name === 'addition') tokens.push('+');
  return { size: tokens.length, ...SEQ2SEQ_SPECIALS, tokens: Object.freeze(tokens) };
}

/**
 * The correct target of `src` for task `name`. addition: src = a's digits (most significant
 * first, zero-padded to `digits`), '+', b's digits; target = the digits of a + b, least
 * significant first, zero-padded to digits + 1 (e.g. 123+989 -> 2111).
 * @example seq2seqTarget('reverse', Int32Array.of(3, 4, 5)) // Int32Array [5, 4, 3]
 */
export function seq2seqTarget(name: Seq2seqTaskName, src: Int32Array): Int32Array {
  checkName(name);
  if (name === 'copy') return src.slice();
  if (name === 'reverse') return src.slice().reverse();
  if (name === 'sort') return src.slice().sort();
  const plus = src.indexOf(FIRST + 10);
  const digits = plus;
  if (digits < 1 || src.length !== 2 * digits + 1)
    fail(`seq2seqTarget: addition source of length ${src.length} must be digits '+' digits`);
  const out = new Int32Array(digits + 1);
  let carry = 0;
  for (let i = 0; i <= digits; i++) {
    const a = i < digits ? src[digits - 1 - i] - FIRST : 0;
    const b = i < digits ? src[2 * digits - i] - FIRST : 0;
    if (a < 0 || a > 9 || b < 0 || b > 9) fail('seq2seqTarget: addition operands must be digits');
    const s = a + b + carry;
    out[i] = FIRST + (s % 10);
    carry = s >= 10 ? 1 : 0;
  }
  return out;
}

/**
 * Deterministic hash of a sequence to [0, 1): FNV-1a over the ids with a murmur3 finalizer.
 * A source is in the test split when its hash is below testFraction, so 'train' and 'test'
 * never share a source, for any seed.
 * @example seq2seqHash(Int32Array.of(3, 4)) // a number in [0, 1)
 */
export function seq2seqHash(ids: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ids.length; i++) {
    let v = ids[i] >>> 0;
    for (let k = 0; k < 4; k++, v >>>= 8) h = Math.imul(h ^ (v & 0xff), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

const MAX_TRIES = 10_000;

/**
 * An endless seeded stream of examples of one task and split. Build with {@link seq2seqTask}.
 * @example const task = seq2seqTask('reverse', { seed: 0 }); const { src, tgt } = task.next();
 */
export class Seq2seqTask implements Iterable<Seq2seqExample> {
  readonly vocab: Seq2seqVocab;
  readonly split: 'train' | 'test';
  readonly testFraction: number;
  private readonly rng: Rng;
  private readonly minLen: number;
  private readonly maxLen: number;
  private readonly symbols: number;

  constructor(
    readonly name: Seq2seqTaskName,
    options: Seq2seqOptions,
  ) {
    checkName(name);
    this.split = options.split ?? 'train';
    if (this.split !== 'train' && this.split !== 'test')
      fail(`seq2seqTask: split '${this.split}' must be 'train' or 'test'`);
    this.testFraction = options.testFraction ?? 0.1;
    if (!(this.testFraction > 0 && this.testFraction < 1))
      fail(`seq2seqTask: testFraction (${this.testFraction}) must be in (0, 1)`);
    if (name === 'addition') {
      if (
        options.minLen !== undefined ||
        options.maxLen !== undefined ||
        options.symbols !== undefined
      )
        fail("seq2seqTask: 'addition' takes `digits`, not minLen/maxLen/symbols");
      const digits = options.digits ?? 3;
      checkInt('digits', digits, 1, 9);
      this.minLen = this.maxLen = digits;
      this.symbols = 10;
    } else {
      if (options.digits !== undefined)
        fail(`seq2seqTask: '${name}' takes minLen/maxLen, not digits`);
      this.minLen = options.minLen ?? 1;
      this.maxLen = options.maxLen ?? 10;
      this.symbols = options.symbols ?? 10;
      checkInt('minLen', this.minLen, 1, 4096);
      checkInt('maxLen', this.maxLen, this.minLen, 4096);
    }
    this.vocab = seq2seqVocab(name, { symbols: this.symbols });
    this.rng = new Rng(options.seed);
  }

  /** True when `src` belongs to the test split of this task's testFraction. @example task.isTest(ex.src) */
  isTest(src: ArrayLike<number>): boolean {
    return seq2seqHash(src) < this.testFraction;
  }

  private draw(): Int32Array {
    if (this.name === 'addition') {
      const d = this.minLen;
      const src = this.rng.integers(2 * d + 1, FIRST, FIRST + 10);
      src[d] = FIRST + 10; // '+'
      return src;
    }
    const len = this.minLen + this.rng.integers(1, 0, this.maxLen - this.minLen + 1)[0];
    return this.rng.integers(len, FIRST, FIRST + this.symbols);
  }

  /**
   * Next example of this split (rejection sampling on the source hash).
   * @example seq2seqTask('sort', { seed: 1 }).next() // { src: Int32Array, tgt: Int32Array }
   */
  next(): Seq2seqExample {
    const wantTest = this.split === 'test';
    for (let i = 0; i < MAX_TRIES; i++) {
      const src = this.draw();
      if (this.isTest(src) === wantTest) return { src, tgt: seq2seqTarget(this.name, src) };
    }
    return fail(
      `seq2seqTask: no '${this.split}' example of '${this.name}' in ${MAX_TRIES} draws; the source space is too small for testFraction ${this.testFraction}`,
    );
  }

  /** `n` next examples. @example task.take(64) */
  take(n: number): Seq2seqExample[] {
    checkInt('n', n, 0, 2 ** 31 - 1);
    return Array.from({ length: n }, () => this.next());
  }

  /**
   * `n` next examples as a padded batch (see {@link seq2seqBatch}).
   * @example const { src, tgtIn, tgtOut } = task.batch(64); // int64 [64, S], [64, T], [64, T]
   */
  batch(n: number, options: Seq2seqBatchOptions = {}): Seq2seqBatch {
    return seq2seqBatch(this.take(n), options);
  }

  /** Endless iteration over {@link Seq2seqTask.next}. */
  *[Symbol.iterator](): Iterator<Seq2seqExample> {
    for (;;) yield this.next();
  }
}

/**
 * Seeded example stream of task `name`: same seed and options give the same examples.
 * 'train' and 'test' are disjoint in source sequences (see {@link seq2seqHash}).
 * @example
 * const test = seq2seqTask('addition', { seed: 1, split: 'test' });
 * test.next(); // { src: '123+989' as ids, tgt: '2111' as ids }
 */
export function seq2seqTask(name: Seq2seqTaskName, options: Seq2seqOptions): Seq2seqTask {
  return new Seq2seqTask(name, options);
}

/** Fixed padded lengths, for static-shape graphs. Default: the longest in the batch. */
export interface Seq2seqBatchOptions {
  /** S: source length after padding. */
  srcLen?: number;
  /** T: decoder length after padding, counting the BOS/EOS slot (>= longest tgt + 1). */
  tgtLen?: number;
}

/**
 * Pads examples into tensors: src [B, S]; tgtIn = BOS + tgt and tgtOut = tgt + EOS, [B, T];
 * PAD (0) fills the rest and the masks are true there.
 * @example seq2seqBatch([{ src: Int32Array.of(3, 4), tgt: Int32Array.of(4, 3) }]).tgtIn // [[1, 4, 3]]
 */
export function seq2seqBatch(
  examples: readonly Seq2seqExample[],
  options: Seq2seqBatchOptions = {},
): Seq2seqBatch {
  const B = examples.length;
  if (B === 0) fail('seq2seqBatch: needs at least one example');
  const longestSrc = Math.max(...examples.map((e) => e.src.length));
  const longestTgt = Math.max(...examples.map((e) => e.tgt.length)) + 1;
  const S = options.srcLen ?? longestSrc;
  const T = options.tgtLen ?? longestTgt;
  if (S < longestSrc)
    fail(`seq2seqBatch: srcLen ${S} is shorter than the longest source (${longestSrc})`);
  if (T < longestTgt)
    fail(`seq2seqBatch: tgtLen ${T} is shorter than the longest target + 1 (${longestTgt})`);
  const src = new BigInt64Array(B * S);
  const tgtIn = new BigInt64Array(B * T);
  const tgtOut = new BigInt64Array(B * T);
  const srcPad = new Uint8Array(B * S).fill(1);
  const tgtPad = new Uint8Array(B * T).fill(1);
  examples.forEach(({ src: s, tgt: t }, b) => {
    for (let i = 0; i < s.length; i++) src[b * S + i] = BigInt(s[i]);
    srcPad.fill(0, b * S, b * S + s.length);
    const row = b * T;
    tgtIn[row] = BigInt(SEQ2SEQ_SPECIALS.bos);
    for (let i = 0; i < t.length; i++) {
      tgtIn[row + i + 1] = BigInt(t[i]);
      tgtOut[row + i] = BigInt(t[i]);
    }
    tgtOut[row + t.length] = BigInt(SEQ2SEQ_SPECIALS.eos);
    tgtPad.fill(0, row, row + t.length + 1);
  });
  return {
    src: new Tensor('int64', [B, S], src),
    tgtIn: new Tensor('int64', [B, T], tgtIn),
    tgtOut: new Tensor('int64', [B, T], tgtOut),
    srcPad: new Tensor('bool', [B, S], srcPad),
    tgtPad: new Tensor('bool', [B, T], tgtPad),
  };
}
