/** Host-side helpers: flat data, one-hot labels, row selection, noise and the weight EMA. */
import { type Rng, Tensor } from '@genmodels/runtime';
import { describeTensor, firstNonFinite, valueRange } from '@genmodels/runtime/internal';
import { formatImageShape, type ImageShape } from './config.js';
import { GanError } from './errors.js';

/**
 * Data as float32 [N, d]: any tensor of N rows of d values (points [N, d]; images of an
 * image GAN are checked by {@link imagesOf} first); float32 as given, uint8 pixels scaled to
 * [-1, 1] (the range of the generator's tanh). NaN or infinite values are refused.
 */
export function toFlat(x: Tensor, d: number, where = 'data'): Tensor<'float32'> {
  const n = x.shape[0];
  if (x.rank < 2 || x.size !== n * d)
    throw new GanError(
      `${where}: expected [N, ${d}]${d === 784 ? ' or [N, 28, 28] images' : ''}, got [${x.shape.join(', ')}]`,
    );
  if (x.dtype === 'uint8') {
    const px = x.data as Uint8Array;
    const out = new Float32Array(px.length);
    for (let i = 0; i < px.length; i++) out[i] = px[i] / 127.5 - 1;
    return new Tensor('float32', [n, d], out);
  }
  if (x.dtype !== 'float32')
    throw new GanError(`${where}: dtype ${x.dtype}, expected float32 or uint8`);
  const bad = firstNonFinite(x.data as Float32Array);
  if (bad >= 0)
    throw new GanError(
      `${where}: value ${x.data[bad]} at row ${Math.floor(bad / d)}, column ${bad % d}; the data must be finite (no NaN or Infinity)`,
    );
  return new Tensor('float32', [n, d], x.data as Float32Array);
}

/** Whether x's shape is one of the accepted layouts of images of `shape` (see {@link imagesOf}). */
function fitsImageShape(x: Tensor, [c, h, w]: ImageShape): boolean {
  const s = x.shape;
  if (s.length === 2) return s[1] === c * h * w;
  if (s.length === 4 && s[1] === c && s[2] === h && s[3] === w) return true;
  // Gray: [N, H, W], or channels last [N, H, W, 1] (the same memory as [N, 1, H, W]).
  if (c !== 1 || s[1] !== h || s[2] !== w) return false;
  return s.length === 3 || (s.length === 4 && s[3] === 1);
}

/** The accepted layouts of images of `shape`, e.g. "[N, 192] or [N, 3, 8, 8]". */
export function imageLayouts([c, h, w]: ImageShape): string {
  const d = c * h * w;
  return c === 1
    ? `[N, ${d}], [N, 1, ${h}, ${w}] or [N, ${h}, ${w}]`
    : `[N, ${d}] or [N, ${c}, ${h}, ${w}]`;
}

/**
 * Images of `shape` [C, H, W] as float32 [N, C*H*W] in the generator's range [-1, 1]:
 * [N, C*H*W], [N, C, H, W], or for gray images [N, H, W]; another shape is a GanError naming
 * both shapes. uint8 pixels are scaled to [-1, 1] (p / 127.5 - 1); float32 values must be
 * finite and, with `checkRange`, in [-1, 1] (fit takes them as they are, as before).
 */
export function imagesOf(
  x: Tensor,
  shape: ImageShape,
  where: string,
  checkRange = false,
): Tensor<'float32'> {
  const [c, h, w] = shape;
  const d = c * h * w;
  if (!fitsImageShape(x, shape)) {
    const channelsLast =
      c !== 1 && x.rank === 4 && x.shape[1] === h && x.shape[2] === w && x.shape[3] === c
        ? `; channels-last images [N, H, W, C] must be transposed to [N, ${c}, ${h}, ${w}]`
        : '';
    throw new GanError(
      `${where}: images ${describeTensor(x)} do not match the GAN's image shape ${formatImageShape(shape)} (C x H x W); expected ${imageLayouts(shape)}${channelsLast}`,
    );
  }
  if (x.shape[0] === 0) throw new GanError(`${where}: no images (N = 0)`);
  const flat = toFlat(x, d, where);
  if (checkRange && x.dtype === 'float32') {
    const [lo, hi] = valueRange(flat.data);
    if (lo < -1 || hi > 1)
      throw new GanError(
        `${where}: values span [${lo}, ${hi}], but the GAN's images are in [-1, 1] (the range of its tanh); ${hi > 1 && hi <= 255 ? 'pass 8-bit pixels as uint8 (scaled for you), or ' : ''}rescale: [0, 1] pixels as x * 2 - 1`,
      );
  }
  return flat;
}

/** Points [N, d] (rank 2, finite float32), or a GanError naming `where` and the shape. */
export function pointsOf(x: Tensor, d: number, where: string): Tensor<'float32'> {
  if (x.rank !== 2 || x.shape[1] !== d)
    throw new GanError(
      `${where}: expected points [N, ${d}] (this GAN makes ${d}-D points), got ${describeTensor(x)}`,
    );
  if (x.shape[0] === 0) throw new GanError(`${where}: no points (N = 0)`);
  return toFlat(x, d, where);
}

/** Check class labels: n integers in [0, k). */
export function checkLabels(labels: ArrayLike<number>, n: number, k: number, where: string): void {
  if (k === 0) throw new GanError(`${where}: labels given, but this GAN is unconditional`);
  if (labels.length !== n) throw new GanError(`${where}: ${labels.length} labels for ${n} samples`);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < k))
      throw new GanError(`${where}: label ${c} at ${i} is not a class in 0..${k - 1}`);
  }
}

/** One-hot rows: labels (n) -> [n, k]. */
export function oneHot(labels: ArrayLike<number>, k: number): Tensor<'float32'> {
  const out = new Float32Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) out[i * k + labels[i]] = 1;
  return new Tensor('float32', [labels.length, k], out);
}

/** Standard normal noise [n, d] from rng. */
export function normalNoise(rng: Rng, n: number, d: number): Tensor<'float32'> {
  return new Tensor('float32', [n, d], rng.normal([n, d]));
}

/** Uniform class labels (n) from rng. */
export function randomLabels(rng: Rng, n: number, k: number): Int32Array {
  return rng.integers(n, 0, k);
}
