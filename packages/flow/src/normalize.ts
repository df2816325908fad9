/**
 * Per-dimension standardization of the user's own points, and what a point flow stores
 * beside its config about the data it was trained on.
 */
import { type DataProvenance, Tensor } from '@genmodels/runtime';
import { FlowError } from './errors.js';

/**
 * Per-dimension statistics of the training points: the networks see (x - mean) / std.
 * Stored in config.json as `normalization`; the exported ONNX parts (sampler, log_density) work in these
 * standardized units.
 */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** What a flow stores beside its preset and config (config.json and the checkpoint's metadata). */
export interface FlowFields {
  /**
   * 'preset': trained on its preset's own toy set (or not trained), which `evaluate()`
   * scores against; 'data': trained on points the user gave, so `evaluate()` needs held-out
   * points. Checkpoints without the field are 'preset'.
   */
  trainedOn: 'preset' | 'data';
  /** The standardization of the training points, or null (the presets: points as they are). */
  normalization: Normalization | null;
  /** Where the training points came from (`flowFamily.train` with `data`). */
  data?: DataProvenance;
}

/**
 * Mean and std (population, float64) of each column of x [N, D]; a std of 0 (a constant
 * column) becomes 1.
 */
export function fitNormalization(x: Tensor<'float32'>): Normalization {
  const [n, d] = x.shape;
  const v = x.data;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += v[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const c = v[i * d + j] - mean[j];
      std[j] += c * c;
    }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j] / n);
    std[j] = s > 0 && Number.isFinite(s) ? s : 1;
  }
  return { mean, std };
}

/** (x - mean) / std per column: data units -> the units the networks work in. */
export function standardize(x: Tensor<'float32'>, norm: Normalization): Tensor<'float32'> {
  const [n, d] = x.shape;
  const v = x.data;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) out[i * d + j] = (v[i * d + j] - norm.mean[j]) / norm.std[j];
  return new Tensor('float32', [n, d], out);
}

/** x * std + mean per column: the networks' units -> data units. */
export function unstandardize(x: Tensor<'float32'>, norm: Normalization): Tensor<'float32'> {
  const [n, d] = x.shape;
  const v = x.data;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) out[i * d + j] = v[i * d + j] * norm.std[j] + norm.mean[j];
  return new Tensor('float32', [n, d], out);
}

const isNumbers = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((e) => typeof e === 'number' && Number.isFinite(e));

/** A stored `normalization` checked (null when absent). */
export function readNormalization(stored: unknown, where: string): Normalization | null {
  if (stored === undefined || stored === null) return null;
  const s = stored as Partial<Normalization>;
  if (
    typeof stored !== 'object' ||
    !isNumbers(s.mean) ||
    !isNumbers(s.std) ||
    s.mean.length !== s.std.length ||
    s.std.some((v) => !(v > 0))
  )
    throw new FlowError(
      `${where}: 'normalization' must be { mean: number[], std: number[] } of one length with std > 0, or null`,
    );
  return { mean: [...s.mean], std: [...s.std] };
}

/** A stored `data` provenance checked (undefined when absent). */
export function readProvenance(stored: unknown, where: string): DataProvenance | undefined {
  if (stored === undefined || stored === null) return undefined;
  const p = stored as Partial<DataProvenance>;
  const split = p.split as Partial<DataProvenance['split']> | undefined;
  const ok =
    typeof stored === 'object' &&
    typeof p.source === 'string' &&
    isNumbers(p.shape) &&
    typeof p.normalization === 'string' &&
    typeof split === 'object' &&
    split !== null &&
    isNumbers([split.valFraction, split.seed, split.trainRows, split.valRows]);
  if (!ok)
    throw new FlowError(
      `${where}: 'data' must record the training data as { source, shape, normalization, split: { valFraction, seed, trainRows, valRows } }`,
    );
  return p as DataProvenance;
}

/** The stored fields checked and completed (old checkpoints: trained on the preset, no normalization). */
export function readFlowFields(
  stored: Readonly<Record<string, unknown>>,
  where: string,
): FlowFields {
  const on = stored.trainedOn ?? 'preset';
  if (on !== 'preset' && on !== 'data')
    throw new FlowError(`${where}: 'trainedOn' is '${String(on)}'; expected 'preset' or 'data'`);
  const fields: FlowFields = {
    trainedOn: on,
    normalization: readNormalization(stored.normalization, where),
  };
  const data = readProvenance(stored.data, where);
  if (data) fields.data = data;
  return fields;
}

/**
 * log |det d(standardize)/dx| = -sum_j log std_j: what the log-density of a data-unit point
 * adds to the flow's log-density of the standardized point.
 */
export function standardizeLogDet(norm: Normalization): number {
  let s = 0;
  for (const v of norm.std) s -= Math.log(v);
  return s;
}
