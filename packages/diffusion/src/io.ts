/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the denoiser.
 */
import {
  describeModelSource,
  encodeModelFiles,
  encodeOnnx,
  type ModelDirFiles,
  type ModelSource,
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

/** What config.json and the checkpoint's metadata hold. */
interface Stored {
  family: 'diffusion';
  preset: string;
  config: DiffusionConfig;
}

const fail = (m: string) => new DiffusionError(m);

function stored(net: DiffusionNetwork, preset: string): Stored {
  return { family: 'diffusion', preset, config: net.cfg };
}

/** The state dict (EMA weights under `ema.denoiser.*`), family and config in metadata, and config.json, as bytes and text. */
export function diffusionFiles(
  net: DiffusionNetwork,
  preset: string,
  ema?: Readonly<Record<string, Tensor>>,
): ModelDirFiles {
  return encodeModelFiles(net, stored(net, preset), { fail, extra: withPrefix(ema) });
}

/** Write {@link diffusionFiles} into `dir` (Node.js). */
export async function writeDiffusion(
  dir: string,
  net: DiffusionNetwork,
  preset: string,
  ema?: Readonly<Record<string, Tensor>>,
): Promise<void> {
  await writeModelDir(dir, net, stored(net, preset), { fail, extra: withPrefix(ema) });
}

/** Read what `writeDiffusion` wrote (a directory, a URL base or the files); another family's checkpoint is a CheckpointError. */
export async function readDiffusion(source: ModelSource): Promise<{
  cfg: DiffusionConfig;
  preset: string;
  stateDict: Record<string, Tensor>;
  ema?: Record<string, Tensor>;
}> {
  const { stored, stateDict: all } = await readModelDir<Stored>(source, {
    family: 'diffusion',
    label: 'diffusion',
    fail,
  });
  if (!stored?.config)
    throw new DiffusionError(`${describeModelSource(source)}: no diffusion config found`);
  const { own, prefixed } = splitPrefixed(all);
  return {
    cfg: resolveConfig(stored.config),
    preset: stored.preset ?? 'custom',
    stateDict: own,
    ema: prefixed,
  };
}

/**
 * The denoiser (eval mode) as an ONNX model's bytes: inputs x [batch, ...example shape],
 * t float32 [batch] (timesteps 0..T-1) and, when conditional, y int64 [batch] (K = null
 * class); output `eps` (or `x0` / `v`, after the config's prediction).
 */
export function denoiserOnnx(net: DiffusionNetwork, part: string): Uint8Array {
  if (part !== 'denoiser')
    throw new DiffusionError(
      `unknown diffusion part '${part}'; expected one of ${DIFFUSION_PARTS.join(', ')}`,
    );
  const cfg = net.cfg;
  return encodeOnnx(
    net,
    denoiserInputs(cfg),
    (i) => ({ [cfg.prediction]: ops.identity(net.call(i.x, i.t, i.y)) }),
    { config: { family: 'diffusion', part, ...cfg }, name: 'diffusion_denoiser' },
  );
}
