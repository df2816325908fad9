/** Host-side data helpers: flat float images, shuffled batches, tiling for the IWAE bound. */
import { type Batch, Rng, Tensor } from '@genmodels/runtime';
import { firstNonFinite, valueRange } from '@genmodels/runtime/internal';
import { VaeError } from './errors.js';

/**
 * Images as float32 [N, D] in [0, 1]: accepts [N, D], [N, H, W] or [N, 1, H, W]; uint8
 * pixels are divided by 255. Float values must be finite and in [0, 1] (the error names the
 * range found and how to rescale).
 */
export function toFlat(x: Tensor, d: number, what = 'x'): Tensor<'float32'> {
  const n = x.shape[0];
  const per = x.rank >= 1 ? x.size / Math.max(n, 1) : 0;
  if (x.rank < 2 || per !== d)
    throw new VaeError(
      `${what}: expected images [N, ${d}] (or [N, H, W] with H*W = ${d}), got [${x.shape.join(', ')}]`,
    );
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
