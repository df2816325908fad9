/**
 * The run directory written by `genmodels train` and read by sample, eval and export:
 * `config.json` says which family and preset made it; the family loads the weights.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  CONFIG_FILE,
  MODEL_FILE,
  type ModelFamily,
  type Runtime,
  type TrainedModel,
} from '@genmodels/runtime';
import { readBytes } from '@genmodels/runtime/internal';
import { CheckpointDirError } from './errors.js';
import { recoverRunDir } from './rundir.js';

/** The contents of `config.json`. */
export interface RunConfig {
  family: string;
  preset: string;
  seed: number;
  device: string;
  epochs: number | null;
  steps: number | null;
  /** @genmodels/runtime version that wrote it. */
  runtime: string;
  /** Text families: absolute path of the training corpus. */
  corpus?: string;
  /** The family's own JSON config (architecture, likelihood, ...). */
  config: unknown;
  /** Anything else the family's own `save` put in config.json (e.g. a vocabulary). */
  [key: string]: unknown;
}

/** The largest config.json a run directory may hold (a vocabulary and a config are far smaller). */
export const CONFIG_MAX_BYTES = 16 * 1024 * 1024;

/** Read and check `dir/config.json`. */
export async function readRunConfig(dir: string): Promise<RunConfig> {
  // A save killed between its two renames left the old run beside the name: put it back.
  await recoverRunDir(resolve(dir)).catch(() => false);
  const s = await stat(dir).catch(() => null);
  if (!s) throw new CheckpointDirError(`checkpoint directory '${dir}' does not exist`);
  if (!s.isDirectory()) throw new CheckpointDirError(`checkpoint '${dir}' is not a directory`);
  let bytes: Uint8Array | null;
  try {
    // Only a regular file of sane size: a FIFO or /dev/zero here must not hang or fill memory.
    bytes = await readBytes(join(dir, CONFIG_FILE), { maxBytes: CONFIG_MAX_BYTES });
  } catch (e) {
    throw new CheckpointDirError(`checkpoint '${dir}': ${(e as Error).message}`);
  }
  if (!bytes)
    throw new CheckpointDirError(
      `checkpoint directory '${dir}' has no config.json (not written by 'genmodels train')`,
    );
  const text = new TextDecoder().decode(bytes);
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch {
    throw new CheckpointDirError(`checkpoint '${dir}': config.json is not valid JSON (corrupt)`);
  }
  const c = cfg as Partial<RunConfig> | null;
  if (!c || typeof c !== 'object' || typeof c.family !== 'string' || typeof c.preset !== 'string') {
    throw new CheckpointDirError(
      `checkpoint '${dir}': config.json lacks the 'family' and 'preset' fields (corrupt)`,
    );
  }
  return c as RunConfig;
}

/**
 * Load the model saved in `dir` with `family`, after checking that the directory
 * exists, holds a checkpoint of this family and has its weights. Any failure of the
 * family's own loader (truncated or mismatched weights) becomes a CheckpointDirError.
 */
export async function loadRun(
  family: ModelFamily,
  rt: Runtime,
  dir: string,
): Promise<{ model: TrainedModel; run: RunConfig }> {
  const run = await readRunConfig(dir);
  if (run.family !== family.name) {
    throw new CheckpointDirError(
      `checkpoint '${dir}' is a '${run.family}' model, not '${family.name}'; ` +
        `use 'genmodels <command> ${run.family} --from ${dir}'`,
    );
  }
  const weights = join(dir, MODEL_FILE);
  if (!(await stat(weights).catch(() => null))) {
    throw new CheckpointDirError(`checkpoint '${dir}' has no model.safetensors`);
  }
  try {
    return { model: await family.load(rt, dir), run };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new CheckpointDirError(`cannot load checkpoint '${dir}': ${msg}`);
  }
}
