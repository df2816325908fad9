/** Small dense float64 linear algebra on the host (row-major D x D): init and inversion of the 1x1 mixing. */
import type { Rng } from '@genmodels/runtime';

/** A random orthogonal matrix: Gram-Schmidt (twice, for stability) on a seeded Gaussian matrix. */
export function randomOrthogonal(d: number, rng: Rng): Float64Array {
  const a = Float64Array.from(rng.normal([d, d]));
  for (let i = 0; i < d; i++) {
    const ri = a.subarray(i * d, (i + 1) * d);
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const rj = a.subarray(j * d, (j + 1) * d);
        let dot = 0;
        for (let k = 0; k < d; k++) dot += ri[k] * rj[k];
        for (let k = 0; k < d; k++) ri[k] -= dot * rj[k];
      }
    }
    let norm = 0;
    for (let k = 0; k < d; k++) norm += ri[k] * ri[k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < d; k++) ri[k] /= norm;
  }
  return a;
}

/**
 * LU with partial pivoting: P A = L U, returned as `perm` (row i of P A is row perm[i] of A)
 * and `lu` holding L's strict lower part (unit diagonal implied) and U (diagonal included).
 */
export function luDecompose(a: Float64Array, d: number): { lu: Float64Array; perm: Int32Array } {
  const lu = Float64Array.from(a);
  const perm = Int32Array.from({ length: d }, (_, i) => i);
  for (let k = 0; k < d; k++) {
    let p = k;
    for (let i = k + 1; i < d; i++) if (Math.abs(lu[i * d + k]) > Math.abs(lu[p * d + k])) p = i;
    if (p !== k) {
      for (let j = 0; j < d; j++) {
        const t = lu[k * d + j];
        lu[k * d + j] = lu[p * d + j];
        lu[p * d + j] = t;
      }
      const t = perm[k];
      perm[k] = perm[p];
      perm[p] = t;
    }
    const piv = lu[k * d + k];
    if (piv === 0) throw new RangeError(`luDecompose: singular matrix (column ${k})`);
    for (let i = k + 1; i < d; i++) {
      const f = lu[i * d + k] / piv;
      lu[i * d + k] = f;
      if (f === 0) continue;
      for (let j = k + 1; j < d; j++) lu[i * d + j] -= f * lu[k * d + j];
    }
  }
  return { lu, perm };
}

/** The inverse of a D x D matrix (via LU with partial pivoting). */
export function invert(a: Float64Array, d: number): Float64Array {
  const { lu, perm } = luDecompose(a, d);
  const out = new Float64Array(d * d);
  const col = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    // Solve A x = e_c: L U x = P e_c.
    for (let i = 0; i < d; i++) col[i] = perm[i] === c ? 1 : 0;
    for (let i = 0; i < d; i++) {
      let s = col[i];
      for (let k = 0; k < i; k++) s -= lu[i * d + k] * col[k];
      col[i] = s;
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = col[i];
      for (let k = i + 1; k < d; k++) s -= lu[i * d + k] * col[k];
      col[i] = s / lu[i * d + i];
    }
    for (let i = 0; i < d; i++) out[i * d + c] = col[i];
  }
  return out;
}

/** log|det A| of a D x D matrix. */
export function logAbsDet(a: Float64Array, d: number): number {
  const { lu } = luDecompose(a, d);
  let s = 0;
  for (let i = 0; i < d; i++) s += Math.log(Math.abs(lu[i * d + i]));
  return s;
}

/** C = A B for D x D matrices. */
export function matmul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const c = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) c[i * d + j] += aik * b[k * d + j];
    }
  return c;
}
