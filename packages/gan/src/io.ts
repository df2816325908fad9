/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the generator.
 */
import { encodeOnnx, ops, Rng } from '@genmodels/runtime';
import { FamilyStore } from '@genmodels/runtime/internal';
import { type GanConfig, ganParameterCount, resolveConfig } from './config.js';
import { GanError } from './errors.js';
import { GanNetwork } from './network.js';
import { type GanFields, type Normalization, readGanFields } from './normalize.js';
import { stepInputs } from './steps.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE, MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first. */
export const GAN_PARTS = ['generator'] as const;

/**
 * The family's model directory (family 'gan', preset and config in metadata and config.json;
 * EMA weights under `ema.`; ONNX exports written with the family's error). A GAN trained on
 * the user's points also stores `trainedOn: 'data'`, its `normalization` (mean/std) and the
 * data's provenance; a preset's checkpoint stores none of them (read as 'preset', null).
 */
export const ganStore = new FamilyStore<GanConfig, GanNetwork, GanFields>({
  family: 'gan',
  label: 'GAN',
  fail: (m) => new GanError(m),
  resolve: resolveConfig,
  build: (cfg) => new GanNetwork(cfg, new Rng(0)),
  ema: true,
  parameters: ganParameterCount,
  fields: readGanFields,
});

/**
 * The generator (eval mode) as an ONNX model's bytes: inputs z [batch, zDim] (and y
 * [batch, K] one-hot for a conditional GAN), output x [batch, dataDim] (images in [-1, 1]).
 * `part` (the model checks it) is recorded in the metadata. A GAN trained on standardized
 * points outputs standardized points (x * std + mean gives data units); its mean and std are
 * in the metadata as `genmodels.normalization` (and in config.json).
 */
export function generatorOnnx(
  net: GanNetwork,
  part: string,
  normalization: Normalization | null = null,
): Uint8Array {
  const cfg = net.cfg;
  return encodeOnnx(
    net,
    stepInputs(cfg).g,
    (i) => ({ x: ops.identity(net.generator.call(i.z, i.y)) }),
    {
      config: { family: 'gan', part, ...cfg },
      name: 'gan_generator',
      ...(normalization && {
        metadata: { 'genmodels.normalization': JSON.stringify(normalization) },
      }),
    },
  );
}
