/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the encoder or decoder.
 */

import type { DataProvenance } from '@genmodels/runtime';
import { encodeOnnx, ops, Rng } from '@genmodels/runtime';
import { FamilyStore, readPointFields } from '@genmodels/runtime/internal';
import { resolveConfig, type VaeConfig, vaeImageShape, vaeParameterCount } from './config.js';
import { VaeError } from './errors.js';
import { VaeNetwork } from './network.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE, MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first. */
export const VAE_PARTS = ['decoder', 'encoder'] as const;

/**
 * What a VAE stores beside its preset and config (written only when it differs from a
 * preset's, so a preset's checkpoint is what it always was): `trainedOn` ('data': trained on
 * images you gave, so `evaluate()` needs held-out `{ data }`; checkpoints without it read as
 * 'preset', scored on MNIST) and `data` (where the images came from).
 */
export interface VaeFields {
  trainedOn: 'preset' | 'data';
  data?: DataProvenance;
}

/**
 * The stored fields of `stored` (a checkpoint's metadata or config.json), checked with the
 * runtime's point fields (a VAE has no normalization: its pixels are in [0, 1] as they are);
 * a malformed field is a VaeError naming `where` and the field.
 */
export function readVaeFields(stored: Readonly<Record<string, unknown>>, where: string): VaeFields {
  const f = readPointFields(stored, where, 'VAE', (m) => new VaeError(m));
  if (f.normalization !== null)
    throw new VaeError(
      `${where}: VAE stored fields: normalization is not a VAE field (a VAE models pixels in [0, 1] as they are); remove it`,
    );
  return f.data ? { trainedOn: f.trainedOn, data: f.data } : { trainedOn: f.trainedOn };
}

/**
 * The family's model directory (family 'vae', preset and config in metadata and config.json,
 * with `trainedOn` and `data` for a model trained on your own images; ONNX exports written
 * with the family's error).
 */
export const vaeStore = new FamilyStore<VaeConfig, VaeNetwork, VaeFields>({
  family: 'vae',
  label: 'VAE',
  fail: (m) => new VaeError(m),
  resolve: resolveConfig,
  build: (cfg) => new VaeNetwork(cfg, new Rng(0)),
  parameters: vaeParameterCount,
  fields: readVaeFields,
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
