import { Rng, Tensor } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { heldOutMmd, mmd } from '../index.js';

const points = (n: number, seed: number, shift = 0) =>
  new Tensor(
    'float32',
    [n, 2],
    Float32Array.from(new Rng(seed).normal(n * 2), (v) => v + shift),
  );

const affine = (x: Tensor<'float32'>, a: number, b: number) =>
  new Tensor(
    'float32',
    x.shape,
    Float32Array.from(x.data, (v) => a * v + b),
  );

describe('heldOutMmd', () => {
  it('does not depend on the data units; tells apart a shifted set', () => {
    const x = points(300, 1);
    const y = points(300, 2);
    const near = heldOutMmd(x, y);
    expect(heldOutMmd(affine(x, 40, 100), affine(y, 40, 100))).toBeCloseTo(near, 4);
    expect(heldOutMmd(points(300, 3, 2), y)).toBeGreaterThan(10 * Math.abs(near));
  });

  it('compares with a seeded subset of at most maxPoints held-out points', () => {
    const x = points(50, 1);
    const y = points(500, 2);
    const a = heldOutMmd(x, y, { seed: 4, maxPoints: 100 });
    expect(heldOutMmd(x, y, { seed: 4, maxPoints: 100 })).toBe(a);
    expect(heldOutMmd(x, y, { seed: 5, maxPoints: 100 })).not.toBe(a);
    // With every point kept it is the plain MMD after scaling by the held-out statistics.
    expect(heldOutMmd(x, y, { maxPoints: 500 })).toBeCloseTo(
      heldOutMmd(x, y, { maxPoints: 1000 }),
      12,
    );
    expect(Number.isFinite(mmd(x, y))).toBe(true);
  });
});
