import { ShapeError } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { toyData, toyMixture } from '../toy.js';
import { modeMetrics } from './modes.js';
import { MetricError } from './points.js';

const { centers, std } = toyMixture('ring8');
const repeat = (p: number[], k: number) => Array.from({ length: k }, () => [...p]);

describe('modeMetrics', () => {
  it('perfect samples: 8/8 modes, all high quality, reverse KL 0', () => {
    const samples = centers.flatMap((c) => repeat(c, 10));
    const m = modeMetrics(samples, centers, std);
    expect(m).toMatchObject({ modesCovered: 8, numModes: 8, highQualityFraction: 1, reverseKL: 0 });
    expect(Array.from(m.perMode)).toEqual(new Array(8).fill(10));
  });

  it('all samples in one mode: 1/8 covered, reverse KL log 8', () => {
    const m = modeMetrics(repeat([2.01, 0], 50), centers, std);
    expect(m.modesCovered).toBe(1);
    expect(m.reverseKL).toBeCloseTo(Math.log(8), 14);
    expect(m.perMode[0]).toBe(50);
  });

  it('far points are low quality and cover nothing', () => {
    const half = [...repeat([0, 0], 50), ...repeat(centers[3], 50)];
    expect(modeMetrics(half, centers, std).highQualityFraction).toBe(0.5);
    const far = modeMetrics(repeat([0, 0], 20), centers, std);
    expect(far).toMatchObject({ modesCovered: 0, highQualityFraction: 0 });
    expect(far.reverseKL).toBeNaN();
  });

  it('uses threshold * std and the 1% rule', () => {
    const near = [[2 + 2.9 * std, 0]];
    const out = [[2 + 3.1 * std, 0]];
    expect(modeMetrics(near, centers, std).highQualityFraction).toBe(1);
    expect(modeMetrics(out, centers, std).highQualityFraction).toBe(0);
    expect(modeMetrics(out, centers, std, { threshold: 4 }).highQualityFraction).toBe(1);
    // 198 samples on mode 0, then 1 or 2 on mode 1 out of 200: 0.5% is not covered, 1% is.
    const base = repeat(centers[0], 198);
    expect(modeMetrics([...base, centers[1], [0, 0]], centers, std).modesCovered).toBe(1);
    expect(modeMetrics([...base, centers[1], centers[1]], centers, std).modesCovered).toBe(2);
  });

  it('true ring8 data: 8/8 modes and P(chi2_2 <= 9) = 1 - e^-4.5 high quality', () => {
    const n = 5000;
    const m = modeMetrics(toyData('ring8', n, 9), centers, std);
    expect(m.modesCovered).toBe(8);
    const p = 1 - Math.exp(-4.5);
    expect(Math.abs(m.highQualityFraction - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    expect(m.reverseKL).toBeLessThan(0.01);
  });

  it('validates inputs', () => {
    expect(() => modeMetrics([[0, 0, 0]], centers, std)).toThrow(ShapeError);
    expect(() => modeMetrics([[0, 0]], centers, 0)).toThrow(MetricError);
    expect(() => modeMetrics([[0, 0]], centers, std, { threshold: -1 })).toThrow(/threshold/);
    expect(() => modeMetrics([[0, 0]], centers, std, { minFraction: 2 })).toThrow(/minFraction/);
  });
});
