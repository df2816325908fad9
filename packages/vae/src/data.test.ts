import { Rng, Tensor } from '@genmodels/runtime';
import { describe, expect, it } from 'vitest';
import { dequantize } from './data.js';

describe('dequantize', () => {
  it('puts each 8-bit level k in its own interval [k/256, (k+1)/256), with seeded noise', () => {
    const levels = Float32Array.from({ length: 256 * 4 }, (_, i) => (i % 256) / 255);
    const x = new Tensor('float32', [4, 256], levels);
    const a = dequantize(x, new Rng(3));
    for (let i = 0; i < levels.length; i++) {
      const k = i % 256;
      expect(a.data[i]).toBeGreaterThanOrEqual(k / 256);
      expect(a.data[i]).toBeLessThanOrEqual((k + 1) / 256);
    }
    expect(a.shape).toEqual([4, 256]);
    expect(dequantize(x, new Rng(3)).data).toEqual(a.data);
    expect(dequantize(x, new Rng(4)).data).not.toEqual(a.data);
    // The noise is uniform: its mean over the 1,024 pixels is near 1/2 of a level.
    let mean = 0;
    for (let i = 0; i < levels.length; i++) mean += a.data[i] * 256 - (i % 256);
    expect(mean / levels.length).toBeGreaterThan(0.45);
    expect(mean / levels.length).toBeLessThan(0.55);
  });
});
