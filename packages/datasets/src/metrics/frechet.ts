/**
 * Frechet (2-Wasserstein) distance between Gaussians, the quantity behind FID / FLD:
 *   |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}).
 * The trace term uses the symmetric form: tr((S1 S2)^{1/2}) = tr((S1^{1/2} S2 S1^{1/2})^{1/2}),
 * where S1^{1/2} S2 S1^{1/2} is symmetric PSD, so both square roots come from symmetric
 * eigendecompositions (Jacobi) with rounding-level negative eigenvalues clamped to 0. This
 * avoids the complex parts and the ill-conditioning of a general sqrtm(S1 S2).
 */
import { ShapeError, Tensor } from '@genmodels/runtime';
import { matmul, sqrtmPsd, traceSqrtmPsd } from './linalg.js';
import { MetricError, type Points, toMatrix } from './points.js';

/** A vector [d]: numbers, a typed array, or a Tensor [d]. */
export type VectorLike = ArrayLike<number> | Tensor;
/** A matrix [d, d]: rows, row-major flat values, or a Tensor [d, d]. */
export type SquareLike = readonly ArrayLike<number>[] | ArrayLike<number> | Tensor;

/** Mean [d] and covariance [d, d] (row-major) of a point set. */
export interface GaussianStats {
  mean: Float64Array;
  cov: Float64Array;
  d: number;
}

function toVector(v: VectorLike, what: string): Float64Array {
  if (v instanceof Tensor) {
    if (v.rank !== 1)
      throw new ShapeError(`${what}: expected a vector [d], got [${v.shape.join(', ')}]`);
    return Float64Array.from(v.data as ArrayLike<number | bigint>, (x) => Number(x));
  }
  return Float64Array.from(v);
}

function toSquare(m: SquareLike, d: number, what: string): Float64Array {
  let out: Float64Array;
  if (m instanceof Tensor) {
    if (m.rank !== 2 || m.shape[0] !== d || m.shape[1] !== d) {
      throw new ShapeError(`${what}: expected [${d}, ${d}], got [${m.shape.join(', ')}]`);
    }
    out = Float64Array.from(m.data as ArrayLike<number | bigint>, (x) => Number(x));
  } else if (m.length > 0 && typeof (m as ArrayLike<unknown>)[0] === 'object') {
    const rows = m as readonly ArrayLike<number>[];
    if (rows.length !== d || rows.some((r) => r.length !== d)) {
      throw new ShapeError(`${what}: expected ${d} rows of ${d} values`);
    }
    out = new Float64Array(d * d);
    for (let i = 0; i < d; i++) out.set(Array.from(rows[i]), i * d);
  } else {
    out = Float64Array.from(m as ArrayLike<number>);
    if (out.length !== d * d) {
      throw new ShapeError(`${what}: expected ${d * d} values for [${d}, ${d}], got ${out.length}`);
    }
  }
  for (const x of out)
    if (!Number.isFinite(x)) throw new MetricError(`${what}: non-finite value ${x}`);
  return out;
}

/**
 * Frechet distance between N(mu1, sigma1) and N(mu2, sigma2) (squared units, like FID).
 * Covariances must be symmetric PSD (slightly asymmetric input is symmetrized). The result
 * is clamped at 0, so identical Gaussians give 0 rather than -1e-16.
 *
 * @param mu1 mean [d]
 * @param sigma1 covariance [d, d]
 * @param mu2 mean [d]
 * @param sigma2 covariance [d, d]
 * @example
 * frechetDistance([0, 0], [[1, 0], [0, 1]], [3, 4], [[4, 0], [0, 9]]); // 25 + 1 + 4 = 30
 */
export function frechetDistance(
  mu1: VectorLike,
  sigma1: SquareLike,
  mu2: VectorLike,
  sigma2: SquareLike,
): number {
  const m1 = toVector(mu1, 'frechetDistance: mu1');
  const m2 = toVector(mu2, 'frechetDistance: mu2');
  const d = m1.length;
  if (m2.length !== d || d === 0) {
    throw new ShapeError(
      `frechetDistance: mu1 has ${d} values and mu2 ${m2.length}; expected equal, >= 1`,
    );
  }
  const s1 = toSquare(sigma1, d, 'frechetDistance: sigma1');
  const s2 = toSquare(sigma2, d, 'frechetDistance: sigma2');
  let dist = 0;
  for (let i = 0; i < d; i++) dist += (m1[i] - m2[i]) ** 2;
  let trace = 0;
  for (let i = 0; i < d; i++) trace += s1[i * d + i] + s2[i * d + i];
  const r1 = sqrtmPsd(s1, d);
  const inner = matmul(matmul(r1, s2, d), r1, d);
  return Math.max(0, dist + trace - 2 * traceSqrtmPsd(inner, d));
}

/**
 * Sample mean [d] and unbiased covariance [d, d] (divisor n - 1, as numpy's `np.cov` and
 * the FID reference code) of points [n, d], n >= 2, computed in float64 in two passes.
 *
 * @example
 * const { mean, cov } = gaussianStats(features); // features: Tensor [10000, 84]
 */
export function gaussianStats(x: Points): GaussianStats {
  const { data, n, d } = toMatrix(x, 'gaussianStats: x');
  if (n < 2) throw new MetricError(`gaussianStats: need >= 2 points for a covariance, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j] - mean[j];
    for (let j = 0; j < d; j++) {
      const rj = row[j];
      for (let k = j; k < d; k++) cov[j * d + k] += rj * row[k];
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      const c = cov[j * d + k] / (n - 1);
      cov[j * d + k] = c;
      cov[k * d + j] = c;
    }
  }
  return { mean, cov, d };
}

/**
 * Frechet distance between Gaussian fits (mean, unbiased covariance) of two point sets.
 * This is FID / FLD once `a` and `b` are network features.
 *
 * @param a points [n, d], n >= 2
 * @param b points [m, d], m >= 2
 * @example
 * const fld = frechetFromSamples(featuresFake, featuresReal); // Tensors [10000, 84]
 */
export function frechetFromSamples(a: Points, b: Points): number {
  const sa = gaussianStats(a);
  const sb = gaussianStats(b);
  if (sa.d !== sb.d) {
    throw new ShapeError(`frechetFromSamples: a has dimension ${sa.d} but b has dimension ${sb.d}`);
  }
  return frechetDistance(sa.mean, sa.cov, sb.mean, sb.cov);
}
