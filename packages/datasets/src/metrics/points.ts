/**
 * Shared input handling for the metrics: every metric works in float64 on the host, on a
 * row-major matrix of points [n, d] taken from a Tensor or a nested number array.
 */
import { DTypeError, GenmodelsError, ShapeError, type Tensor } from '@genmodels/runtime';

/** A metric was given values it cannot use (non-finite numbers, empty sets, bad options). */
export class MetricError extends GenmodelsError {}

/**
 * Points accepted by the metrics: a Tensor [n, d] (any numeric dtype) or rows `number[][]`.
 * @example const p: Points = [[0, 0], [1, 1]];
 */
export type Points = Tensor | readonly (readonly number[])[];

/** A dense float64 matrix [n, d], row-major. */
export interface Matrix {
  data: Float64Array;
  n: number;
  d: number;
}

/**
 * Copies points into a float64 matrix [n, d], checking rank, emptiness and finiteness.
 * `what` names the caller and argument in error messages (e.g. `'mmd: x'`).
 * @example toMatrix([[1, 2]], 'mmd: x') // { data: Float64Array [1, 2], n: 1, d: 2 }
 */
export function toMatrix(points: Points, what: string): Matrix {
  let data: Float64Array;
  let n: number;
  let d: number;
  if (Array.isArray(points)) {
    const rows = points as readonly (readonly number[])[];
    n = rows.length;
    d = n > 0 && Array.isArray(rows[0]) ? rows[0].length : 0;
    data = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (!Array.isArray(row) || row.length !== d) {
        throw new ShapeError(
          `${what}: row ${i} has ${Array.isArray(row) ? row.length : 'no'} values, expected ${d}`,
        );
      }
      for (let j = 0; j < d; j++) data[i * d + j] = row[j];
    }
  } else {
    const t = points as Tensor;
    if (t.rank !== 2) {
      throw new ShapeError(`${what}: expected points [n, d], got shape [${t.shape.join(', ')}]`);
    }
    if (t.dtype === 'bool') {
      throw new DTypeError(`${what}: expected a numeric tensor, got dtype '${t.dtype}'`);
    }
    [n, d] = t.shape;
    data = Float64Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
  }
  if (n === 0 || d === 0) {
    throw new ShapeError(
      `${what}: expected at least one point of dimension >= 1, got [${n}, ${d}]`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const r = Math.floor(i / d);
      throw new MetricError(`${what}: point ${r} has a non-finite value (${data[i]})`);
    }
  }
  return { data, n, d };
}

/**
 * Throws unless two point sets share their dimension.
 * @example sameDim(a, b, 'mmd') // ok when a.d === b.d
 */
export function sameDim(a: Matrix, b: Matrix, what: string): void {
  if (a.d !== b.d) {
    throw new ShapeError(`${what}: x has dimension ${a.d} but y has dimension ${b.d}`);
  }
}

/**
 * Squared Euclidean distance between row i of a and row j of b.
 * @example sqDist(a, 0, b, 0)
 */
export function sqDist(a: Matrix, i: number, b: Matrix, j: number): number {
  const d = a.d;
  const x = a.data;
  const y = b.data;
  let s = 0;
  for (let k = 0, p = i * d, q = j * d; k < d; k++, p++, q++) {
    const t = x[p] - y[q];
    s += t * t;
  }
  return s;
}
