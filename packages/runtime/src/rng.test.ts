import { describe, expect, it } from 'vitest';
import { mulhi32, philox4x32, Rng, type RngState } from './rng.js';

const hex = (xs: ArrayLike<number>) =>
  Array.from(xs, (x) => `0x${(x >>> 0).toString(16).padStart(8, '0')}`);

function moments(xs: ArrayLike<number>) {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  const mean = s / n;
  let m2 = 0,
    m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m4 /= n;
  return { mean, variance: m2, std: Math.sqrt(m2), excessKurtosis: m4 / (m2 * m2) - 3 };
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>) {
  const ma = moments(a).mean,
    mb = moments(b).mean;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma,
      db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

const draw = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.nextUint32());

describe('philox4x32 block function', () => {
  it('matches the Random123 known-answer vectors', () => {
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toEqual(
      hex([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
    );
    expect(
      hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])),
    ).toEqual(hex([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]));
    expect(
      hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])),
    ).toEqual(hex([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]));
  });

  it('mulhi32 agrees with BigInt on edge and pseudo-random operands', () => {
    const ops = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xd2511f53, 0xcd9e8d57];
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) ops.push(rng.nextUint32());
    for (const a of ops) {
      for (const b of ops) {
        expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
      }
    }
  });
});

describe('Rng stream and state', () => {
  it('maps the seed to the key and starts at counter 0, consuming words in block order', () => {
    expect(hex(draw(new Rng(0), 4))).toEqual(hex(philox4x32([0, 0, 0, 0], [0, 0])));
    expect(hex(draw(new Rng(0n), 8).slice(4))).toEqual(hex(philox4x32([1, 0, 0, 0], [0, 0])));
    expect(new Rng(0x1fffff * 2 ** 32 + 0xa4093822).state().key).toEqual([0xa4093822, 0x1fffff]);
    expect(new Rng(Number.MAX_SAFE_INTEGER).state().key).toEqual([0xffffffff, 0x1fffff]);
    expect(new Rng(0x299f31d0a4093822n).state().key).toEqual([0xa4093822, 0x299f31d0]);
    expect(new Rng(2n ** 64n - 1n).state().key).toEqual([0xffffffff, 0xffffffff]);
  });

  it('carries the 128-bit counter across all words and wraps to zero', () => {
    const rng = Rng.fromState({
      key: [0xffffffff, 0xffffffff],
      counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      buffered: [],
    });
    expect(hex(draw(rng, 4))).toEqual(hex([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]));
    expect(rng.state().counter).toEqual([0, 0, 0, 0]);
    const r2 = Rng.fromState({
      key: [1, 2],
      counter: [0xffffffff, 0xffffffff, 5, 0],
      buffered: [],
    });
    r2.nextUint32();
    expect(r2.state().counter).toEqual([0, 0, 6, 0]);
  });

  it('same seed gives identical sequences across all samplers; different seeds differ', () => {
    const run = (seed: number) => {
      const r = new Rng(seed);
      return [
        draw(r, 7),
        Array.from(r.uniform(5)),
        Array.from(r.normal([3])),
        Array.from(r.integers(4, -3, 9)),
        Array.from(r.bernoulli(6, 0.3)),
        Array.from(r.permutation(8)),
        r.shuffle([1, 2, 3, 4, 5]),
      ];
    };
    expect(run(123)).toEqual(run(123));
    expect(draw(new Rng(123), 16)).not.toEqual(draw(new Rng(124), 16));
    expect(draw(new Rng(1), 16)).not.toEqual(draw(new Rng(2 ** 32), 16));
  });

  it('state()/fromState round-trips mid-block, through JSON, and is a deep copy', () => {
    const a = new Rng(99);
    draw(a, 5); // odd: leaves 3 words buffered
    const s = a.state();
    expect(s.buffered).toHaveLength(3);
    const json: RngState = JSON.parse(JSON.stringify(s));
    expect(json).toEqual(s);
    const b = Rng.fromState(json);
    const c = Rng.fromState(s);
    const expected = draw(a, 11);
    expect(draw(b, 11)).toEqual(expected);
    expect(draw(c, 11)).toEqual(expected);
    // Mutating a snapshot must not touch the generator, and later snapshots are independent.
    const d = new Rng(5);
    const snap = d.state();
    snap.key[0] = 1234;
    snap.counter[0] = 77;
    expect(d.state()).toEqual(new Rng(5).state());
    // A restored float stream also continues identically.
    const e = new Rng(3);
    e.normal(3);
    const f = Rng.fromState(e.state());
    expect(Array.from(f.uniform(9))).toEqual(Array.from(e.uniform(9)));
  });
});

describe('exact mapping from raw words (buffered state injects chosen uint32s)', () => {
  const withWords = (...buffered: number[]) =>
    Rng.fromState({ key: [0, 0], counter: [0, 0, 0, 0], buffered });

  it('uniform uses the top 24 bits and never reaches 1', () => {
    expect(Array.from(withWords(0, 0x100, 0xffffffff).uniform(3))).toEqual([
      0,
      2 ** -24,
      1 - 2 ** -24,
    ]);
  });

  it('normal maps u1 = 1 to the mean and u1 word 0 to a finite tail (no log(0))', () => {
    expect(Array.from(withWords(0xffffffff, 123, 0xffffffff, 0).normal(2, 3, 2))).toEqual([3, 3]);
    const tail = withWords(0, 0, 0, 0).normal(2);
    expect(tail[0]).toBeCloseTo(Math.sqrt(64 * Math.LN2), 5); // r * cos(0)
    expect(tail[1]).toBe(0); // r * sin(0)
  });

  it('integers rejects the partial top bucket instead of taking a biased modulo', () => {
    // range 3: limit = 2^32 - 1, so 0xffffffff is rejected and 5 % 3 = 2 is used.
    expect(Array.from(withWords(0xffffffff, 5).integers(1, 10, 13))).toEqual([12]);
    expect(Array.from(withWords(0xfffffffe).integers(1, 10, 13))).toEqual([10 + (0xfffffffe % 3)]);
  });

  it('bernoulli compares u / 2^32 against p', () => {
    expect(Array.from(withWords(0x7fffffff, 0x80000000).bernoulli(2, 0.5))).toEqual([1, 0]);
  });
});

describe('statistics (fixed seeds)', () => {
  const N = 100_000;

  it('uniform: mean ~ 1/2, variance ~ 1/12, range [0, 1)', () => {
    const xs = new Rng(2024).uniform([100, 1000]);
    expect(xs).toHaveLength(N);
    const { mean, variance } = moments(xs);
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / N));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('uniform: scaled range stays in [low, high) even when float32 rounding would hit high', () => {
    const ys = new Rng(1).uniform(10_000, -3, 5);
    expect(Math.min(...ys)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...ys)).toBeLessThan(5);
    expect(Math.abs(moments(ys).mean - 1)).toBeLessThan(5 * 8 * Math.sqrt(1 / 12 / 10_000));
    const high = 1 + 2 ** -23; // next float32 after 1: half of all draws would round up to it
    const zs = new Rng(2).uniform(1000, 1, high);
    for (const z of zs) expect(z === 1).toBe(true);
  });

  it('normal: mean ~ 0, std ~ 1, excess kurtosis ~ 0, and mean/std parameters apply', () => {
    const xs = new Rng(77).normal(N);
    const { mean, std, excessKurtosis } = moments(xs);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(std - 1)).toBeLessThan(5 * Math.sqrt(0.5 / N));
    expect(Math.abs(excessKurtosis)).toBeLessThan(5 * Math.sqrt(24 / N));
    expect(xs.every(Number.isFinite)).toBe(true);
    const ys = moments(new Rng(78).normal([N / 10, 10], 3, 0.5));
    expect(Math.abs(ys.mean - 3)).toBeLessThan((5 * 0.5) / Math.sqrt(N));
    expect(Math.abs(ys.std - 0.5)).toBeLessThan(5 * 0.5 * Math.sqrt(0.5 / N));
    // Odd lengths are filled completely (last pair's second output dropped).
    expect(new Rng(1).normal(3)[2]).not.toBe(0);
  });

  it('integers: cover [low, high) exactly with roughly equal counts', () => {
    const low = -5,
      high = 8,
      k = high - low;
    const xs = new Rng(31337).integers(N, low, high);
    const counts = new Array<number>(k).fill(0);
    let outside = 0;
    for (const x of xs) {
      if (x < low || x >= high) outside++;
      else counts[x - low]++;
    }
    expect(outside).toBe(0);
    const expected = N / k;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    const df = k - 1;
    expect(chi2).toBeLessThan(df + 5 * Math.sqrt(2 * df));
    expect(counts.every((c) => c > 0)).toBe(true);
    // Full int32 range (range = 2^32) and a single-value range.
    const wide = new Rng(4).integers(1000, -(2 ** 31), 2 ** 31);
    expect(wide.some((x) => x < 0) && wide.some((x) => x > 0)).toBe(true);
    expect(Array.from(new Rng(4).integers(5, 9, 10))).toEqual([9, 9, 9, 9, 9]);
  });

  it('bernoulli: frequency ~ p, and p = 0 / p = 1 are exact', () => {
    for (const p of [0.1, 0.5, 0.93]) {
      const xs = new Rng(Math.round(p * 100)).bernoulli(N, p);
      const freq = xs.reduce((s, x) => s + x, 0) / N;
      expect(Math.abs(freq - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
      expect(xs.every((x) => x === 0 || x === 1)).toBe(true);
    }
    expect(new Rng(1).bernoulli(1000, 0).every((x) => x === 0)).toBe(true);
    expect(new Rng(1).bernoulli(1000, 1).every((x) => x === 1)).toBe(true);
  });

  it('permutation is a permutation and shuffle works in place', () => {
    const rng = new Rng(8);
    for (const n of [0, 1, 2, 10, 1000]) {
      const p = rng.permutation(n);
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect(Array.from(rng.permutation(50))).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    // Every position is hit roughly uniformly by element 0 over many small permutations.
    const hits = new Array<number>(5).fill(0);
    for (let t = 0; t < 20_000; t++) hits[rng.permutation(5).indexOf(0)]++;
    for (const h of hits)
      expect(Math.abs(h - 4000)).toBeLessThan(5 * Math.sqrt(20_000 * 0.2 * 0.8));
    const arr = ['a', 'b', 'c', 'd', 'e', 'f'];
    const out = rng.shuffle(arr);
    expect(out).toBe(arr);
    expect([...arr].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('split: children are deterministic, distinct from each other and the parent, and uncorrelated', () => {
    const parent = new Rng(11);
    const before = parent.state();
    const kids = parent.split(3);
    expect(kids).toHaveLength(3);
    // Documented: split advances the parent by 2 draws per child.
    expect(parent.state()).not.toEqual(before);
    const again = Rng.fromState(before).split(3);
    expect(again.map((k) => k.state())).toEqual(kids.map((k) => k.state()));
    const fresh = parent.split(3);
    expect(fresh.map((k) => k.state().key)).not.toEqual(kids.map((k) => k.state().key));

    const n = 20_000;
    const streams = [parent, ...kids].map((r) => r.uniform(n));
    const keys = new Set([parent, ...kids].map((r) => r.state().key.join(',')));
    expect(keys.size).toBe(4);
    for (let i = 0; i < streams.length; i++) {
      for (let j = i + 1; j < streams.length; j++) {
        expect(Array.from(streams[i].subarray(0, 16))).not.toEqual(
          Array.from(streams[j].subarray(0, 16)),
        );
        expect(Math.abs(correlation(streams[i], streams[j]))).toBeLessThan(5 / Math.sqrt(n));
      }
    }
    expect(new Rng(1).split(0)).toEqual([]);
  });
});

describe('argument validation', () => {
  it('rejects bad seeds', () => {
    expect(() => new Rng(-1)).toThrow(RangeError);
    expect(() => new Rng(1.5)).toThrow(/Rng: seed \(1\.5\) must be a non-negative safe integer/);
    expect(() => new Rng(2 ** 53)).toThrow(RangeError);
    expect(() => new Rng(NaN)).toThrow(RangeError);
    expect(() => new Rng(-1n)).toThrow(/seed \(-1n\) must be in \[0, 2\^64 - 1\]/);
    expect(() => new Rng(2n ** 64n)).toThrow(RangeError);
    expect(() => new Rng('1' as unknown as number)).toThrow(TypeError);
  });

  it('rejects bad shapes and parameters with messages naming method, value and expectation', () => {
    const rng = new Rng(0);
    expect(() => rng.uniform(-1)).toThrow(
      /Rng\.uniform: shape \(-1\): dimension \(-1\) must be a non-negative integer/,
    );
    expect(() => rng.normal([2, -3])).toThrow(/Rng\.normal: shape \(\[2, -3\]\): dimension \(-3\)/);
    expect(() => rng.uniform([2.5])).toThrow(RangeError);
    expect(() => rng.uniform('3' as unknown as number)).toThrow(TypeError);
    expect(() => rng.uniform(3, 1, 1)).toThrow(
      'Rng.uniform: high (1) must be greater than low (1)',
    );
    expect(() => rng.uniform(3, 0, Infinity)).toThrow(
      /Rng\.uniform: high \(Infinity\) must be a finite number/,
    );
    expect(() => rng.normal(3, 0, -1)).toThrow('Rng.normal: std (-1) must be >= 0');
    expect(() => rng.normal(3, NaN)).toThrow(TypeError);
    expect(() => rng.integers(3, 5, 3)).toThrow(
      'Rng.integers: high (3) must be greater than low (5)',
    );
    expect(() => rng.integers(3, 0.5, 3)).toThrow(/Rng\.integers: low \(0\.5\) must be an integer/);
    expect(() => rng.integers(3, 0, 2 ** 31 + 1)).toThrow(/Rng\.integers: high \(2147483649\)/);
    expect(() => rng.bernoulli(3, 1.5)).toThrow('Rng.bernoulli: p (1.5) must be in [0, 1]');
    expect(() => rng.bernoulli(3, -0.1)).toThrow(RangeError);
    expect(() => rng.bernoulli(3, NaN)).toThrow(RangeError);
    expect(() => rng.permutation(-2)).toThrow(/Rng\.permutation: n \(-2\)/);
    expect(() => rng.split(1.5)).toThrow(/Rng\.split: n \(1\.5\)/);
    expect(() => rng.shuffle({} as unknown as number[])).toThrow(TypeError);
  });

  it('rejects malformed states', () => {
    const good = new Rng(1).state();
    expect(() => Rng.fromState({ ...good, key: [1] as unknown as [number, number] })).toThrow(
      /Rng\.fromState: key/,
    );
    expect(() => Rng.fromState({ ...good, counter: [0, 0, 0, -1] })).toThrow(
      /Rng\.fromState: counter/,
    );
    expect(() => Rng.fromState({ ...good, buffered: [1, 2, 3, 4, 5] })).toThrow(
      /Rng\.fromState: buffered/,
    );
    expect(() => Rng.fromState({ ...good, buffered: [2 ** 32] })).toThrow(TypeError);
    expect(() => Rng.fromState(null as unknown as RngState)).toThrow(TypeError);
  });
});
