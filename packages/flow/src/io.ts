/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the sampler and the log-density.
 */
import {
  describeModelSource,
  encodeModelFiles,
  encodeOnnx,
  type ModelDirFiles,
  type ModelSource,
  ops,
  readModelDir,
  type Tensor,
  writeModelDir,
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

/** What config.json and the checkpoint's metadata hold. */
interface Stored {
  family: 'flow';
  preset: string;
  config: FlowConfig;
}

const fail = (m: string) => new FlowError(m);

function stored(net: FlowNetwork, preset: string): Stored {
  return { family: 'flow', preset, config: net.cfg };
}

/** The state dict (PyTorch keys, family 'flow', config in metadata) and config.json, as bytes and text. */
export function flowFiles(net: FlowNetwork, preset: string): ModelDirFiles {
  return encodeModelFiles(net, stored(net, preset), { fail });
}

/** Write {@link flowFiles} into `dir` (Node.js). */
export async function writeFlow(dir: string, net: FlowNetwork, preset: string): Promise<void> {
  await writeModelDir(dir, net, stored(net, preset), { fail });
}

/** Read what `writeFlow` wrote (a directory, a URL base or the files); another family's checkpoint is a CheckpointError. */
export async function readFlow(
  source: ModelSource,
): Promise<{ cfg: FlowConfig; preset: string; stateDict: Record<string, Tensor> }> {
  const { stored, stateDict } = await readModelDir<Stored>(source, {
    family: 'flow',
    label: 'flow',
    fail,
  });
  if (!stored?.config) throw new FlowError(`${describeModelSource(source)}: no flow config found`);
  return { cfg: resolveConfig(stored.config), preset: stored.preset ?? 'custom', stateDict };
}

/**
 * `part` as an ONNX model's bytes: 'sampler' maps z [batch, D] ~ N(0, I) to x [batch, D]
 * (pixel configs: dequantized pixels in [0, 1]); 'log_density' maps x [batch, D] to
 * log_prob [batch] in nats (pixel configs: the density of y in [0, 1]^D, logit Jacobian
 * included).
 */
export function flowOnnx(net: FlowNetwork, part: string): Uint8Array {
  const d = net.cfg.dim;
  const meta = { config: { family: 'flow', part, ...net.cfg } };
  if (part === 'sampler')
    return encodeOnnx(
      net,
      { z: { dtype: 'float32', shape: ['batch', d] } },
      (i) => ({ x: ops.identity(net.inverse(i.z)) }),
      { ...meta, name: 'flow_sampler' },
    );
  if (part === 'log_density')
    return encodeOnnx(
      net,
      { x: { dtype: 'float32', shape: ['batch', d] } },
      (i) => ({ log_prob: ops.identity(net.logProb(i.x)) }),
      { ...meta, name: 'flow_log_density' },
    );
  throw new FlowError(`unknown flow part '${part}'; expected one of ${FLOW_PARTS.join(', ')}`);
}
