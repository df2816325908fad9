/** model.safetensors + config.json in a directory, and ONNX export of the encoder or decoder. */
import { join } from 'node:path';
import { exportOnnx, ops, readModelDir, type Tensor, writeModelDir } from '@genmodels/runtime';
import { resolveConfig, type VaeConfig } from './config.js';
import { VaeError } from './errors.js';
import type { VaeNetwork } from './network.js';

/** The checkpoint's file name inside a model directory. */
export const MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const CONFIG_FILE = 'config.json';
/** Exportable parts, the default first. */
export const VAE_PARTS = ['decoder', 'encoder'] as const;

interface Stored {
  family: 'vae';
  preset: string;
  config: VaeConfig;
}

/** Write the state dict (PyTorch keys, family 'vae', config in metadata) and config.json. */
export async function writeVae(dir: string, net: VaeNetwork, preset: string): Promise<void> {
  const stored: Stored = { family: 'vae', preset, config: net.cfg };
  await writeModelDir(dir, net, stored, { fail: (m) => new VaeError(m) });
}

/** Read a directory written by `writeVae`; another family's checkpoint is a CheckpointError. */
export async function readVae(
  dir: string,
): Promise<{ cfg: VaeConfig; preset: string; stateDict: Record<string, Tensor> }> {
  const { stored, stateDict } = await readModelDir<Stored>(dir, {
    family: 'vae',
    label: 'VAE',
    fail: (m) => new VaeError(m),
  });
  if (!stored?.config) throw new VaeError(`'${dir}': no VAE config found`);
  return { cfg: resolveConfig(stored.config), preset: stored.preset ?? 'custom', stateDict };
}

/** Export `part` ('decoder': z -> x in [0, 1]; 'encoder': x -> mu, logvar) to `path`. */
export async function exportPart(net: VaeNetwork, path: string, part: string): Promise<void> {
  const cfg = net.cfg;
  const d = cfg.imageSize ** 2;
  const meta = { config: { family: 'vae', part, ...cfg } };
  try {
    if (part === 'decoder') {
      await exportOnnx(
        path,
        net,
        { z: { dtype: 'float32', shape: ['batch', cfg.latent] } },
        (i) => ({ x: ops.sigmoid(net.decoder.call(i.z)) }),
        { ...meta, name: 'vae_decoder' },
      );
    } else if (part === 'encoder') {
      await exportOnnx(
        path,
        net,
        { x: { dtype: 'float32', shape: ['batch', d] } },
        (i) => ({ ...net.call(i.x) }),
        { ...meta, name: 'vae_encoder' },
      );
    } else {
      throw new VaeError(`unknown VAE part '${part}'; expected one of ${VAE_PARTS.join(', ')}`);
    }
  } catch (e) {
    if (e instanceof Error && 'code' in e)
      throw new VaeError(`cannot write '${path}': ${e.message}`);
    throw e;
  }
}
