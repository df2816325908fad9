/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the encoder or decoder.
 */
import { encodeOnnx, ops, Rng } from '@genmodels/runtime';
import { FamilyStore } from '@genmodels/runtime/internal';
import { resolveConfig, type VaeConfig, vaeImageShape, vaeParameterCount } from './config.js';
import { VaeError } from './errors.js';
import { VaeNetwork } from './network.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE, MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first. */
export const VAE_PARTS = ['decoder', 'encoder'] as const;

/**
 * The family's model directory (family 'vae', preset and config in metadata and config.json;
 * ONNX exports written with the family's error).
 */
export const vaeStore = new FamilyStore<VaeConfig, VaeNetwork>({
  family: 'vae',
  label: 'VAE',
  fail: (m) => new VaeError(m),
  resolve: resolveConfig,
  build: (cfg) => new VaeNetwork(cfg, new Rng(0)),
  parameters: vaeParameterCount,
});

/**
 * `part` ('decoder': z [batch, latent] -> x [batch, C*H*W] in [0, 1]; 'encoder': x
 * [batch, C*H*W] -> mu, logvar [batch, latent]) as an ONNX model's bytes. Images are flat,
 * in the memory order of [batch, C, H, W]; the metadata's config (`genmodels.config`) has
 * the config and `imageShape: [C, H, W]`.
 */
export function vaeOnnx(net: VaeNetwork, part: string): Uint8Array {
  const cfg = net.cfg;
  const imageShape = vaeImageShape(cfg);
  const d = imageShape[0] * imageShape[1] * imageShape[2];
  const meta = { config: { family: 'vae', part, ...cfg, imageShape } };
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
