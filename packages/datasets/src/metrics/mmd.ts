/**
 * Two-sample distances between point sets: squared MMD with a sum of RBF kernels, and the
 * energy distance. Both are plain float64 loops over all pairs (O(n m d)); a few thousand
 * points per set take well under a second.
 */
import { Rng, type Tensor } from '@genmodels/runtime';
import { fitNormalization, standardize } from '@genmodels/runtime/internal';
import { type Matrix, MetricError, type Points, sameDim, sqDist, toMatrix } from './points.js';

/** Options of {@link mmd}. */
export interface MmdOptions {
  /**
   * RBF bandwidths h (standard deviations): k(a, b) = sum_h exp(-|a - b|^2 / (2 h^2)).
   * Default [0.1, 0.2, 0.5, 1] (reference-configs, 2-D toy sets).
   */
  bandwidths?: readonly number[];
  /**
   * false (default): the biased V-statistic, which includes the i = j terms; it is >= 0 and
   * exactly 0 when x and y hold the same points in the same order. true: the unbiased
   * U-statistic, which drops them from the x-x and y-y means; it can be slightly negative.
   */
  unbiased?: boolean;
}

const DEFAULT_BANDWIDTHS: readonly number[] = [0.1, 0.2, 0.5, 1];

// Mean of f(|a_i - b_j|^2) over all pairs; with `skipDiagonal`, over i != j (a and b equal).
// One function for all three blocks keeps the summation order identical, so that for x = y
// the three means agree bit for bit and the biased estimate is exactly 0.
function meanPairs(a: Matrix, b: Matrix, f: (d2: number) => number, skipDiagonal: boolean) {
  let s = 0;
  for (let i = 0; i < a.n; i++) {
    let row = 0;
    for (let j = 0; j < b.n; j++) if (!skipDiagonal || i !== j) row += f(sqDist(a, i, b, j));
    s += row;
  }
  return s / (skipDiagonal ? a.n * (a.n - 1) : a.n * b.n);
}

/**
 * Squared maximum mean discrepancy MMD^2(x, y) with the kernel
 * k(a, b) = sum over bandwidths h of exp(-|a - b|^2 / (2 h^2)).
 * Returns the square (not its root): E k(x, x') + E k(y, y') - 2 E k(x, y).
 *
 * @param x points [n, d]
 * @param y points [m, d]
 * @example
 * const d2 = mmd(samples, heldOut);                 // Tensor [2000, 2] each
 * mmd(x, x) === 0;                                  // biased estimator, same points
 * mmd(x, y, { bandwidths: [0.5], unbiased: true });
 */
export function mmd(x: Points, y: Points, options: MmdOptions = {}): number {
  const a = toMatrix(x, 'mmd: x');
  const b = toMatrix(y, 'mmd: y');
  sameDim(a, b, 'mmd');
  const hs = options.bandwidths ?? DEFAULT_BANDWIDTHS;
  if (hs.length === 0 || hs.some((h) => !(Number.isFinite(h) && h > 0))) {
    throw new MetricError(
      `mmd: bandwidths [${hs.join(', ')}] must be a non-empty list of positive numbers`,
    );
  }
  const unbiased = options.unbiased ?? false;
  if (unbiased && (a.n < 2 || b.n < 2)) {
    throw new MetricError(
      `mmd: the unbiased estimator needs >= 2 points per set, got ${a.n} and ${b.n}`,
    );
  }
  const gammas = hs.map((h) => 1 / (2 * h * h));
  const kernel = (d2: number) => {
    let k = 0;
    for (const g of gammas) k += Math.exp(-g * d2);
    return k;
  };
  const kxx = meanPairs(a, a, kernel, unbiased);
  const kyy = meanPairs(b, b, kernel, unbiased);
  const kxy = meanPairs(a, b, kernel, false);
  return kxx + kyy - 2 * kxy;
}

/**
 * Energy distance (Szekely): 2 E|x - y| - E|x - x'| - E|y - y'|, Euclidean norms, as the
 * V-statistic over all pairs (i = j included). It is >= 0, exactly 0 for identical point
 * sets, and 2 |a - b| for two point masses at a and b. It is the squared form: take the
 * square root for a metric.
 *
 * @param x points [n, d]
 * @param y points [m, d]
 * @example
 * energyDistance([[0, 0]], [[3, 4]]); // 10
 */
export function energyDistance(x: Points, y: Points): number {
  const a = toMatrix(x, 'energyDistance: x');
  const b = toMatrix(y, 'energyDistance: y');
  sameDim(a, b, 'energyDistance');
  const exy = meanPairs(a, b, Math.sqrt, false);
  const exx = meanPairs(a, a, Math.sqrt, false);
  const eyy = meanPairs(b, b, Math.sqrt, false);
  return 2 * exy - exx - eyy;
}

/** The most held-out points {@link heldOutMmd} compares with by default (a seeded subset of larger sets). */
export const HELD_OUT_MMD_POINTS = 2000;

/**
 * Squared MMD ({@link mmd}) between a model's samples [n, D] and held-out points [N, D] of
 * the user's data: at most `maxPoints` of the held-out points (a seeded subset, rows of
 * `new Rng(seed + 1).permutation(N)` in order), both scaled by that subset's own mean and
 * std per column, so the figure depends neither on the data's units nor on the model's
 * normalization. 0: same distribution; smaller is better.
 *
 * @example const { mmd } = { mmd: heldOutMmd(await model.sampleFlat(2000, 0), heldOut, { seed: 0 }) };
 */
export function heldOutMmd(
  samples: Tensor<'float32'>,
  heldOut: Tensor<'float32'>,
  opts: { seed?: number; maxPoints?: number } = {},
): number {
  const seed = opts.seed ?? 0;
  const max = opts.maxPoints ?? HELD_OUT_MMD_POINTS;
  let ref = heldOut;
  if (ref.shape[0] > max)
    ref = ref.takeRows(
      Array.from(new Rng(seed + 1).permutation(ref.shape[0]).subarray(0, max)).sort(
        (a, b) => a - b,
      ),
    );
  const scale = fitNormalization(ref);
  return mmd(standardize(samples, scale), standardize(ref, scale));
}
