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

/**
 * n points [n, 2] of a noisy two-turn spiral (radius up to 3 pi), scaled by `scale` and
 * shifted by `shift` in both coordinates: data in units far from the toy sets'.
 */
export function spiralPoints(n: number, seed: number, scale = 1, shift = 0): Tensor<'float32'> {
  const rng = new Rng(seed);
  const u = rng.uniform(n);
  const e = rng.normal([n, 2]);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = Math.sqrt(u[i]) * 3 * Math.PI;
    out[2 * i] = shift + scale * (t * Math.cos(t) + 0.2 * e[2 * i]);
    out[2 * i + 1] = shift + scale * (t * Math.sin(t) + 0.2 * e[2 * i + 1]);
  }
  return new Tensor('float32', [n, 2], out);
}

/** Points [n, d] as CSV text with a header row (x0,x1,...). */
export function pointsCsv(x: Tensor): string {
  const [n, d] = x.shape;
  const v = x.data as Float32Array;
  const lines = [Array.from({ length: d }, (_, j) => `x${j}`).join(',')];
  for (let i = 0; i < n; i++) lines.push(Array.from(v.subarray(i * d, (i + 1) * d)).join(','));
  return `${lines.join('\n')}\n`;
}

/** Column means of points [n, d]. */
export function columnMeans(x: Tensor): number[] {
  const [n, d] = x.shape;
  const v = x.data as Float32Array;
  const m = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j] += v[i * d + j] / n;
  return m;
}
