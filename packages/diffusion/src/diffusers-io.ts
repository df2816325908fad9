/**
 * diffusers UNet2DModel checkpoints in and out of a DiffusionNetwork: a model directory
 * (diffusion_pytorch_model.safetensors in diffusers' names, config.json in diffusers' config
 * keys) read into a diffusers-layout network, and a network written back the same way,
 * strictly both ways (see diffusers-format.ts for the table).
 */
import {
  decodeSafetensors,
  encodeSafetensors,
  loadMappedStateDict,
  type ModelSource,
  mappedStateDict,
  Rng,
  type Tensor,
} from '@genmodels/runtime';
import {
  describeModelSource,
  joinPath,
  makeDir,
  parseJsonObject,
  readSourceFile,
  writeFileAtomic,
} from '@genmodels/runtime/internal';
import { type DiffusionConfig, resolveConfig } from './config.js';
import {
  type DiffusersUnetConfig,
  diffusersArchitecture,
  diffusersConfigJson,
} from './diffusers-config.js';
import { DIFFUSERS_UNET_FORMAT } from './diffusers-format.js';
import { DiffusionError } from './errors.js';
import { DiffusionNetwork } from './network.js';

/** The weights file of a diffusers model directory. */
export const DIFFUSERS_MODEL_FILE = 'diffusion_pytorch_model.safetensors';
/** The config file of a diffusers model directory. */
export const DIFFUSERS_CONFIG_FILE = 'config.json';

/** A diffusers UNet2DModel read into a network. */
export interface DiffusersUnet {
  net: DiffusionNetwork;
  cfg: DiffusionConfig;
  /** config.json as read; give it to the save functions to keep its other fields. */
  hfConfig: DiffusersUnetConfig;
}

/**
 * A diffusers-layout DiffusionNetwork holding a UNet2DModel state dict (diffusers' names), its
 * architecture from `hfConfig`, its training fields (timesteps, schedule, lr, ...) from
 * `training` over the U-Net defaults. `where` names the checkpoint in messages.
 *
 * @throws DiffusionError for an unsupported or inconsistent config; StateDictKeyError listing
 *   every missing and unexpected tensor (diffusers' names); ShapeError naming every tensor of
 *   the wrong shape.
 *
 * @example const { net } = diffusersNetwork(decodeSafetensors(bytes).tensors, json);
 */
export function diffusersNetwork(
  tensors: Record<string, Tensor>,
  hfConfig: DiffusersUnetConfig,
  training: Partial<DiffusionConfig> = {},
  where = 'diffusers checkpoint',
): DiffusersUnet {
  const arch = diffusersArchitecture(hfConfig, where);
  let cfg: DiffusionConfig;
  try {
    // The architecture is the checkpoint's; num_train_timesteps only a default.
    const { timesteps, ...shape } = arch;
    cfg = resolveConfig({ ...(timesteps ? { timesteps } : {}), ...training, ...shape });
  } catch (e) {
    throw new DiffusionError(`${where}: ${(e as Error).message}`);
  }
  const net = new DiffusionNetwork(cfg, new Rng(0));
  loadMappedStateDict(net, DIFFUSERS_UNET_FORMAT, tensors);
  return { net, cfg, hfConfig };
}

const fail = (m: string) => new DiffusionError(m);

/** One file of `source` as bytes. */
async function readFile(source: ModelSource, name: string): Promise<Uint8Array> {
  const bytes = await readSourceFile(source, name, fail);
  if (!bytes)
    throw new DiffusionError(
      `${describeModelSource(source)}: no ${name} found (a diffusers UNet2DModel directory has ${DIFFUSERS_MODEL_FILE} and ${DIFFUSERS_CONFIG_FILE})`,
    );
  return bytes;
}

function parseConfigJson(bytes: Uint8Array, where: string): DiffusersUnetConfig {
  return parseJsonObject(bytes, where, 'UNet2DModel config fields', fail) as DiffusersUnetConfig;
}

/**
 * Read a diffusers UNet2DModel directory (a path on Node.js, a URL base in browsers, or its
 * files): diffusion_pytorch_model.safetensors and config.json.
 *
 * @example const { net, cfg } = await readDiffusersUnet('models/ddpm-tiny/unet');
 */
export async function readDiffusersUnet(
  source: ModelSource,
  training: Partial<DiffusionConfig> = {},
): Promise<DiffusersUnet> {
  const where = describeModelSource(source);
  const [model, config] = await Promise.all([
    readFile(source, DIFFUSERS_MODEL_FILE),
    readFile(source, DIFFUSERS_CONFIG_FILE),
  ]);
  const file = typeof source === 'string' ? joinPath(source, DIFFUSERS_MODEL_FILE) : undefined;
  const { tensors } = decodeSafetensors(model, file);
  return diffusersNetwork(tensors, parseConfigJson(config, where), training, where);
}

/**
 * `net`'s state dict in diffusers' UNet2DModel names.
 *
 * @throws DiffusionError when `net` is not a diffusers-layout U-Net.
 */
export function diffusersStateDict(net: DiffusionNetwork): Record<string, Tensor> {
  diffusersConfigJson(net.cfg); // refuses other networks with a message saying why
  return mappedStateDict(net, DIFFUSERS_UNET_FORMAT);
}

/**
 * A diffusers model directory's files for `net` as bytes and text (no file system):
 * diffusion_pytorch_model.safetensors (metadata `format: pt`) and config.json, with `keep`'s
 * other fields.
 */
export function encodeDiffusersFiles(
  net: DiffusionNetwork,
  keep: DiffusersUnetConfig | null = null,
): Record<typeof DIFFUSERS_MODEL_FILE | typeof DIFFUSERS_CONFIG_FILE, Uint8Array | string> {
  const json = diffusersConfigJson(net.cfg, keep);
  return {
    [DIFFUSERS_MODEL_FILE]: encodeSafetensors(diffusersStateDict(net), { format: 'pt' }),
    [DIFFUSERS_CONFIG_FILE]: `${JSON.stringify(json, null, 2)}\n`,
  };
}

/** Write `net` into `dir` as a diffusers UNet2DModel directory (Node.js). */
export async function writeDiffusersUnet(
  dir: string,
  net: DiffusionNetwork,
  keep: DiffusersUnetConfig | null = null,
): Promise<void> {
  const files = encodeDiffusersFiles(net, keep);
  try {
    await makeDir(dir);
    for (const [name, data] of Object.entries(files))
      await writeFileAtomic(joinPath(dir, name), data);
  } catch (e) {
    throw new DiffusionError(
      `cannot write the diffusers UNet2DModel into '${dir}': ${(e as Error).message}`,
    );
  }
}
