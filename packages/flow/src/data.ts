/** Host-side data helpers: validation with clear errors, dequantization, shuffled batches. */
import { type Batch, Rng, Tensor } from '@genmodels/runtime';
import { describeTensor, firstNonFinite } from '@genmodels/runtime/internal';
import { type FlowConfig, flowImageShape, type ImageShape } from './config.js';
import { FlowError } from './errors.js';

/**
 * Points as float32 [N, D] (images [N, H, W] / [N, 1, H, W] are flattened), checked for
 * the dimension and for NaN / infinite values.
 */
export function toPoints(x: Tensor, d: number, where: string): Tensor<'float32'> {
  const n = x.rank >= 1 ? x.shape[0] : 0;
  if (x.rank < 2 || x.size !== n * d)
    throw new FlowError(
      `${where}: expected points [N, ${d}]${d === 784 ? ' (or images [N, 28, 28])' : ''}, got ${describeTensor(x)}`,
    );
  if (n === 0) throw new FlowError(`${where}: no points (N = 0)`);
  let data: Float32Array;
  if (x.dtype === 'float32') data = x.data as Float32Array;
  else if (x.dtype === 'uint8') data = Float32Array.from(x.data as Uint8Array);
  else
    throw new FlowError(`${where}: dtype ${x.dtype} is not supported; expected float32 or uint8`);
  const i = firstNonFinite(data);
  if (i >= 0)
    throw new FlowError(
      `${where}: value ${data[i]} at point ${Math.floor(i / d)}, coordinate ${i % d}; the data must be finite (no NaN or Infinity)`,
    );
  return new Tensor('float32', [n, d], data);
}

/** Points [N, d] of rank 2 (a FlowError naming `where` and the shape otherwise), finite float32. */
export function pointsOf(x: Tensor, d: number, where: string): Tensor<'float32'> {
  if (x.rank !== 2 || x.shape[1] !== d)
    throw new FlowError(
      `${where}: expected points [N, ${d}] (this flow models ${d}-D points), got ${describeTensor(x)}`,
    );
  return toPoints(x, d, where);
}

/** Pixel data: integers 0..255 (uint8, or float32 holding integers). */
export function toPixels(x: Tensor, d: number, where: string): Tensor<'float32'> {
  const p = toPoints(x, d, where);
  const v = p.data;
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0 && v[i] <= 255 && Number.isInteger(v[i])))
      throw new FlowError(
        `${where}: pixel value ${v[i]} at image ${Math.floor(i / d)}, pixel ${i % d}; expected integers in [0, 255] (raw 8-bit pixels, not scaled to [0, 1])`,
      );
  }
  return p;
}

/** Inputs of the model density for pixel configs: dequantized y in [0, 1]^D. */
export function toUnit(x: Tensor, d: number, where: string): Tensor<'float32'> {
  const p = toPoints(x, d, where);
  const v = p.data;
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0 && v[i] <= 1))
      throw new FlowError(
        `${where}: value ${v[i]} at point ${Math.floor(i / d)}, coordinate ${i % d}; this flow models dequantized pixels y = (x + u) / 256 in [0, 1]`,
      );
  }
  return p;
}

/** The layouts images of `shape` are taken in, for messages: "[N, 3, 32, 32] or [N, 3072]". */
function imageLayouts([c, h, w]: ImageShape): string {
  return `[N, ${c}, ${h}, ${w}]${c === 1 ? `, [N, ${h}, ${w}]` : ''} or [N, ${c * h * w}]`;
}

/**
 * The data a config trains on, validated: pixels for pixel configs (images [N, C, H, W],
 * flattened in that memory order), finite points otherwise.
 */
export function toData(x: Tensor, cfg: FlowConfig, where: string): Tensor<'float32'> {
  if (!cfg.pixels) return toPoints(x, cfg.dim, where);
  const shape = flowImageShape(cfg);
  const n = x.rank >= 1 ? x.shape[0] : 0;
  if (shape && (x.rank < 2 || x.size !== n * cfg.dim))
    throw new FlowError(
      `${where}: expected images ${imageLayouts(shape)} of integer pixels 0..255, got ${describeTensor(x)}`,
    );
  return toPixels(x, cfg.dim, where);
}

/** Images in [0, 1] (float32, e.g. read from a folder) as 8-bit pixels: round(255 v), uint8, same shape. */
export function quantizePixels(images: Tensor): Tensor<'uint8'> {
  const v = images.data as Float32Array;
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.round(255 * Math.min(1, Math.max(0, v[i])));
  return new Tensor('uint8', [...images.shape], out);
}

/** Uniform dequantization y = (x + u) / 256, u ~ U[0, 1) from rng: pixels [N, D] -> [N, D] in [0, 1). */
export function dequantize(pixels: Tensor<'float32'>, rng: Rng): Tensor<'float32'> {
  const v = pixels.data;
  const u = rng.uniform(v.length);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.min((v[i] + u[i]) / 256, 1 - 2 ** -24);
  return new Tensor('float32', [...pixels.shape], out);
}

/** Rows [start, end) of a [N, D] tensor. */
export function rowRange(x: Tensor<'float32'>, start: number, end: number): Tensor<'float32'> {
  const d = x.shape[1];
  return new Tensor('float32', [end - start, d], x.data.subarray(start * d, end * d));
}

/**
 * Re-iterable shuffled batches `{ x }` of x [N, D], reshuffled per epoch as a function of
 * (seed, epoch); pixel data are dequantized afresh in every batch.
 */
export function shuffledBatches(
  x: Tensor<'float32'>,
  batchSize: number,
  seed: number,
  pixels: boolean,
): Iterable<Batch> & { length: number } {
  const n = x.shape[0];
  let epoch = 0;
  return {
    length: Math.ceil(n / batchSize),
    *[Symbol.iterator]() {
      const [permRng, noiseRng] = new Rng(seed).split(epoch + 1)[epoch].split(2);
      const perm = permRng.permutation(n);
      epoch++;
      for (let i = 0; i < n; i += batchSize) {
        const b = x.takeRows(perm.subarray(i, i + batchSize));
        yield { x: pixels ? dequantize(b, noiseRng) : b };
      }
    },
  };
}
