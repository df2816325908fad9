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

/**
 * n seeded RGB images uint8 [n, 3, s, s]: even rows a red horizontal ramp, odd rows blue
 * vertical bars, each with pixel noise (two classes that look different).
 */
export function rgbImages(n: number, s: number, seed: number): Tensor<'uint8'> {
  const noise = new Rng(seed).uniform(n * 3 * s * s, 0, 40);
  const out = new Uint8Array(n * 3 * s * s);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s; x++) {
        const on = i % 2 === 0 ? x / Math.max(1, s - 1) : (x + i) % 3 === 0 ? 1 : 0;
        const rgb = i % 2 === 0 ? [215 * on, 40, 40] : [30, 60, 215 * on];
        for (let c = 0; c < 3; c++) {
          const k = ((i * 3 + c) * s + y) * s + x;
          out[k] = Math.min(255, Math.round(rgb[c] + noise[k]));
        }
      }
  return new Tensor('uint8', [n, 3, s, s], out);
}

/**
 * Write `images` (uint8 [n, 3, s, s]) as PNG files into `dir`: `sub(i)/NN.png` (a class
 * subfolder per image), or `NN.png` at the top when `sub` is not given.
 */
export async function writeImageFolder(
  dir: string,
  images: Tensor<'uint8'>,
  sub?: (i: number) => string,
): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { encodePng } = await import('@genmodels/datasets');
  const [n, c, s] = images.shape;
  const px = images.data;
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(s * s * c);
    for (let p = 0; p < s * s; p++)
      for (let ch = 0; ch < c; ch++) data[p * c + ch] = px[(i * c + ch) * s * s + p];
    const folder = sub ? join(dir, sub(i)) : dir;
    await mkdir(folder, { recursive: true });
    await writeFile(
      join(folder, `${String(i).padStart(2, '0')}.png`),
      encodePng({ width: s, height: s, channels: 3, data }),
    );
  }
}
