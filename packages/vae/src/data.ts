/** Host-side data helpers: flat float images (shape-checked), shuffled batches, tiling for the IWAE bound. */
import { type Batch, Rng, Tensor } from '@genmodels/runtime';
import { firstNonFinite, valueRange } from '@genmodels/runtime/internal';
import { formatImageShape, type ImageShape } from './config.js';
import { VaeError } from './errors.js';

/** Whether x's shape is one of the accepted layouts of images of `shape` (see {@link toFlat}). */
function fitsShape(x: Tensor, [c, h, w]: ImageShape): boolean {
  const s = x.shape;
  if (s.length === 2) return s[1] === c * h * w;
  if (s.length === 4 && s[1] === c && s[2] === h && s[3] === w) return true;
  // Gray: [N, H, W], or channels last [N, H, W, 1] (the same memory as [N, 1, H, W]).
  if (c !== 1 || s[1] !== h || s[2] !== w) return false;
  return s.length === 3 || (s.length === 4 && s[3] === 1);
}

/** The accepted layouts, e.g. "[N, 192] or [N, 3, 8, 8]". */
export function expectedLayouts([c, h, w]: ImageShape): string {
  const d = c * h * w;
  return c === 1
    ? `[N, ${d}], [N, 1, ${h}, ${w}] or [N, ${h}, ${w}]`
    : `[N, ${d}] or [N, ${c}, ${h}, ${w}]`;
}

/** Why x's shape does not fit images of `shape`: both shapes, the accepted layouts, a hint. */
function shapeMismatch(x: Tensor, shape: ImageShape, what: string): VaeError {
  const s = x.shape;
  const [c, h, w] = shape;
  const each =
    s.length >= 3
      ? ` (${formatImageShape(s.slice(1))} each)`
      : s.length === 2
        ? ` (${s[1]} values each)`
        : '';
  const channelsLast =
    c !== 1 && s.length === 4 && s[1] === h && s[2] === w && s[3] === c
      ? `; channels-last images [N, H, W, C] must be transposed to [N, ${c}, ${h}, ${w}]`
      : '';
  return new VaeError(
    `${what}: images [${s.join(', ')}]${each} do not match the model's image shape ${formatImageShape(shape)} (C x H x W); expected images ${expectedLayouts(shape)}${channelsLast}`,
  );
}

/**
 * Images of `shape` [C, H, W] as float32 [N, C*H*W] in [0, 1]: accepts [N, C*H*W],
 * [N, C, H, W], and for gray images (C = 1) [N, H, W] (or [N, H, W, 1]); another shape is
 * a VaeError naming it and the model's. uint8 pixels are divided by 255. Float values must be
 * finite and in [0, 1] (the error names the range found and how to rescale).
 */
export function toFlat(x: Tensor, shape: ImageShape, what = 'x'): Tensor<'float32'> {
  const d = shape[0] * shape[1] * shape[2];
  const n = x.shape[0];
  if (!fitsShape(x, shape)) throw shapeMismatch(x, shape, what);
  if (x.dtype === 'float32') {
    const v = x.data as Float32Array;
    const bad = firstNonFinite(v);
    if (bad >= 0)
      throw new VaeError(
        `${what}: value ${v[bad]} at image ${Math.floor(bad / d)}, pixel ${bad % d}; the data must be finite (no NaN or Infinity)`,
      );
    const [lo, hi] = valueRange(v);
    if (lo < 0 || hi > 1)
      throw new VaeError(
        `${what}: values span [${lo}, ${hi}] but the VAE models pixels in [0, 1]; ${hi > 1 && hi <= 255 ? 'divide 8-bit pixels by 255, or pass them as uint8 (scaled for you)' : 'rescale the data to [0, 1]'}`,
      );
    return new Tensor('float32', [n, d], v);
  }
  if (x.dtype === 'uint8') {
    const src = x.data as Uint8Array;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] / 255;
    return new Tensor('float32', [n, d], out);
  }
  throw new VaeError(`${what}: dtype ${x.dtype} is not supported; expected float32 or uint8`);
}

/**
 * One image of `shape` as float32 [1, C*H*W]: [C*H*W], [C, H, W], or [H, W] for gray images,
 * each with or without a leading batch axis of 1; another shape is a VaeError naming it.
 */
export function oneImage(x: Tensor, shape: ImageShape, what: string): Tensor<'float32'> {
  const batched = x.reshape([1, ...x.shape]);
  if (fitsShape(batched, shape)) return toFlat(batched, shape, what);
  if (x.rank >= 2 && x.shape[0] === 1 && fitsShape(x, shape)) return toFlat(x, shape, what);
  const [c, h, w] = shape;
  const layouts =
    c === 1
      ? `[${h * w}], [1, ${h}, ${w}] or [${h}, ${w}]`
      : `[${c * h * w}] or [${c}, ${h}, ${w}]`;
  throw new VaeError(
    `${what}: expected one image ${layouts} (the model's image shape ${formatImageShape(shape)}, C x H x W), got [${x.shape.join(', ')}]`,
  );
}

/** Each row of x: [N, D] repeated k times in a row: [N * k, D]. */
export function repeatRows(x: Tensor<'float32'>, k: number): Tensor<'float32'> {
  const [n, d] = x.shape;
  const out = new Float32Array(n * k * d);
  for (let i = 0; i < n; i++) {
    const row = x.data.subarray(i * d, (i + 1) * d);
    for (let j = 0; j < k; j++) out.set(row, (i * k + j) * d);
  }
  return new Tensor('float32', [n * k, d], out);
}

/** Re-iterable shuffled batches of x: [N, D], reshuffled per epoch as a function of (seed, epoch). */
export function shuffledBatches(
  x: Tensor<'float32'>,
  batchSize: number,
  seed: number,
): Iterable<Batch> & { length: number } {
  const n = x.shape[0];
  let epoch = 0;
  return {
    length: Math.ceil(n / batchSize),
    *[Symbol.iterator]() {
      const perm = new Rng(seed).split(epoch + 1)[epoch].permutation(n);
      epoch++;
      for (let i = 0; i < n; i += batchSize)
        yield { x: x.takeRows(perm.subarray(i, i + batchSize)) };
    },
  };
}

/** log(mean(exp(v))) computed stably in float64. */
export function logMeanExp(v: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < v.length; i++) m = Math.max(m, v[i]);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i] - m);
  return m + Math.log(s / v.length);
}

/**
 * Uniform dequantization of 8-bit images x: [N, D] in [0, 1] (level k = round(255 x)):
 * (k + u) / 256 with u ~ U[0, 1) from `rng`, so each level fills its own interval of [0, 1].
 */
export function dequantize(x: Tensor<'float32'>, rng: Rng): Tensor<'float32'> {
  const src = x.data;
  const u = rng.uniform(src.length);
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = (Math.round(src[i] * 255) + u[i]) / 256;
  return new Tensor('float32', x.shape, out);
}
