/** Seeded synthetic images for tests and the install check (not exported from the package). */
import { Rng, Tensor } from '@genmodels/runtime';

/**
 * n images [n, size*size] in [0, 1]: a bright horizontal or vertical bar at a random
 * position, blurred by neighbours, so a VAE has real structure to learn.
 */
export function barImages(n: number, size: number, seed: number): Tensor<'float32'> {
  const rng = new Rng(seed);
  const pos = rng.integers(n, 0, size);
  const dir = rng.integers(n, 0, 2);
  const out = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const d = Math.abs((dir[i] === 0 ? r : c) - pos[i]);
        out[i * size * size + r * size + c] = d === 0 ? 0.95 : d === 1 ? 0.4 : 0.02;
      }
    }
  }
  return new Tensor('float32', [n, size * size], out);
}
