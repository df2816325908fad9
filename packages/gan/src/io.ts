/**
 * model.safetensors + config.json (a directory on Node.js, or the same files as bytes
 * anywhere), and ONNX export of the generator.
 */
import {
  describeModelSource,
  encodeModelFiles,
  encodeOnnx,
  type ModelDirFiles,
  type ModelSource,
  ops,
  readModelDir,
  splitPrefixed,
  type Tensor,
  withPrefix,
  writeModelDir,
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

/** What config.json and the checkpoint's metadata hold. */
interface Stored {
  family: 'gan';
  preset: string;
  config: GanConfig;
}

const fail = (m: string) => new GanError(m);

function stored(net: GanNetwork, preset: string): Stored {
  return { family: 'gan', preset, config: net.cfg };
}

/**
 * The state dict (PyTorch keys; EMA generator weights under `ema.generator.*`), family
 * 'gan' and the config in metadata, and config.json, as bytes and text.
 */
export function ganFiles(
  net: GanNetwork,
  preset: string,
  ema?: Readonly<Record<string, Tensor>>,
): ModelDirFiles {
  return encodeModelFiles(net, stored(net, preset), { fail, extra: withPrefix(ema) });
}

/** Write {@link ganFiles} into `dir` (Node.js). */
export async function writeGan(
  dir: string,
  net: GanNetwork,
  preset: string,
  ema?: Readonly<Record<string, Tensor>>,
): Promise<void> {
  await writeModelDir(dir, net, stored(net, preset), { fail, extra: withPrefix(ema) });
}

/** Read what `writeGan` wrote (a directory, a URL base or the files); another family's checkpoint is a CheckpointError. */
export async function readGan(source: ModelSource): Promise<{
  cfg: GanConfig;
  preset: string;
  stateDict: Record<string, Tensor>;
  ema?: Record<string, Tensor>;
}> {
  const { stored, stateDict: all } = await readModelDir<Stored>(source, {
    family: 'gan',
    label: 'GAN',
    fail,
  });
  if (!stored?.config) throw new GanError(`${describeModelSource(source)}: no GAN config found`);
  const { own, prefixed } = splitPrefixed(all);
  return {
    cfg: resolveConfig(stored.config),
    preset: stored.preset ?? 'custom',
    stateDict: own,
    ema: prefixed,
  };
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
