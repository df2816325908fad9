/** A tiny binary image set for the example: random horizontal or vertical bars. */
import { Rng, Tensor } from '@genmodels/runtime';

/**
 * n binary images [n, 1, size, size]: each has one, two or three full rows (half the
 * images) or columns (the other half) set to 1, drawn with Rng(seed).
 */
export function bars(n: number, size = 8, seed = 0): Tensor<'float32'> {
  const rng = new Rng(seed);
  const u = rng.uniform([n, 5]);
  const x = new Float32Array(n * size * size);
  for (let b = 0; b < n; b++) {
    const vertical = u[b * 5] < 0.5;
    const count = 1 + Math.floor(u[b * 5 + 1] * 3);
    for (let k = 0; k < count; k++) {
      const line = Math.floor(u[b * 5 + 2 + k] * size);
      for (let t = 0; t < size; t++) {
        const [r, c] = vertical ? [t, line] : [line, t];
        x[b * size * size + r * size + c] = 1;
      }
    }
  }
  return new Tensor('float32', [n, 1, size, size], x);
}
