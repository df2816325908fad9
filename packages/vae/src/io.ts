/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the encoder or decoder.
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
import { resolveConfig, type VaeConfig } from './config.js';
import { VaeError } from './errors.js';
import type { VaeNetwork } from './network.js';

/** The checkpoint's file name inside a model directory. */
export const MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const CONFIG_FILE = 'config.json';
/** Exportable parts, the default first. */
export const VAE_PARTS = ['decoder', 'encoder'] as const;

/** What config.json and the checkpoint's metadata hold. */
interface Stored {
  family: 'vae';
  preset: string;
  config: VaeConfig;
}

const fail = (m: string) => new VaeError(m);

function stored(net: VaeNetwork, preset: string): Stored {
  return { family: 'vae', preset, config: net.cfg };
}

/** The state dict (PyTorch keys, family 'vae', config in metadata) and config.json, as bytes and text. */
export function vaeFiles(net: VaeNetwork, preset: string): ModelDirFiles {
  return encodeModelFiles(net, stored(net, preset), { fail });
}

/** Write {@link vaeFiles} into `dir` (Node.js). */
export async function writeVae(dir: string, net: VaeNetwork, preset: string): Promise<void> {
  await writeModelDir(dir, net, stored(net, preset), { fail });
}

/** Read what `writeVae` wrote (a directory, a URL base or the files); another family's checkpoint is a CheckpointError. */
export async function readVae(
  source: ModelSource,
): Promise<{ cfg: VaeConfig; preset: string; stateDict: Record<string, Tensor> }> {
  const { stored, stateDict } = await readModelDir<Stored>(source, {
    family: 'vae',
    label: 'VAE',
    fail,
  });
  if (!stored?.config) throw new VaeError(`${describeModelSource(source)}: no VAE config found`);
  return { cfg: resolveConfig(stored.config), preset: stored.preset ?? 'custom', stateDict };
}

/** `part` ('decoder': z -> x in [0, 1]; 'encoder': x -> mu, logvar) as an ONNX model's bytes. */
export function vaeOnnx(net: VaeNetwork, part: string): Uint8Array {
  const cfg = net.cfg;
  const d = cfg.imageSize ** 2;
  const meta = { config: { family: 'vae', part, ...cfg } };
  if (part === 'decoder')
    return encodeOnnx(
      net,
      { z: { dtype: 'float32', shape: ['batch', cfg.latent] } },
      (i) => ({ x: ops.sigmoid(net.decoder.call(i.z)) }),
      { ...meta, name: 'vae_decoder' },
    );
  if (part === 'encoder')
    return encodeOnnx(
      net,
      { x: { dtype: 'float32', shape: ['batch', d] } },
      (i) => ({ ...net.call(i.x) }),
      { ...meta, name: 'vae_encoder' },
    );
  throw new VaeError(`unknown VAE part '${part}'; expected one of ${VAE_PARTS.join(', ')}`);
}
