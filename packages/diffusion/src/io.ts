/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the denoiser.
 */
import { encodeOnnx, ops, Rng } from '@genmodels/runtime';
import { FamilyStore } from '@genmodels/runtime/internal';
import { type DiffusionConfig, diffusionParameterCount, resolveConfig } from './config.js';
import { DiffusionError } from './errors.js';
import { DiffusionNetwork } from './network.js';
import { denoiserInputs } from './steps.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE, MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first. */
export const DIFFUSION_PARTS = ['denoiser'] as const;

/**
 * The family's model directory (family 'diffusion', preset and config in metadata and config.json;
 * EMA weights under `ema.`; ONNX exports written with the family's error).
 */
export const diffusionStore = new FamilyStore<DiffusionConfig, DiffusionNetwork>({
  family: 'diffusion',
  label: 'diffusion',
  fail: (m) => new DiffusionError(m),
  resolve: resolveConfig,
  build: (cfg) => new DiffusionNetwork(cfg, new Rng(0)),
  ema: true,
  parameters: diffusionParameterCount,
});

/**
 * The denoiser (eval mode) as an ONNX model's bytes: inputs x [batch, ...example shape],
 * t float32 [batch] (timesteps 0..T-1) and, when conditional, y int64 [batch] (K = null
 * class); output `eps` (or `x0` / `v`, after the config's prediction). `part` (the model
 * checks it) is recorded in the metadata.
 */
export function denoiserOnnx(net: DiffusionNetwork, part: string): Uint8Array {
  const cfg = net.cfg;
  return encodeOnnx(
    net,
    denoiserInputs(cfg),
    (i) => ({ [cfg.prediction]: ops.identity(net.call(i.x, i.t, i.y)) }),
    { config: { family: 'diffusion', part, ...cfg }, name: 'diffusion_denoiser' },
  );
}
