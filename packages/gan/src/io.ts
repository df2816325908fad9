/** model.safetensors + config.json in a directory, and ONNX export of the generator. */
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
import { type GanConfig, resolveConfig } from './config.js';
import { GanError } from './errors.js';
import type { GanNetwork } from './network.js';
import { stepInputs } from './steps.js';

/** The checkpoint's file name inside a model directory. */
export const MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const CONFIG_FILE = 'config.json';
/** Exportable parts, the default first. */
export const GAN_PARTS = ['generator'] as const;

interface Stored {
  family: 'gan';
  preset: string;
  config: GanConfig;
}

/**
 * Write the state dict (PyTorch keys; EMA generator weights under `ema.generator.*`),
 * family 'gan' and the config in metadata, and config.json.
 */
export async function writeGan(
  dir: string,
  net: GanNetwork,
  preset: string,
  ema?: Readonly<Record<string, Tensor>>,
): Promise<void> {
  const stored: Stored = { family: 'gan', preset, config: net.cfg };
  await writeModelDir(dir, net, stored, { fail: (m) => new GanError(m), extra: withPrefix(ema) });
}

/** Read a directory written by `writeGan`; another family's checkpoint is a CheckpointError. */
export async function readGan(dir: string): Promise<{
  cfg: GanConfig;
  preset: string;
  stateDict: Record<string, Tensor>;
  ema?: Record<string, Tensor>;
}> {
  const { stored, stateDict: all } = await readModelDir<Stored>(dir, {
    family: 'gan',
    label: 'GAN',
    fail: (m) => new GanError(m),
  });
  if (!stored?.config) throw new GanError(`'${dir}': no GAN config found`);
  const { own, prefixed } = splitPrefixed(all);
  return {
    cfg: resolveConfig(stored.config),
    preset: stored.preset ?? 'custom',
    stateDict: own,
    ema: prefixed,
  };
}

/**
 * Export the generator (eval mode) to `path`: inputs z [batch, zDim] (and y [batch, K]
 * one-hot for a conditional GAN), output x [batch, dataDim] (images in [-1, 1]).
 */
export async function exportGenerator(net: GanNetwork, path: string, part: string): Promise<void> {
  if (part !== 'generator')
    throw new GanError(`unknown GAN part '${part}'; expected one of ${GAN_PARTS.join(', ')}`);
  const cfg = net.cfg;
  const inputs = stepInputs(cfg).g;
  try {
    await exportOnnx(
      path,
      net,
      inputs,
      (i) => ({ x: ops.identity(net.generator.call(i.z, i.y)) }),
      {
        config: { family: 'gan', part, ...cfg },
        name: 'gan_generator',
      },
    );
  } catch (e) {
    if (e instanceof Error && 'code' in e)
      throw new GanError(`cannot write '${path}': ${e.message}`);
    throw e;
  }
}
