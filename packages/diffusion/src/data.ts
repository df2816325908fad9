/** Host-side helpers: data checks and conversion, labels, row selection and the weight EMA. */
import { Tensor } from '@genmodels/runtime';
import { describeTensor, firstNonFinite } from '@genmodels/runtime/internal';
import { type DiffusionConfig, exampleShape } from './config.js';
import { DiffusionError } from './errors.js';
import { diffusionImageShape } from './unet-shape.js';

/** The image layouts a U-Net takes, in words: "[N, 28, 28] or [N, 1, 28, 28] images". */
export function imageLayouts(cfg: DiffusionConfig): string {
  const [c, h, w] = diffusionImageShape(cfg);
  return c === 1 ? `[N, ${h}, ${w}] or [N, 1, ${h}, ${w}] images` : `[N, ${c}, ${h}, ${w}] images`;
}

/** Whether x holds images of the U-Net's shape: [N, C, H, W], or [N, H, W] when C = 1. */
function isImageBatch(x: Tensor, cfg: DiffusionConfig): boolean {
  const [c, h, w] = diffusionImageShape(cfg);
  const s = x.shape;
  return (
    (x.rank === 4 && s[1] === c && s[2] === h && s[3] === w) ||
    (c === 1 && x.rank === 3 && s[1] === h && s[2] === w)
  );
}

/**
 * Training data as float32 [N, ...example shape]: points [N, dataDim]; images [N, C, H, W]
 * (gray: also [N, H, W]), uint8 pixels scaled to [-1, 1] (float32 taken as given, in
 * [-1, 1]). NaN or infinite values are refused.
 */
export function toData(x: Tensor, cfg: DiffusionConfig, where = 'fit'): Tensor<'float32'> {
  const shape = exampleShape(cfg);
  const d = cfg.dataDim;
  const n = x.shape[0];
  const want = cfg.arch === 'unet' ? imageLayouts(cfg) : `[N, ${d}] points`;
  const okShape = cfg.arch === 'unet' ? isImageBatch(x, cfg) : x.rank === 2 && x.shape[1] === d;
  if (!okShape || n === 0)
    throw new DiffusionError(`${where}: expected ${want}, got ${describeTensor(x)}`);
  let out: Float32Array;
  if (x.dtype === 'uint8') {
    const px = x.data as Uint8Array;
    out = new Float32Array(px.length);
    for (let i = 0; i < px.length; i++) out[i] = px[i] / 127.5 - 1;
  } else if (x.dtype === 'float32') {
    out = x.data as Float32Array;
    const i = firstNonFinite(out);
    if (i >= 0)
      throw new DiffusionError(
        `${where}: value ${out[i]} at flat index ${i} (row ${Math.floor(i / d)}) is not finite`,
      );
  } else {
    throw new DiffusionError(`${where}: dtype ${x.dtype}, expected float32 or uint8`);
  }
  return new Tensor('float32', [n, ...shape], out);
}

/** Check class labels: n integers in [0, k); k = 0 (unconditional) refuses any labels. */
export function checkLabels(labels: ArrayLike<number>, n: number, k: number, where: string): void {
  if (k === 0)
    throw new DiffusionError(`${where}: labels given, but this diffusion model is unconditional`);
  if (labels.length !== n)
    throw new DiffusionError(`${where}: ${labels.length} labels for ${n} samples`);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < k))
      throw new DiffusionError(`${where}: label ${c} at ${i} is not a class in 0..${k - 1}`);
  }
}

/** int64 tensor [n] of the labels. */
export function labelTensor(labels: ArrayLike<number>): Tensor<'int64'> {
  return new Tensor(
    'int64',
    [labels.length],
    BigInt64Array.from(Array.from(labels), (v) => BigInt(v)),
  );
}

/**
 * The preset data set a U-Net config trains on and is evaluated against: its `dataset`, or
 * MNIST for a gray 28x28 U-Net without one; undefined for other shapes (and for points).
 */
export function presetImages(cfg: DiffusionConfig): 'mnist' | 'cifar10' | undefined {
  if (cfg.arch !== 'unet') return undefined;
  if (cfg.dataset) return cfg.dataset;
  const [c, h, w] = diffusionImageShape(cfg);
  return c === 1 && h === 28 && w === 28 ? 'mnist' : undefined;
}
