/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the generator.
 */
import {
  encodeOnnx,
  FamilyStore,
  type ModelDirFiles,
  type ModelSource,
  ops,
  type StoredModel,
  type Tensor,
} from '@genmodels/runtime';
import { type GanConfig, resolveConfig } from './config.js';
import { GanError } from './errors.js';
import type { GanNetwork } from './network.js';
import { stepInputs } from './steps.js';

/** The checkpoint's file name inside a model directory. */
export const MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const CONFIG_FILE = 'config.json';
/** Exportable parts, the default first. */
export const GAN_PARTS = ['generator'] as const;

/** The family's model directory: family 'gan', preset and config in metadata and config.json. */
const store = new FamilyStore<GanConfig>({
  family: 'gan',
  label: 'GAN',
  fail: (m) => new GanError(m),
  resolve: resolveConfig,
  ema: true,
});

/** The state dict (PyTorch keys; EMA weights under `ema.`) and config.json, as bytes and text. */
export function ganFiles(
  net: GanNetwork,
  preset: string,
  ema?: Readonly<Record<string, Tensor>>,
): ModelDirFiles {
  return store.files(net, net.cfg, preset, ema);
}

/** Write {@link ganFiles} into `dir` (Node.js). */
export async function writeGan(
  dir: string,
  net: GanNetwork,
  preset: string,
  ema?: Readonly<Record<string, Tensor>>,
): Promise<void> {
  await store.write(dir, net, net.cfg, preset, ema);
}

/** Read what `writeGan` wrote (a directory, a URL base or the files); another family's checkpoint is a CheckpointError. */
export function readGan(source: ModelSource): Promise<StoredModel<GanConfig>> {
  return store.read(source);
}

/**
 * The generator (eval mode) as an ONNX model's bytes: inputs z [batch, zDim] (and y
 * [batch, K] one-hot for a conditional GAN), output x [batch, dataDim] (images in [-1, 1]).
 */
export function generatorOnnx(net: GanNetwork, part: string): Uint8Array {
  if (part !== 'generator')
    throw new GanError(`unknown GAN part '${part}'; expected one of ${GAN_PARTS.join(', ')}`);
  const cfg = net.cfg;
  return encodeOnnx(
    net,
    stepInputs(cfg).g,
    (i) => ({ x: ops.identity(net.generator.call(i.z, i.y)) }),
    { config: { family: 'gan', part, ...cfg }, name: 'gan_generator' },
  );
}
