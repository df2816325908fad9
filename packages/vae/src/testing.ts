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

/**
 * n images [n, C, H, W] in [0, 1]: a horizontal or vertical bar at a random position in one
 * of six colours (per channel 0.95 or 0.1, channels beyond the third cycle), blurred by
 * neighbours, on a dark background: the colour gives the channels something to learn.
 */
export function colorBarImages(
  n: number,
  [c, h, w]: readonly [number, number, number],
  seed: number,
): Tensor<'float32'> {
  const palette = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [1, 1, 0],
    [0, 1, 1],
    [1, 0, 1],
  ];
  const rng = new Rng(seed);
  const dir = rng.integers(n, 0, 2);
  const pos = rng.integers(n, 0, Math.min(h, w));
  const colour = rng.integers(n, 0, palette.length);
  const out = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const on = palette[colour[i]][ch % 3] === 1;
      for (let r = 0; r < h; r++) {
        for (let col = 0; col < w; col++) {
          const d = Math.abs((dir[i] === 0 ? r : col) - pos[i]);
          const v = d === 0 ? (on ? 0.95 : 0.1) : d === 1 ? (on ? 0.4 : 0.05) : 0.02;
          out[((i * c + ch) * h + r) * w + col] = v;
        }
      }
    }
  }
  return new Tensor('float32', [n, c, h, w], out);
}
