/** model.safetensors + config.json in a directory, and ONNX export of the denoiser. */
import { join } from 'node:path';
import {
  exportOnnx,
  ops,
  readModelDir,
  splitPrefixed,
  type Tensor,
  withPrefix,
  writeModelDir,
} from '@genmodels/runtime';
import { type DiffusionConfig, resolveConfig } from './config.js';
import { DiffusionError } from './errors.js';
import type { DiffusionNetwork } from './network.js';
import { denoiserInputs } from './steps.js';

/** The checkpoint's file name inside a model directory. */
export const MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const CONFIG_FILE = 'config.json';
/** Exportable parts, the default first. */
export const DIFFUSION_PARTS = ['denoiser'] as const;

interface Stored {
  family: 'diffusion';
  preset: string;
  config: DiffusionConfig;
}

/** Write the state dict (EMA weights under `ema.denoiser.*`), family and config in metadata, and config.json. */
export async function writeDiffusion(
  dir: string,
  net: DiffusionNetwork,
  preset: string,
  ema?: Readonly<Record<string, Tensor>>,
): Promise<void> {
  const stored: Stored = { family: 'diffusion', preset, config: net.cfg };
  await writeModelDir(dir, net, stored, {
    fail: (m) => new DiffusionError(m),
    extra: withPrefix(ema),
  });
}

/** Read a directory written by `writeDiffusion`; another family's checkpoint is a CheckpointError. */
export async function readDiffusion(dir: string): Promise<{
  cfg: DiffusionConfig;
  preset: string;
  stateDict: Record<string, Tensor>;
  ema?: Record<string, Tensor>;
}> {
  const { stored, stateDict: all } = await readModelDir<Stored>(dir, {
    family: 'diffusion',
    label: 'diffusion',
    fail: (m) => new DiffusionError(m),
  });
  if (!stored?.config) throw new DiffusionError(`'${dir}': no diffusion config found`);
  const { own, prefixed } = splitPrefixed(all);
  return {
    cfg: resolveConfig(stored.config),
    preset: stored.preset ?? 'custom',
    stateDict: own,
    ema: prefixed,
  };
}

/**
 * Export the denoiser (eval mode) to `path`: inputs x [batch, ...example shape], t float32
 * [batch] (timesteps 0..T-1) and, when conditional, y int64 [batch] (K = null class);
 * output `eps` (or `x0` / `v`, after the config's prediction).
 */
export async function exportDenoiser(
  net: DiffusionNetwork,
  path: string,
  part: string,
): Promise<void> {
  if (part !== 'denoiser')
    throw new DiffusionError(
      `unknown diffusion part '${part}'; expected one of ${DIFFUSION_PARTS.join(', ')}`,
    );
  const cfg = net.cfg;
  try {
    await exportOnnx(
      path,
      net,
      denoiserInputs(cfg),
      (i) => ({ [cfg.prediction]: ops.identity(net.call(i.x, i.t, i.y)) }),
      { config: { family: 'diffusion', part, ...cfg }, name: 'diffusion_denoiser' },
    );
  } catch (e) {
    if (e instanceof Error && 'code' in e)
      throw new DiffusionError(`cannot write '${path}': ${e.message}`);
    throw e;
  }
}
