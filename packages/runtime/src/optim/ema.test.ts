import { describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { EMA_PREFIX, emaUpdate, splitPrefixed, withPrefix } from './ema.js';

const t = (...v: number[]) => new Tensor('float32', [v.length], Float32Array.from(v));

describe('EMA of weights', () => {
  it('follows ema <- decay * ema + (1 - decay) * value', () => {
    const ema = { a: t(1, 2) };
    emaUpdate(ema, { a: t(3, 2) }, 0.75);
    expect(Array.from(ema.a.data as Float32Array)).toEqual([1.5, 2]);
    emaUpdate(ema, { a: t(1.5, 3) }, 0.5);
    expect(Array.from(ema.a.data as Float32Array)).toEqual([1.5, 2.5]);
  });

  it('names a missing or resized weight and a decay outside [0, 1]', () => {
    expect(() => emaUpdate({ a: t(1) }, {}, 0.9)).toThrow(ShapeError);
    expect(() => emaUpdate({ a: t(1) }, { a: t(1, 2) }, 0.9)).toThrow("'a' is missing, resized");
    expect(() => emaUpdate({ a: t(1) }, { a: t(1) }, 1.5)).toThrow('decay 1.5 is not in [0, 1]');
  });

  it('prefixes for a checkpoint and splits back', () => {
    const w = t(1);
    const stored = { ...withPrefix({ 'g.w': w }), 'g.w': t(2) };
    expect(Object.keys(stored).sort()).toEqual([`${EMA_PREFIX}g.w`, 'g.w']);
    const { own, prefixed } = splitPrefixed(stored);
    expect(Object.keys(own)).toEqual(['g.w']);
    expect(prefixed?.['g.w']).toBe(w);
    expect(splitPrefixed({ x: w }).prefixed).toBeUndefined();
  });
});
