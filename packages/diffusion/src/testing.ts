/** Seeded tiny configs and data for tests (not exported from the package). */
import { Rng, Tensor } from '@genmodels/runtime';
import type { DiffusionConfig } from './config.js';

/** A small MLP denoiser on 2-D points with T = 50. */
export const TINY_MLP: Partial<DiffusionConfig> = {
  arch: 'mlp',
  hidden: 16,
  layers: 2,
  batchSize: 32,
  timesteps: 50,
  sampleSteps: 50,
  lr: 1e-3,
};

/** A narrow class-conditional U-Net (4-8-8 channels, GroupNorm(4), attention with 2 heads), T = 20. */
export const TINY_UNET: Partial<DiffusionConfig> = {
  arch: 'unet',
  channels: [4, 8, 8],
  groups: 4,
  attentionHeads: 2,
  numClasses: 3,
  batchSize: 4,
  timesteps: 20,
  sampleSteps: 5,
};

/** n points [n, 2] from N(mean, std^2 I). */
export function gaussianPoints(
  n: number,
  mean: [number, number],
  std: number,
  seed: number,
): Tensor<'float32'> {
  const z = new Rng(seed).normal([n, 2]);
  for (let i = 0; i < n; i++) {
    z[2 * i] = mean[0] + std * z[2 * i];
    z[2 * i + 1] = mean[1] + std * z[2 * i + 1];
  }
  return new Tensor('float32', [n, 2], z);
}

/** n random uint8 images [n, 28, 28]. */
export function randomImages(n: number, seed: number): Tensor<'uint8'> {
  const u = new Rng(seed).uniform(n * 784);
  return new Tensor(
    'uint8',
    [n, 28, 28],
    Uint8Array.from(u, (v) => Math.floor(v * 256)),
  );
}

/** A narrow unconditional U-Net on RGB 8x8 images (4-8 channels, two levels, no attention), T = 20. */
export const TINY_RGB: Partial<DiffusionConfig> = {
  arch: 'unet',
  channels: [4, 8],
  groups: 4,
  attentionHeads: 0,
  numClasses: 0,
  imageChannels: 3,
  imageHeight: 8,
  imageWidth: 8,
  batchSize: 4,
  timesteps: 20,
  sampleSteps: 5,
};

/**
 * n images [n, C, H, W] in [0, 1]: a bright bar (horizontal for class 0, vertical for class
 * 1: `i % 2`) at a seeded position in one of three colours, on a dark background.
 */
export function barImages(
  n: number,
  [c, h, w]: readonly number[],
  seed: number,
): Tensor<'float32'> {
  const rng = new Rng(seed);
  const pos = rng.uniform(n);
  const colour = rng.uniform(n);
  const out = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++) {
    const across = i % 2 === 0 ? h : w;
    const at = Math.floor(pos[i] * across);
    const lit = Math.floor(colour[i] * 3);
    for (let ch = 0; ch < c; ch++)
      for (let r = 0; r < h; r++)
        for (let col = 0; col < w; col++) {
          const on = (i % 2 === 0 ? r : col) === at;
          out[((i * c + ch) * h + r) * w + col] = on ? (ch % 3 === lit ? 0.95 : 0.3) : 0.05;
        }
  }
  return new Tensor('float32', [n, c, h, w], out);
}
