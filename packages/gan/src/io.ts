/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the generator.
 */
import { encodeOnnx, ops, Rng } from '@genmodels/runtime';
import { FamilyStore } from '@genmodels/runtime/internal';
import { type GanConfig, ganParameterCount, resolveConfig } from './config.js';
import { GanError } from './errors.js';
import { GanNetwork } from './network.js';
import { stepInputs } from './steps.js';

/** The file names inside a model directory (the runtime's, for every family). */
export { CONFIG_FILE, MODEL_FILE } from '@genmodels/runtime';
/** Exportable parts, the default first. */
export const GAN_PARTS = ['generator'] as const;

/**
 * The family's model directory (family 'gan', preset and config in metadata and config.json;
 * EMA weights under `ema.`; ONNX exports written with the family's error).
 */
export const ganStore = new FamilyStore<GanConfig, GanNetwork>({
  family: 'gan',
  label: 'GAN',
  fail: (m) => new GanError(m),
  resolve: resolveConfig,
  build: (cfg) => new GanNetwork(cfg, new Rng(0)),
  ema: true,
  parameters: ganParameterCount,
});

/**
 * The generator (eval mode) as an ONNX model's bytes: inputs z [batch, zDim] (and y
 * [batch, K] one-hot for a conditional GAN), output x [batch, dataDim] (images in [-1, 1]).
 * `part` (the model checks it) is recorded in the metadata.
 */
export function generatorOnnx(net: GanNetwork, part: string): Uint8Array {
  const cfg = net.cfg;
  return encodeOnnx(
    net,
    stepInputs(cfg).g,
    (i) => ({ x: ops.identity(net.generator.call(i.z, i.y)) }),
    { config: { family: 'gan', part, ...cfg }, name: 'gan_generator' },
  );
}
