/** Host-side helpers: flat data, one-hot labels, row selection, noise and the weight EMA. */
import { type Rng, Tensor } from '@genmodels/runtime';
import { describeTensor, firstNonFinite } from '@genmodels/runtime/internal';
import { GanError } from './errors.js';

/**
 * Data as float32 [N, d]: [N, d] float as given; images [N, 28, 28] or [N, 1, 28, 28];
 * uint8 pixels are scaled to [-1, 1] (the range of the generator's tanh). NaN or
 * infinite values are refused.
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
