// Philox4x32-10 (Salmon et al. 2011). Integer work uses only 32-bit ops so that
// Node and every browser engine produce bit-identical streams.

const M0 = 0xd2511f53; // round multipliers
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9; // Weyl key increments (golden ratio, sqrt(3) - 1)
const W1 = 0xbb67ae85;
const TWO_32 = 4294967296;

/**
 * High 32 bits of the unsigned 64-bit product `a * b`. Split into 16-bit halves so every
 * partial product stays below 2^32 and is exact in a double (no BigInt in the hot path).
 * @example mulhi32(0xffffffff, 0xffffffff) // 0xfffffffe
 */
export function mulhi32(a: number, b: number): number {
  const ah = a >>> 16,
    al = a & 0xffff,
    bh = b >>> 16,
    bl = b & 0xffff;
  const lh = al * bh,
    hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  // lh, hl < 2^32, so `>>> 16` is an exact floor division even above 2^31.
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

// Writing into a caller-owned block keeps the per-draw hot path allocation-free.
function philoxInto(ctr: Uint32Array, k0: number, k1: number, out: Uint32Array): void {
  let c0 = ctr[0];
  let c1 = ctr[1];
  let c2 = ctr[2];
  let c3 = ctr[3];
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0),
      lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2),
      lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/**
 * The raw Philox4x32-10 block function: one 128-bit counter and a 64-bit key to four uint32s.
 * @example philox4x32([0, 0, 0, 0], [0, 0]) // [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 */
export function philox4x32(
  counter: readonly number[],
  key: readonly number[],
): [number, number, number, number] {
  const o = new Uint32Array(4);
  philoxInto(Uint32Array.from(counter.slice(0, 4)), key[0] >>> 0, key[1] >>> 0, o);
  return [o[0], o[1], o[2], o[3]];
}

/**
 * Complete, JSON-serializable generator state. `counter` is the next block to compute;
 * `buffered` holds the not-yet-consumed outputs of the previous block, in draw order.
 * @example const s: RngState = new Rng(1).state(); Rng.fromState(JSON.parse(JSON.stringify(s)));
 */
export interface RngState {
  key: [number, number];
  counter: [number, number, number, number];
  buffered: number[];
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isU32 = (v: unknown): v is number => isCount(v) && v < TWO_32;
const fmt = (v: unknown): string =>
  typeof v === 'bigint' ? `${v}n` : Array.isArray(v) ? `[${v.join(', ')}]` : String(v);

// Builds the message eagerly; fine because it runs once per call, not per element.
function check(ok: unknown, message: string, E: ErrorConstructor = RangeError): asserts ok {
  if (!ok) throw new E(message);
}

function numel(method: string, shape: readonly number[] | number): number {
  const dims = typeof shape === 'number' ? [shape] : shape;
  const what = `Rng.${method}: shape (${fmt(shape)})`;
  check(Array.isArray(dims), `${what} must be a number or an array of numbers`, TypeError);
  const bad = dims.find((d) => !isCount(d));
  check(bad === undefined, `${what}: dimension (${fmt(bad)}) must be a non-negative integer`);
  return dims.reduce((a, b) => a * b, 1);
}

function finite(method: string, name: string, v: number): void {
  check(
    Number.isFinite(v),
    `Rng.${method}: ${name} (${fmt(v)}) must be a finite number`,
    TypeError,
  );
}

function u32Array(name: keyof RngState, v: unknown, lens: number[]): asserts v is number[] {
  const ok = Array.isArray(v) && lens.includes(v.length) && v.every(isU32);
  const expected = `an array of ${lens.join(' or ')} uint32 values`;
  check(ok, `Rng.fromState: ${name} (${fmt(v)}) must be ${expected}`, TypeError);
}

// Largest float32 strictly below x, so that rounding to float32 can never land on `high`.
function float32Below(x: number): number {
  const f = Math.fround(x);
  if (f < x) return f;
  const buf = new Float32Array([f]),
    bits = new Uint32Array(buf.buffer);
  if (f === 0) bits[0] = 0x80000001;
  else bits[0] += f > 0 ? -1 : 1;
  return buf[0];
}

/**
 * Seeded, counter-based generator. The same seed gives the same stream on every JS engine.
 * @example const rng = new Rng(42); const x = rng.uniform([2, 3]); // Float32Array(6)
 */
export class Rng {
  private k0 = 0;
  private k1 = 0;
  private readonly ctr = new Uint32Array(4); // counter of the next block to compute
  private readonly block = new Uint32Array(4);
  private pos = 4; // index of the next unread word in `block`; 4 means empty

  /**
   * @param seed Integer in [0, 2^64 - 1]; numbers must be safe integers. Low 32 bits become
   *   key[0] and high 32 bits key[1]; the counter starts at 0.
   * @example new Rng(0); new Rng(2n ** 64n - 1n);
   */
  constructor(seed: number | bigint) {
    if (typeof seed === 'bigint') {
      check(seed >= 0n && seed < 1n << 64n, `Rng: seed (${fmt(seed)}) must be in [0, 2^64 - 1]`);
      this.k0 = Number(seed & 0xffffffffn);
      this.k1 = Number(seed >> 32n);
    } else if (typeof seed === 'number') {
      const expected = 'a non-negative safe integer (use a bigint for seeds >= 2^53)';
      check(
        isCount(seed) && seed <= Number.MAX_SAFE_INTEGER,
        `Rng: seed (${seed}) must be ${expected}`,
      );
      this.k0 = seed % TWO_32;
      this.k1 = Math.floor(seed / TWO_32);
    } else {
      throw new TypeError(
        `Rng: seed (${fmt(seed)}) must be a number or bigint, got ${typeof seed}`,
      );
    }
  }

  /**
   * Rebuilds a generator that continues exactly where `state` was taken, even mid-block.
   * @example const b = Rng.fromState(a.state()); b.nextUint32() === a.nextUint32(); // true
   */
  static fromState(state: RngState): Rng {
    const s = (state ?? {}) as Partial<RngState>;
    u32Array('key', s.key, [2]);
    u32Array('counter', s.counter, [4]);
    u32Array('buffered', s.buffered, [0, 1, 2, 3, 4]);
    const rng = new Rng(0);
    rng.k0 = s.key[0];
    rng.k1 = s.key[1];
    rng.ctr.set(s.counter);
    rng.pos = 4 - s.buffered.length;
    rng.block.set(s.buffered, rng.pos);
    return rng;
  }

  /**
   * Deep-copied snapshot of plain number arrays; safe to JSON.stringify.
   * @example const snapshot = rng.state(); // { key: [42, 0], counter: [0, 0, 0, 0], buffered: [] }
   */
  state(): RngState {
    return {
      key: [this.k0, this.k1],
      counter: [this.ctr[0], this.ctr[1], this.ctr[2], this.ctr[3]],
      buffered: Array.from(this.block.subarray(this.pos)),
    };
  }

  /**
   * Returns `n` child generators and ADVANCES this one by 2n draws: each child's key is the next
   * two words of this stream. Splitting therefore depends only on the current state, and
   * repeated splits yield fresh children instead of the same ones.
   * @example const [a, b] = rng.split(2);
   */
  split(n: number): Rng[] {
    check(isCount(n), `Rng.split: n (${fmt(n)}) must be a non-negative integer`);
    return Array.from({ length: n }, () =>
      Rng.fromState({
        key: [this.nextUint32(), this.nextUint32()],
        counter: [0, 0, 0, 0],
        buffered: [],
      }),
    );
  }

  /**
   * Next 32-bit output of the stream, as a number in [0, 2^32).
   * @example new Rng(0).nextUint32() // 0x6627e8d5
   */
  nextUint32(): number {
    if (this.pos === 4) {
      philoxInto(this.ctr, this.k0, this.k1, this.block);
      // 128-bit increment; Uint32Array stores wrap mod 2^32, so carry while a word became 0.
      for (let i = 0; i < 4; i++) {
        this.ctr[i]++;
        if (this.ctr[i] !== 0) break;
      }
      this.pos = 0;
    }
    return this.block[this.pos++];
  }

  /**
   * Uniform floats in [low, high). Uses 24 random bits per value so that every [0, 1) draw is
   * exactly representable in float32; results are clamped below `high` after rounding.
   * @example rng.uniform([2, 2], -1, 1) // Float32Array(4)
   */
  uniform(shape: number[] | number, low = 0, high = 1): Float32Array {
    const n = numel('uniform', shape);
    finite('uniform', 'low', low);
    finite('uniform', 'high', high);
    check(high > low, `Rng.uniform: high (${high}) must be greater than low (${low})`);
    const out = new Float32Array(n),
      span = high - low,
      top = float32Below(high);
    for (let i = 0; i < n; i++)
      out[i] = Math.min(low + span * ((this.nextUint32() >>> 8) * 2 ** -24), top);
    return out;
  }

  /**
   * Normal samples via Box-Muller, both outputs of each pair used (an odd tail drops one).
   * Residual portability risk: Math.log/cos/sin need not be correctly rounded, so engines may
   * differ in the last float64 ulp. Rounding to float32 absorbs that unless the float64 value sits
   * within an ulp of a float32 rounding boundary (~2^-29 per value): then results differ by one
   * float32 ulp.
   * @example rng.normal(1000, 0, 2) // Float32Array(1000), std ~2
   */
  normal(shape: number[] | number, mean = 0, std = 1): Float32Array {
    const n = numel('normal', shape);
    finite('normal', 'mean', mean);
    finite('normal', 'std', std);
    check(std >= 0, `Rng.normal: std (${std}) must be >= 0`);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = (this.nextUint32() + 1) * 2 ** -32; // (0, 1]: log never sees 0
      const theta = 2 * Math.PI * this.nextUint32() * 2 ** -32;
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = mean + std * r * Math.cos(theta);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
    }
    return out;
  }

  /**
   * Uniform integers in [low, high) with no modulo bias; bounds must lie in the int32 range.
   * @example rng.integers(10, 1, 7) // ten dice rolls
   */
  integers(shape: number[] | number, low: number, high: number): Int32Array {
    const n = numel('integers', shape);
    const int32ish = (v: number) => Number.isInteger(v) && v >= -(2 ** 31) && v <= 2 ** 31;
    check(int32ish(low), `Rng.integers: low (${fmt(low)}) must be an integer in [-2^31, 2^31]`);
    check(int32ish(high), `Rng.integers: high (${fmt(high)}) must be an integer in [-2^31, 2^31]`);
    check(high > low, `Rng.integers: high (${high}) must be greater than low (${low})`);
    const out = new Int32Array(n),
      range = high - low;
    for (let i = 0; i < n; i++) out[i] = low + this.below(range);
    return out;
  }

  /**
   * 1 with probability `p`, else 0.
   * @example rng.bernoulli([4, 4], 0.25) // Uint8Array(16)
   */
  bernoulli(shape: number[] | number, p: number): Uint8Array {
    const n = numel('bernoulli', shape);
    check(p >= 0 && p <= 1, `Rng.bernoulli: p (${fmt(p)}) must be in [0, 1]`);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextUint32() * 2 ** -32 < p ? 1 : 0;
    return out;
  }

  /**
   * Random permutation of 0..n-1 (Fisher-Yates on the same unbiased sampler as `integers`).
   * @example rng.permutation(5) // e.g. Int32Array [3, 0, 4, 1, 2]
   */
  permutation(n: number): Int32Array {
    check(
      isCount(n) && n < 2 ** 31,
      `Rng.permutation: n (${fmt(n)}) must be an integer in [0, 2^31)`,
    );
    return this.shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i));
  }

  /**
   * Shuffles `array` in place and returns it.
   * @example rng.shuffle(['a', 'b', 'c'])
   */
  shuffle<T>(array: T[]): T[] {
    check(Array.isArray(array), `Rng.shuffle: array (${fmt(array)}) must be an array`, TypeError);
    return this.shuffleInPlace(array);
  }

  private shuffleInPlace<A extends { length: number; [i: number]: unknown }>(a: A): A {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1),
        t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  // Uniform in [0, range) for 1 <= range <= 2^32: reject the top partial bucket of 2^32 so every
  // residue is equally likely. All values stay exact doubles, no BigInt needed.
  private below(range: number): number {
    const limit = TWO_32 - (TWO_32 % range);
    let u = this.nextUint32();
    while (u >= limit) u = this.nextUint32();
    return u % range;
  }
}
