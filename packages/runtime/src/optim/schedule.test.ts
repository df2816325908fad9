import { describe, expect, it } from 'vitest';
import { constant, cosine, linearWarmup } from './schedule.js';

// Expected values are worked out by hand from nanoGPT's get_lr(it):
//   it < warmup: lr * (it + 1) / (warmup + 1); it > total: minLr;
//   else minLr + 0.5 * (1 + cos(pi * (it - warmup) / (total - warmup))) * (lr - minLr).
describe('learning-rate schedules', () => {
  it('constant(0.1) at iterations 0, 1, 1234', () => {
    const f = constant(0.1);
    expect([f(0), f(1), f(1234)]).toEqual([0.1, 0.1, 0.1]);
  });

  const warmup: [number, number][] = [
    [0, 1e-4],
    [4, 5e-4],
    [8, 9e-4],
    [9, 1e-3],
    [500, 1e-3],
  ];
  for (const [it_, want] of warmup) {
    it(`linearWarmup(1e-3, 9) at iteration ${it_} = ${want}`, () => {
      expect(linearWarmup(1e-3, 9)(it_)).toBeCloseTo(want, 12);
    });
  }

  // warmup 100, total 1100, lr 1e-3, minLr 1e-4: the decay spans 1000 iterations.
  const cos: [number, number][] = [
    [0, 1e-3 / 101],
    [49, 5e-4 * (100 / 101)],
    [99, 1e-3 * (100 / 101)],
    [100, 1e-3],
    [350, 1e-4 + 0.5 * (1 + Math.SQRT1_2) * 9e-4], // ratio 1/4: cos(pi/4)
    [600, 1e-4 + 0.5 * 9e-4], // ratio 1/2: cos(pi/2) = 0
    [850, 1e-4 + 0.5 * (1 - Math.SQRT1_2) * 9e-4], // ratio 3/4
    [1100, 1e-4],
    [5000, 1e-4],
  ];
  for (const [it_, want] of cos) {
    it(`cosine(1e-3, warmup 100, total 1100, minLr 1e-4) at iteration ${it_} = ${want.toPrecision(6)}`, () => {
      expect(cosine(1e-3, { warmupSteps: 100, totalSteps: 1100, minLr: 1e-4 })(it_)).toBeCloseTo(
        want,
        12,
      );
    });
  }

  it('cosine without warmup starts at lr and defaults minLr to 0', () => {
    const f = cosine(0.1, { totalSteps: 10 });
    expect(f(0)).toBe(0.1);
    expect(f(5)).toBeCloseTo(0.05, 12);
    expect(f(10)).toBeCloseTo(0, 12);
    expect(f(11)).toBe(0);
  });

  it('rejects bad settings', () => {
    expect(() => cosine(1, { warmupSteps: 10, totalSteps: 10 })).toThrow(
      'cosine: totalSteps (10) must exceed warmupSteps (10)',
    );
    expect(() => linearWarmup(1e-3, -1)).toThrow(
      'linearWarmup: warmupSteps must be a finite number >= 0',
    );
    expect(() => constant(Number.NaN)).toThrow(
      'constant: lr must be a finite number >= 0, got NaN',
    );
  });
});
