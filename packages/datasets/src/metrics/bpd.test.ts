import { describe, expect, it } from 'vitest';
import { bitsPerDim } from './bpd.js';
import { MetricError } from './points.js';

describe('bitsPerDim', () => {
  it('gives 8 for the uniform density on [0, 1]^D (nll = 0)', () => {
    expect(bitsPerDim(0, 784)).toBe(8);
  });

  it('is nll / (D ln 2) + log2(levels)', () => {
    expect(bitsPerDim(784 * Math.LN2, 784)).toBeCloseTo(9, 14);
    expect(bitsPerDim(-1000, 784)).toBeCloseTo(8 - 1000 / (784 * Math.LN2), 14);
    expect(bitsPerDim(3 * Math.LN2, 3, { levels: 1 })).toBeCloseTo(1, 14);
    expect(bitsPerDim(0, 10, { levels: 2 })).toBe(1);
  });

  it('averages per-example values', () => {
    expect(bitsPerDim([10, 20], 2, { levels: 1 })).toBeCloseTo(15 / (2 * Math.LN2), 14);
    expect(bitsPerDim(Float64Array.from([0, 0, 0]), 5)).toBe(8);
  });

  it('rejects bad dims, levels and nll', () => {
    expect(() => bitsPerDim(1, 0)).toThrow(/dims \(0\) must be a positive integer/);
    expect(() => bitsPerDim(1, 2.5)).toThrow(MetricError);
    expect(() => bitsPerDim(1, 2, { levels: 0.5 })).toThrow(/levels/);
    expect(() => bitsPerDim([], 2)).toThrow(/empty/);
    expect(() => bitsPerDim(Number.NaN, 2)).toThrow(/must be finite/);
  });
});
