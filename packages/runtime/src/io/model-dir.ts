/**
 * A model directory as every family writes it: `model.safetensors` (the state dict, with
 * family and stored config in its metadata) and `config.json` (the same stored config),
 * both written to a temp file and renamed.
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { writeFileAtomic } from './atomic.js';
import { loadCheckpoint, saveModule } from './checkpoint.js';

/** File names inside a model directory. */
export const MODEL_DIR_FILES = { model: 'model.safetensors', config: 'config.json' } as const;

/** Options of {@link writeModelDir}. */
export interface WriteModelDirOptions {
  /** The family's error for a directory that cannot be written. */
  fail: (message: string) => Error;
  /** More tensors beside the state dict (e.g. EMA weights under `ema.`). */
  extra?: Readonly<Record<string, Tensor>>;
}

/** Options of {@link readModelDir}. */
export interface ReadModelDirOptions {
  /** The family the checkpoint must belong to (another is a CheckpointError). */
  family: string;
  /** The model's name in messages ('VAE', 'GPT', 'seq2seq', ...). */
  label: string;
  /** The command that makes one, for the "no checkpoint" message (default `genmodels train <family>`). */
  trainHint?: string;
  /** The family's error for a missing checkpoint or config. */
  fail: (message: string) => Error;
}

/**
 * Write `module`'s state dict and `stored` (family, preset, config, ...) into `dir`.
 *
 * @example await writeModelDir('out/vae', net, { family: 'vae', preset, config }, { fail: (m) => new VaeError(m) });
 */
export async function writeModelDir(
  dir: string,
  module: Module,
  stored: { family: string },
  opts: WriteModelDirOptions,
): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await saveModule(join(dir, MODEL_DIR_FILES.model), module, {
      family: stored.family,
      config: stored,
      extra: opts.extra,
    });
    await writeFileAtomic(
      join(dir, MODEL_DIR_FILES.config),
      `${JSON.stringify(stored, null, 2)}\n`,
    );
  } catch (e) {
    if (e instanceof Error && 'code' in e)
      throw opts.fail(`cannot write the model into '${dir}': ${e.message}`);
    throw e;
  }
}

/**
 * Read what {@link writeModelDir} wrote: the state dict and the stored config, from the
 * checkpoint's metadata or, for a plain state dict (e.g. saved by PyTorch), from
 * config.json. The caller validates `stored`.
 *
 * @example const { stored, stateDict } = await readModelDir<Stored>('out/vae', { family: 'vae', label: 'VAE', fail });
 */
export async function readModelDir<S extends { config?: unknown }>(
  dir: string,
  opts: ReadModelDirOptions,
): Promise<{ stored: Partial<S> | null; stateDict: Record<string, Tensor> }> {
  const path = join(dir, MODEL_DIR_FILES.model);
  try {
    await access(path);
  } catch {
    throw opts.fail(
      `no ${opts.label} checkpoint at '${path}' (train one with '${opts.trainHint ?? `genmodels train ${opts.family}`}')`,
    );
  }
  const ckpt = await loadCheckpoint(path, { family: opts.family });
  let stored = ckpt.config as Partial<S> | null;
  if (!stored?.config) {
    try {
      stored = JSON.parse(await readFile(join(dir, MODEL_DIR_FILES.config), 'utf8')) as Partial<S>;
    } catch {
      throw opts.fail(
        `'${path}' has no ${opts.label} config in its metadata and '${MODEL_DIR_FILES.config}' is missing or invalid`,
      );
    }
  }
  return { stored, stateDict: ckpt.stateDict };
}
