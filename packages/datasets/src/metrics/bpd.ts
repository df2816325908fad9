/**
 * Bits per dimension for density models of discrete data (images with 256 levels).
 *
 * Convention (reference-configs): pixels k in {0..255} are dequantized to
 * x = (k + u) / 256, u ~ U[0, 1)^D, and the model gives a density p(x) on [0, 1]^D. The
 * density of the same point on the original scale [0, 256)^D is p(x) / 256^D, so
 *   bpd = (-ln p(x) + D ln 256) / (D ln 2) = -ln p(x) / (D ln 2) + log2(256) = nll / (D ln 2) + 8.
 * A model uniform on [0, 1]^D (nll = 0) therefore scores exactly 8 bits/dim.
 * If the model works in another space (e.g. after a logit transform), `nll` must already
 * include that transform's log-determinant, i.e. be the NLL of x in [0, 1]^D.
 */
import { MetricError } from './points.js';

/** Options of {@link bitsPerDim}. */
export interface BitsPerDimOptions {
  /**
   * Number of discrete levels per dimension that the data were divided by when dequantized
   * (x = (k + u) / levels). Default 256 (8-bit images) adds log2(256) = 8. Use 1 when `nll`
   * is already the NLL of the dequantized integer-scale data (nothing is added).
   */
  levels?: number;
}

/**
 * Bits per dimension from a negative log-likelihood in nats per example.
 *
 * @param nll -ln p(x) in nats of ONE example x in [0, 1]^D, or an array of per-example
 *   values (their mean is used)
 * @param dims D, the number of dimensions of one example (784 for MNIST)
 * @example
 * bitsPerDim(0, 784);                       // 8: uniform density on [0, 1]^784
 * bitsPerDim(-1000, 784);                   // 8 - 1000 / (784 ln 2) = 6.16
 * bitsPerDim([10, 20], 2, { levels: 1 });   // 15 / (2 ln 2)
 */
export function bitsPerDim(
  nll: number | ArrayLike<number>,
  dims: number,
  options: BitsPerDimOptions = {},
): number {
  const levels = options.levels ?? 256;
  if (!(Number.isInteger(dims) && dims >= 1)) {
    throw new MetricError(`bitsPerDim: dims (${dims}) must be a positive integer`);
  }
  if (!(levels >= 1 && Number.isFinite(levels))) {
    throw new MetricError(`bitsPerDim: levels (${levels}) must be a finite number >= 1`);
  }
  let mean: number;
  if (typeof nll === 'number') {
    mean = nll;
  } else {
    if (nll.length === 0) throw new MetricError('bitsPerDim: nll is an empty array');
    let s = 0;
    for (let i = 0; i < nll.length; i++) s += nll[i];
    mean = s / nll.length;
  }
  if (!Number.isFinite(mean)) {
    throw new MetricError(`bitsPerDim: nll (${mean}) must be finite (nats per example)`);
  }
  return mean / (dims * Math.LN2) + Math.log2(levels);
}
