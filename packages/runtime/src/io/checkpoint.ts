/**
 * Training checkpoints. The model file is a plain safetensors state dict (parameters and
 * buffers under PyTorch names), so PyTorch's `load_state_dict(safetensors.torch.load_file(p))`
 * reads it as is; its metadata holds the family, model config, step, RNG state, optimizer
 * config and library version. Optimizer moments go to a sibling file
 * `<name>.optim.safetensors` (keeping them out of the state dict, and out of the header,
 * whose size readers limit). Both are written atomically.
 */
import { baseName, dirOf, joinPath, writeFileAtomic } from '#platform';
import { CheckpointError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { RngState } from '../rng.js';
import type { Tensor } from '../tensor.js';
import type { TrainState, TrainStep } from '../train/train-step.js';
import { VERSION } from '../version.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from './safetensors.js';
import { loadSafetensors, saveSafetensors } from './safetensors-file.js';

export const CHECKPOINT_FORMAT = 'genmodels/1';

export interface CheckpointInfo {
  /** Model family, e.g. 'vae'; loading checks it. */
  family: string;
  /** Model config (JSON-serializable). */
  config?: unknown;
}

/** Options of {@link saveModule}. */
export interface SaveModuleInfo extends CheckpointInfo {
  /** More tensors stored beside the state dict (e.g. EMA weights under `ema.`); names must not clash. */
  extra?: Readonly<Record<string, Tensor>>;
}

export interface Checkpoint {
  family: string;
  config: unknown;
  step: number;
  version: string;
  /** Parameters and buffers by state_dict name. */
  stateDict: Record<string, Tensor>;
  /** Present when the checkpoint was saved from a TrainStep (resumable). */
  train?: TrainState;
  optimizer?: { kind: string; config: unknown };
}

/** `<dir>/<name>.optim.safetensors` next to `<dir>/<name>.safetensors`. */
export function optimizerPath(path: string): string {
  const base = baseName(path).replace(/\.safetensors$/, '');
  return joinPath(dirOf(path), `${base}.optim.safetensors`);
}

/**
 * Save a resumable checkpoint from a train step (and module, for buffers' names).
 *
 * @example await saveCheckpoint('vae.safetensors', step, { family: 'vae', config });
 */
export async function saveCheckpoint(
  path: string,
  step: TrainStep,
  info: CheckpointInfo,
): Promise<void> {
  const s = await step.getState();
  const opt = step.optimizer;
  const optFile = optimizerPath(path);
  await saveSafetensors(optFile, s.optimizer, {
    'genmodels.format': CHECKPOINT_FORMAT,
    'genmodels.step': String(s.step),
  });
  await saveSafetensors(
    path,
    { ...s.params, ...s.buffers },
    {
      'genmodels.format': CHECKPOINT_FORMAT,
      'genmodels.family': info.family,
      'genmodels.config': JSON.stringify(info.config ?? null),
      'genmodels.version': VERSION,
      'genmodels.step': String(s.step),
      'genmodels.rng': JSON.stringify(s.rng),
      'genmodels.params': JSON.stringify(Object.keys(s.params)),
      'genmodels.optimizer': JSON.stringify({ kind: opt.kind, config: opt.config }),
      'genmodels.optimizer_file': baseName(optFile),
    },
  );
}

/**
 * A module's state dict (and `info.extra` tensors) with family and config as safetensors
 * bytes; no optimizer state, so not resumable. Works everywhere (browsers too).
 */
export function encodeModule(module: Module, info: SaveModuleInfo): Uint8Array {
  const tensors: Record<string, Tensor> = { ...module.stateDict() };
  for (const [name, t] of Object.entries(info.extra ?? {})) {
    if (name in tensors)
      throw new CheckpointError(`saveModule: extra tensor '${name}' clashes with a module tensor`);
    tensors[name] = t;
  }
  try {
    return encodeSafetensors(tensors, {
      'genmodels.format': CHECKPOINT_FORMAT,
      'genmodels.family': info.family,
      'genmodels.config': JSON.stringify(info.config ?? null),
      'genmodels.version': VERSION,
    });
  } catch (e) {
    throw new CheckpointError(`cannot encode the checkpoint: ${(e as Error).message}`);
  }
}

/**
 * Save a module's state dict (and `info.extra` tensors) with family and config; no
 * optimizer state, so not resumable. Written to a temp file and renamed (Node.js).
 */
export async function saveModule(
  path: string,
  module: Module,
  info: SaveModuleInfo,
): Promise<void> {
  const bytes = encodeModule(module, info);
  await writeFileAtomic(
    path,
    bytes,
    (why) => new CheckpointError(`cannot save checkpoint '${path}': ${why}`),
  );
}

function parseJson(path: string, key: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckpointError(`checkpoint '${path}': metadata '${key}' is not valid JSON`);
  }
}

/**
 * Read a checkpoint (in a browser, `path` is a URL). With `family`, a checkpoint of another
 * family is an error. Files without genmodels metadata (e.g. written by PyTorch) load as a
 * plain state dict.
 */
export async function loadCheckpoint(
  path: string,
  opts: { family?: string } = {},
): Promise<Checkpoint> {
  const file = await loadSafetensors(path);
  const ckpt = toCheckpoint(file, path, opts);
  const { metadata, tensors } = file;
  const optFile = metadata['genmodels.optimizer_file'];
  if (optFile) {
    // A sibling file only: metadata never makes the loader read outside the checkpoint's directory.
    if (/[/\\]/.test(optFile) || optFile === '.' || optFile === '..')
      throw new CheckpointError(
        `checkpoint '${path}': metadata 'genmodels.optimizer_file' must name a file beside the checkpoint, not a path`,
      );
    const names = parseJson(path, 'genmodels.params', metadata['genmodels.params']);
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
      throw new CheckpointError(
        `checkpoint '${path}': metadata 'genmodels.params' (the trained parameters' names) is missing or not a list of names`,
      );
    const opt = await loadSafetensors(joinPath(dirOf(path), optFile));
    if (opt.metadata['genmodels.step'] !== metadata['genmodels.step']) {
      throw new CheckpointError(
        `checkpoint '${path}': optimizer file '${optFile}' is from step ${opt.metadata['genmodels.step']}, the model from step ${metadata['genmodels.step']}`,
      );
    }
    const params: Record<string, Tensor> = {};
    const buffers: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(tensors)) (names.includes(k) ? params : buffers)[k] = t;
    ckpt.train = {
      step: ckpt.step,
      params,
      buffers,
      optimizer: opt.tensors,
      rng: parseJson(path, 'genmodels.rng', metadata['genmodels.rng']) as RngState,
    };
    ckpt.optimizer = parseJson(
      path,
      'genmodels.optimizer',
      metadata['genmodels.optimizer'],
    ) as Checkpoint['optimizer'];
  }
  return ckpt;
}

/**
 * A checkpoint from safetensors bytes (e.g. a file a user picked in a browser); `name`
 * labels errors. Optimizer state in a sibling file is not read: the result is not resumable.
 */
export function decodeCheckpoint(
  bytes: Uint8Array,
  name: string,
  opts: { family?: string } = {},
): Checkpoint {
  return toCheckpoint(decodeSafetensors(bytes, name), name, opts);
}

function toCheckpoint(
  { tensors, metadata }: SafetensorsFile,
  path: string,
  opts: { family?: string },
): Checkpoint {
  const family = metadata['genmodels.family'] ?? '';
  if (opts.family && family && family !== opts.family) {
    throw new CheckpointError(
      `checkpoint '${path}' is a '${family}' model, expected '${opts.family}'`,
    );
  }
  return {
    family,
    config: parseJson(path, 'genmodels.config', metadata['genmodels.config']) ?? null,
    step: Number(metadata['genmodels.step'] ?? 0),
    version: metadata['genmodels.version'] ?? '',
    stateDict: tensors,
  };
}

/** Continue training from a checkpoint: restores parameters, buffers, optimizer state, step and RNG. */
export function resumeTrainStep(step: TrainStep, ckpt: Checkpoint): void {
  if (!ckpt.train)
    throw new CheckpointError(
      'resume: this checkpoint has no optimizer state (it was saved with saveModule)',
    );
  if (ckpt.optimizer && ckpt.optimizer.kind !== step.optimizer.kind) {
    throw new CheckpointError(
      `resume: checkpoint was trained with '${ckpt.optimizer.kind}', this step uses '${step.optimizer.kind}'`,
    );
  }
  step.setState(ckpt.train);
}
