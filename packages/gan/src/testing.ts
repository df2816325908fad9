/** Seeded tiny configs and data for tests (not exported from the package). */
import { Rng, Tensor } from '@genmodels/runtime';
import type { GanConfig } from './config.js';

/** A small MLP GAN on 2-D points. */
export const TINY_MLP: Partial<GanConfig> = { arch: 'mlp', hidden: 16, batchSize: 32, lr: 1e-3 };

/** A narrow DCGAN (c = 4, z 8) with BatchNorm, optionally conditional. */
export function tinyDcgan(numClasses = 0): Partial<GanConfig> {
  return { arch: 'dcgan', hidden: 4, zDim: 8, batchSize: 8, numClasses };
}

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
