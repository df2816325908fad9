/** model.safetensors + config.json in a directory, and ONNX export of the sampler and the log-density. */
import { join } from 'node:path';
import { exportOnnx, ops, readModelDir, type Tensor, writeModelDir } from '@genmodels/runtime';
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
  await writeModelDir(dir, net, stored, { fail: (m) => new FlowError(m) });
}

/** Read a directory written by `writeFlow`; another family's checkpoint is a CheckpointError. */
export async function readFlow(
  dir: string,
): Promise<{ cfg: FlowConfig; preset: string; stateDict: Record<string, Tensor> }> {
  const { stored, stateDict } = await readModelDir<Stored>(dir, {
    family: 'flow',
    label: 'flow',
    fail: (m) => new FlowError(m),
  });
  if (!stored?.config) throw new FlowError(`'${dir}': no flow config found`);
  return { cfg: resolveConfig(stored.config), preset: stored.preset ?? 'custom', stateDict };
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
