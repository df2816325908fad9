/** model.safetensors + config.json in a directory, and ONNX export of the sampler and the log-density. */
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
import { type FlowConfig, resolveConfig } from './config.js';
import { FlowError } from './errors.js';
import type { FlowNetwork } from './network.js';

/** The checkpoint's file name inside a model directory. */
export const MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const CONFIG_FILE = 'config.json';
/** Exportable parts, the default first: 'sampler' (z -> x) and 'log_density' (x -> log p(x)). */
export const FLOW_PARTS = ['sampler', 'log_density'] as const;

interface Stored {
  family: 'flow';
  preset: string;
  config: FlowConfig;
}

/** Write the state dict (PyTorch keys, family 'flow', config in metadata) and config.json. */
export async function writeFlow(dir: string, net: FlowNetwork, preset: string): Promise<void> {
  const stored: Stored = { family: 'flow', preset, config: net.cfg };
  try {
    await mkdir(dir, { recursive: true });
    await saveModule(join(dir, MODEL_FILE), net, { family: 'flow', config: stored });
    await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(stored, null, 2)}\n`);
  } catch (e) {
    if (e instanceof Error && 'code' in e)
      throw new FlowError(`cannot write the model into '${dir}': ${e.message}`);
    throw e;
  }
}

/** Read a directory written by `writeFlow`; another family's checkpoint is a CheckpointError. */
export async function readFlow(
  dir: string,
): Promise<{ cfg: FlowConfig; preset: string; stateDict: Record<string, Tensor> }> {
  const path = join(dir, MODEL_FILE);
  try {
    await access(path);
  } catch {
    throw new FlowError(`no flow checkpoint at '${path}' (train one with 'genmodels train flow')`);
  }
  const ckpt = await loadCheckpoint(path, { family: 'flow' });
  let stored = ckpt.config as Partial<Stored> | null;
  if (!stored?.config) {
    // A plain state dict (e.g. saved by PyTorch): the config comes from config.json.
    try {
      stored = JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8')) as Partial<Stored>;
    } catch {
      throw new FlowError(
        `'${path}' has no flow config in its metadata and '${CONFIG_FILE}' is missing or invalid`,
      );
    }
  }
  if (!stored?.config) throw new FlowError(`'${dir}': no flow config found`);
  return {
    cfg: resolveConfig(stored.config),
    preset: stored.preset ?? 'custom',
    stateDict: ckpt.stateDict,
  };
}

/**
 * Export `part` to `path`: 'sampler' maps z [batch, D] ~ N(0, I) to x [batch, D] (pixel
 * configs: dequantized pixels in [0, 1]); 'log_density' maps x [batch, D] to log_prob
 * [batch] in nats (pixel configs: the density of y in [0, 1]^D, logit Jacobian included).
 */
export async function exportPart(net: FlowNetwork, path: string, part: string): Promise<void> {
  const d = net.cfg.dim;
  const meta = { config: { family: 'flow', part, ...net.cfg } };
  try {
    if (part === 'sampler') {
      await exportOnnx(
        path,
        net,
        { z: { dtype: 'float32', shape: ['batch', d] } },
        (i) => ({ x: ops.identity(net.inverse(i.z)) }),
        { ...meta, name: 'flow_sampler' },
      );
    } else if (part === 'log_density') {
      await exportOnnx(
        path,
        net,
        { x: { dtype: 'float32', shape: ['batch', d] } },
        (i) => ({ log_prob: ops.identity(net.logProb(i.x)) }),
        { ...meta, name: 'flow_log_density' },
      );
    } else {
      throw new FlowError(`unknown flow part '${part}'; expected one of ${FLOW_PARTS.join(', ')}`);
    }
  } catch (e) {
    if (e instanceof Error && 'code' in e)
      throw new FlowError(`cannot write '${path}': ${e.message}`);
    throw e;
  }
}
