/** model.safetensors + config.json in a directory, and ONNX export of the generator. */
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  exportOnnx,
  loadCheckpoint,
  ops,
  saveModule,
  type Tensor,
  writeFileAtomic,
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
/** State-dict prefix of the EMA generator weights inside model.safetensors. */
export const EMA_PREFIX = 'ema.';

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
  const extra: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(ema ?? {})) extra[EMA_PREFIX + k] = t;
  try {
    await mkdir(dir, { recursive: true });
    await saveModule(join(dir, MODEL_FILE), net, { family: 'gan', config: stored, extra });
    await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(stored, null, 2)}\n`);
  } catch (e) {
    if (e instanceof Error && 'code' in e)
      throw new GanError(`cannot write the model into '${dir}': ${e.message}`);
    throw e;
  }
}

/** Read a directory written by `writeGan`; another family's checkpoint is a CheckpointError. */
export async function readGan(dir: string): Promise<{
  cfg: GanConfig;
  preset: string;
  stateDict: Record<string, Tensor>;
  ema?: Record<string, Tensor>;
}> {
  const path = join(dir, MODEL_FILE);
  try {
    await access(path);
  } catch {
    throw new GanError(`no GAN checkpoint at '${path}' (train one with 'genmodels train gan')`);
  }
  const ckpt = await loadCheckpoint(path, { family: 'gan' });
  let stored = ckpt.config as Partial<Stored> | null;
  if (!stored?.config) {
    try {
      stored = JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8')) as Partial<Stored>;
    } catch {
      throw new GanError(
        `'${path}' has no GAN config in its metadata and '${CONFIG_FILE}' is missing or invalid`,
      );
    }
  }
  if (!stored?.config) throw new GanError(`'${dir}': no GAN config found`);
  const stateDict: Record<string, Tensor> = {};
  const ema: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(ckpt.stateDict)) {
    if (k.startsWith(EMA_PREFIX)) ema[k.slice(EMA_PREFIX.length)] = t;
    else stateDict[k] = t;
  }
  return {
    cfg: resolveConfig(stored.config),
    preset: stored.preset ?? 'custom',
    stateDict,
    ema: Object.keys(ema).length > 0 ? ema : undefined,
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
