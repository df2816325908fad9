/**
 * What the point families (2-D GAN, flow, diffusion) keep about the user's own points:
 * per-dimension standardization (the networks see (x - mean) / std), and the stored fields
 * that say what a model was trained on, checked by a schema when a model is read.
 */
import type { DataProvenance } from '../family.js';
import { Tensor } from '../tensor.js';
import { parseConfig, z } from './config-schema.js';

/**
 * Per-dimension statistics of the training points: the networks see (x - mean) / std.
 * Stored in config.json as `normalization`; exported ONNX parts work in standardized units.
 */
export interface Normalization {
  mean: number[];
  std: number[];
}

const finite = z.number().refine(Number.isFinite, 'must be finite');

const normalizationSchema = z
  .strictObject({
    mean: z.array(finite).max(1 << 24),
    std: z.array(finite.refine((v) => v > 0, 'must be > 0')).max(1 << 24),
  })
  .refine((n) => n.mean.length === n.std.length, 'mean and std must have one length');

const provenanceSchema = z.strictObject({
  source: z.string().max(4096),
  shape: z.array(z.number().int().min(0)).max(8),
  normalization: z.string().max(64),
  split: z.strictObject({
    valFraction: z.number().min(0).lt(1),
    seed: z.number().int(),
    trainRows: z.number().int().min(0),
    valRows: z.number().int().min(0),
  }),
});

/** What a point model stores beside its preset and config. */
export interface PointFields {
  /**
   * 'preset': trained on its preset's own set (or not trained), which `evaluate()` scores
   * against; 'data': trained on points the user gave, so `evaluate()` needs held-out points.
   * Checkpoints without the field are 'preset'.
   */
  trainedOn: 'preset' | 'data';
  /** The standardization of the training points, or null (presets: points as they are). */
  normalization: Normalization | null;
  /** Where the training points came from (the family's train with `data`). */
  data?: DataProvenance;
}

const pointFieldsSchema = z.object({
  trainedOn: z.enum(['preset', 'data']).optional(),
  normalization: normalizationSchema.nullable().optional(),
  data: provenanceSchema.nullable().optional(),
});

/**
 * The stored point fields of `stored` checked and completed (old checkpoints: trained on the
 * preset, no normalization); a malformed field is `fail`'s error naming `where` and the field.
 */
export function readPointFields(
  stored: Readonly<Record<string, unknown>>,
  where: string,
  label: string,
  fail: (message: string) => Error,
): PointFields {
  const f = parseConfig(
    pointFieldsSchema,
    { trainedOn: stored.trainedOn, normalization: stored.normalization, data: stored.data },
    `${where}: ${label}`,
    fail,
    'stored fields',
  );
  const out: PointFields = {
    trainedOn: f.trainedOn ?? 'preset',
    normalization: f.normalization ?? null,
  };
  if (f.data) out.data = f.data;
  return out;
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
