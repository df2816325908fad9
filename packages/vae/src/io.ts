/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the encoder or decoder.
 */
import {
  encodeOnnx,
  FamilyStore,
  type LoadedModel,
  type ModelDirFiles,
  type ModelSource,
  ops,
  Rng,
} from '@genmodels/runtime';
import { resolveConfig, type VaeConfig } from './config.js';
import { VaeError } from './errors.js';
import { VaeNetwork } from './network.js';

/** The checkpoint's file name inside a model directory. */
export const MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const CONFIG_FILE = 'config.json';
/** Exportable parts, the default first. */
export const VAE_PARTS = ['decoder', 'encoder'] as const;

/** The family's model directory: family 'vae', preset and config in metadata and config.json. */
const store = new FamilyStore<VaeConfig>({
  family: 'vae',
  label: 'VAE',
  fail: (m) => new VaeError(m),
  resolve: resolveConfig,
});

/** The state dict (PyTorch keys) and config.json, as bytes and text. */
export function vaeFiles(net: VaeNetwork, preset: string): ModelDirFiles {
  return store.files(net, net.cfg, preset);
}

/** Write {@link vaeFiles} into `dir` (Node.js). */
export async function writeVae(dir: string, net: VaeNetwork, preset: string): Promise<void> {
  await store.write(dir, net, net.cfg, preset);
}

/** A network built from the stored config with the stored weights (and EMA weights, when saved). */
export function loadVaeNetwork(source: ModelSource): Promise<LoadedModel<VaeNetwork, VaeConfig>> {
  return store.load(source, (cfg) => new VaeNetwork(cfg, new Rng(0)));
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
