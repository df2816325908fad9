/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the denoiser.
 */
import { encodeOnnx, ops, Rng } from '@genmodels/runtime';
import {
  FamilyStore,
  type Normalization,
  type PointFields,
  readPointFields,
} from '@genmodels/runtime/internal';
import { type DiffusionConfig, diffusionParameterCount, resolveConfig } from './config.js';
import { DiffusionError } from './errors.js';
import { DiffusionNetwork } from './network.js';
import { denoiserInputs } from './steps.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE, MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first. */
export const DIFFUSION_PARTS = ['denoiser'] as const;

/**
 * What a diffusion model stores beside its preset and config (written only when they differ
 * from a preset's defaults, so a preset's checkpoint is what it always was; a checkpoint
 * without them reads as trained on the preset's data, without normalization): `trainedOn`
 * ('data': trained on points you gave, so `evaluate()` needs held-out `{ data }`),
 * `normalization` (the per-dimension mean/std the denoiser's inputs were standardized with)
 * and `data` (where the points came from).
 */
export type DiffusionFields = PointFields;

/** The stored fields of `stored` (a checkpoint's metadata or config.json), checked; errors name `where`. */
export function readDiffusionFields(
  stored: Readonly<Record<string, unknown>>,
  where: string,
): DiffusionFields {
  return readPointFields(stored, where, 'diffusion', (m) => new DiffusionError(m));
}

/**
 * The family's model directory (family 'diffusion', preset and config in metadata and config.json,
 * with `trainedOn` and `normalization` for a model trained on your own points; EMA weights
 * under `ema.`; ONNX exports written with the family's error).
 */
export const diffusionStore = new FamilyStore<DiffusionConfig, DiffusionNetwork, DiffusionFields>({
  family: 'diffusion',
  label: 'diffusion',
  fail: (m) => new DiffusionError(m),
  resolve: resolveConfig,
  build: (cfg) => new DiffusionNetwork(cfg, new Rng(0)),
  ema: true,
  parameters: diffusionParameterCount,
  fields: readDiffusionFields,
});

/**
 * The denoiser (eval mode) as an ONNX model's bytes: inputs x [batch, ...example shape],
 * t float32 [batch] (timesteps 0..T-1) and, when conditional, y int64 [batch] (K = null
 * class); output `eps` (or `x0` / `v`, after the config's prediction). `part` (the model
 * checks it) is recorded in the metadata. A model trained on your own points works in
 * standardized units, (x - mean) / std: its `normalization` ({ mean, std }) is recorded in
 * the metadata too (as in config.json), and a sample in data units is mean + std * x.
 */
export function denoiserOnnx(
  net: DiffusionNetwork,
  part: string,
  normalization: Normalization | null = null,
): Uint8Array {
  const cfg = net.cfg;
  const config = { family: 'diffusion', part, ...cfg, ...(normalization ? { normalization } : {}) };
  return encodeOnnx(
    net,
    denoiserInputs(cfg),
    (i) => ({ [cfg.prediction]: ops.identity(net.call(i.x, i.t, i.y)) }),
    { config, name: 'diffusion_denoiser' },
  );
}
