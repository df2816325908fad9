/**
 * Your own points on the host: checks, the per-dimension standardization a point model
 * trains in ((x - mean) / std, kept with the model) and its inverse for every sample the
 * model hands out, and seeded row subsets.
 */
import { Rng, Tensor } from '@genmodels/runtime';
import {
  describeTensor,
  firstNonFinite,
  type Normalization,
  type PointFields,
} from '@genmodels/runtime/internal';
import { DiffusionError } from './errors.js';

/**
 * Per-dimension statistics of the points a model was trained on: the denoiser sees
 * (x - mean) / std, and samples come back as mean + std * x (the runtime's `Normalization`).
 */
export type PointNormalization = Normalization;

/** What a model's training points were: the preset's own toy set, or data you gave (`fit`). */
export type TrainedOn = PointFields['trainedOn'];

/**
 * Points float32 [N, d] (N >= 1) from a tensor of any numeric dtype, finite; anything else
 * is a DiffusionError naming `what` (e.g. "evaluate: data 'held.csv'").
 */
export function checkPoints(x: Tensor, d: number, what: string): Tensor<'float32'> {
  if (x.rank !== 2 || x.shape[0] === 0)
    throw new DiffusionError(`${what}: expected points [N, ${d}], got ${describeTensor(x)}`);
  if (x.shape[1] !== d)
    throw new DiffusionError(
      `${what}: points have ${x.shape[1]} values each, but this model's points have ${d} (dataDim ${d})`,
    );
  if (x.dtype === 'bool')
    throw new DiffusionError(`${what}: dtype ${x.dtype}, expected float32 points`);
  const data =
    x.dtype === 'float32'
      ? (x.data as Float32Array)
      : Float32Array.from(x.data as ArrayLike<number | bigint>, (v) => Number(v));
  const i = firstNonFinite(data);
  if (i >= 0)
    throw new DiffusionError(
      `${what}: value ${data[i]} in row ${Math.floor(i / d)} is not finite; points must be finite`,
    );
  return x.dtype === 'float32' ? (x as Tensor<'float32'>) : new Tensor('float32', x.shape, data);
}

export { fitNormalization as pointStatistics, standardize } from '@genmodels/runtime/internal';

/** mean + std * x per dimension of flat points (d values a row), written into `out` (default a new array). */
export function toDataUnits(
  x: Float32Array,
  norm: PointNormalization,
  out: Float32Array = new Float32Array(x.length),
): Float32Array {
  const d = norm.mean.length;
  for (let i = 0; i < x.length; i++) {
    const j = i % d;
    out[i] = norm.mean[j] + norm.std[j] * x[i];
  }
  return out;
}

/** At most k rows of x, a seeded random subset when it has more (all of x otherwise). */
export function someRows(x: Tensor<'float32'>, k: number, seed: number): Tensor<'float32'> {
  const n = x.shape[0];
  if (n <= k) return x;
  const rows = Array.from(new Rng(seed).permutation(n).subarray(0, k)).sort((a, b) => a - b);
  return x.takeRows(rows);
}
