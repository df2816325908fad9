/**
 * Mode metrics for samples of a mixture of isotropic Gaussians (8gaussians, ring8,
 * 25gaussians), the GAN protocol of reference-configs: each sample is assigned to its
 * nearest center and is "high quality" if it lies within `threshold` std of that center.
 */
import { ShapeError } from '@genmodels/runtime';
import { MetricError, type Points, sqDist, toMatrix } from './points.js';

/** Options of {@link modeMetrics}. */
export interface ModeOptions {
  /** A sample is high quality within `threshold * std` of its nearest center. Default 3. */
  threshold?: number;
  /** A mode is covered if it holds >= `minFraction` of ALL samples (high quality). Default 0.01. */
  minFraction?: number;
}

/** Result of {@link modeMetrics}. */
export interface ModeMetrics {
  /** Number of modes holding >= minFraction * n high-quality samples. */
  modesCovered: number;
  /** Number of modes K (centers). */
  numModes: number;
  /** Fraction of all samples within threshold * std of their nearest center. */
  highQualityFraction: number;
  /**
   * KL(q || uniform) in nats, q the histogram of high-quality samples over the K modes:
   * sum_k q_k log(K q_k). 0 for a perfectly balanced generator, log K when one mode holds
   * every high-quality sample; NaN when no sample is high quality.
   */
  reverseKL: number;
  /** High-quality samples per mode [K]. */
  perMode: Int32Array;
}

/**
 * Mode coverage, high-quality fraction and reverse KL over modes.
 *
 * @param samples points [n, d]
 * @param centers mode centers [K, d]
 * @param std the common standard deviation of the modes
 * @example
 * const { centers, std } = toyMixture('ring8');
 * const m = modeMetrics(generated, centers, std); // m.modesCovered === 8 for a good GAN
 */
export function modeMetrics(
  samples: Points,
  centers: Points,
  std: number,
  options: ModeOptions = {},
): ModeMetrics {
  const x = toMatrix(samples, 'modeMetrics: samples');
  const c = toMatrix(centers, 'modeMetrics: centers');
  if (x.d !== c.d) {
    throw new ShapeError(`modeMetrics: samples have dimension ${x.d} but centers ${c.d}`);
  }
  const threshold = options.threshold ?? 3;
  const minFraction = options.minFraction ?? 0.01;
  if (!(std > 0 && Number.isFinite(std))) {
    throw new MetricError(`modeMetrics: std (${std}) must be a positive number`);
  }
  if (!(threshold > 0 && Number.isFinite(threshold))) {
    throw new MetricError(`modeMetrics: threshold (${threshold}) must be a positive number`);
  }
  if (!(minFraction >= 0 && minFraction <= 1)) {
    throw new MetricError(`modeMetrics: minFraction (${minFraction}) must be in [0, 1]`);
  }
  const radius2 = (threshold * std) ** 2;
  const perMode = new Int32Array(c.n);
  let good = 0;
  for (let i = 0; i < x.n; i++) {
    let best = 0;
    let bestD2 = Number.POSITIVE_INFINITY;
    for (let k = 0; k < c.n; k++) {
      const d2 = sqDist(x, i, c, k);
      if (d2 < bestD2) {
        bestD2 = d2;
        best = k;
      }
    }
    if (bestD2 <= radius2) {
      perMode[best]++;
      good++;
    }
  }
  let modesCovered = 0;
  let reverseKL = good === 0 ? Number.NaN : 0;
  for (const count of perMode) {
    if (count > 0 && count >= minFraction * x.n) modesCovered++;
    if (count > 0 && good > 0) reverseKL += (count / good) * Math.log((c.n * count) / good);
  }
  return {
    modesCovered,
    numModes: c.n,
    highQualityFraction: good / x.n,
    reverseKL: Math.max(0, reverseKL),
    perMode,
  };
}
