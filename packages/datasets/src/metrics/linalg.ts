/**
 * Small dense symmetric linear algebra in float64 for the Frechet distance: a cyclic Jacobi
 * eigendecomposition and the square root of a symmetric positive semi-definite matrix.
 * Jacobi is chosen over faster methods because it is short, needs no pivoting decisions, and
 * is accurate to working precision even for tiny eigenvalues, which is what a covariance
 * square root needs. Cost is about 10 sweeps of 3 d^3 flops (d = 84: a few milliseconds).
 */
import { MetricError } from './points.js';

/** Result of {@link symmetricEigen}: A = V diag(values) V^T. */
export interface Eigen {
  /** Eigenvalues [d], in no particular order. */
  values: Float64Array;
  /** Eigenvectors as the columns of a row-major [d, d] matrix (absent if not requested). */
  vectors?: Float64Array;
}

const MAX_SWEEPS = 100;

/**
 * Eigendecomposition of a symmetric matrix [d, d] (row-major) by cyclic Jacobi rotations.
 * Only the upper and lower triangles' average is used, so tiny asymmetries from rounding are
 * harmless. The input is not modified.
 *
 * @example
 * const { values } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2); // {1, 3}
 */
export function symmetricEigen(matrix: ArrayLike<number>, d: number, vectors = true): Eigen {
  if (matrix.length !== d * d) {
    throw new MetricError(
      `symmetricEigen: expected ${d * d} values for [${d}, ${d}], got ${matrix.length}`,
    );
  }
  const a = new Float64Array(d * d);
  let frob2 = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const v = 0.5 * (matrix[i * d + j] + matrix[j * d + i]);
      a[i * d + j] = v;
      frob2 += v * v;
    }
  }
  const v = vectors ? new Float64Array(d * d) : undefined;
  if (v) for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    // Stop at rounding level: off-diagonal mass below (1e-15)^2 of the whole matrix.
    if (off <= 1e-30 * frob2 || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) rotate(a, v, d, p, q);
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return v ? { values, vectors: v } : { values };
}

// One Jacobi rotation J (J_pp = J_qq = c, J_pq = s, J_qp = -s) chosen so that (J^T A J)_pq = 0;
// the smaller root of t^2 + 2 theta t - 1 = 0 (t = tan) keeps the rotation angle below pi/4.
function rotate(a: Float64Array, v: Float64Array | undefined, d: number, p: number, q: number) {
  const apq = a[p * d + q];
  if (apq === 0) return;
  const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < d; k++) {
    const akp = a[k * d + p];
    const akq = a[k * d + q];
    a[k * d + p] = c * akp - s * akq;
    a[k * d + q] = s * akp + c * akq;
  }
  for (let k = 0; k < d; k++) {
    const apk = a[p * d + k];
    const aqk = a[q * d + k];
    a[p * d + k] = c * apk - s * aqk;
    a[q * d + k] = s * apk + c * aqk;
  }
  a[p * d + q] = 0;
  a[q * d + p] = 0;
  if (v) {
    for (let k = 0; k < d; k++) {
      const vkp = v[k * d + p];
      const vkq = v[k * d + q];
      v[k * d + p] = c * vkp - s * vkq;
      v[k * d + q] = s * vkp + c * vkq;
    }
  }
}

// Eigenvalues of a PSD matrix can come out slightly negative from rounding. Those within
// 1e-8 of the largest magnitude become 0; anything more negative means the input was not PSD.
function clampPsd(values: Float64Array, what: string): void {
  let top = 0;
  for (const x of values) top = Math.max(top, Math.abs(x));
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0) {
      if (values[i] < -1e-8 * top) {
        throw new MetricError(
          `${what}: matrix is not positive semi-definite (eigenvalue ${values[i]}, largest ${top})`,
        );
      }
      values[i] = 0; // rounding noise of a PSD matrix
    }
  }
}

/**
 * Square root S^{1/2} of a symmetric PSD matrix [d, d] (row-major): V diag(sqrt(l)) V^T, with
 * eigenvalues in [-1e-8 max|l|, 0) clamped to 0 as rounding noise; more negative ones throw.
 *
 * @example
 * sqrtmPsd(Float64Array.from([4, 0, 0, 9]), 2); // Float64Array [2, 0, 0, 3]
 */
export function sqrtmPsd(matrix: ArrayLike<number>, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, d, true);
  clampPsd(values, 'sqrtmPsd');
  const vec = vectors!;
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const r = Math.sqrt(values[k]);
    if (r === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = vec[i * d + k] * r;
      for (let j = 0; j < d; j++) out[i * d + j] += vik * vec[j * d + k];
    }
  }
  return out;
}

/**
 * Trace of the square root of a symmetric PSD matrix [d, d]: sum of sqrt of its eigenvalues
 * (rounding-level negative eigenvalues clamped to 0).
 * @example traceSqrtmPsd(Float64Array.from([4, 0, 0, 9]), 2); // 5
 */
export function traceSqrtmPsd(matrix: ArrayLike<number>, d: number): number {
  const { values } = symmetricEigen(matrix, d, false);
  clampPsd(values, 'traceSqrtmPsd');
  let s = 0;
  for (const x of values) s += Math.sqrt(x);
  return s;
}

/**
 * Product of two row-major [d, d] matrices.
 * @example matmul(Float64Array.from([1, 2, 3, 4]), Float64Array.from([1, 0, 0, 1]), 2)
 */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
    }
  }
  return out;
}
