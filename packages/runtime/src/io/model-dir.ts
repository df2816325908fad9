/**
 * A model directory as every family writes it: `model.safetensors` (the state dict, with
 * family and stored config in its metadata) and `config.json` (the same stored config).
 * On Node.js it is a directory, each file written to a temp file and renamed; anywhere
 * (browsers too) the same files can be taken as bytes ({@link encodeModelFiles}) and read
 * back from bytes, `File`s or a URL ({@link readModelDir}).
 */
import { joinPath, makeDir, readBytes, writeFileAtomic } from '#platform';
import { CheckpointError, GenmodelsError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { decodeCheckpoint, encodeModule } from './checkpoint.js';

/** The checkpoint's file name inside a model directory. */
export const MODEL_FILE = 'model.safetensors';
/** The config's file name inside a model directory. */
export const CONFIG_FILE = 'config.json';
/** File names inside a model directory. */
export const MODEL_DIR_FILES = { model: MODEL_FILE, config: CONFIG_FILE } as const;

/** One file's content: bytes, text, or a `Blob`/`File` (e.g. from an `<input type=file>`). */
export type ModelFileData = Uint8Array | ArrayBuffer | Blob | string;

/**
 * A model directory's files by name: `model.safetensors` (required) and `config.json`
 * (needed only when the checkpoint's metadata has no config, e.g. one saved by PyTorch).
 */
export type ModelFiles = Readonly<Record<string, ModelFileData>>;

/** Where a model is loaded from: a directory (Node.js), a URL base (browsers), or its files. */
export type ModelSource = string | ModelFiles;

/** What {@link encodeModelFiles} (and every model's `toFiles()`) returns. */
export type ModelDirFiles = { 'model.safetensors': Uint8Array; 'config.json': string };

/** How messages name a model source: the directory or URL in quotes, or 'model files'. */
export function describeModelSource(source: ModelSource): string {
  return typeof source === 'string' ? `'${source}'` : 'model files';
}

/** Options of {@link writeModelDir} and {@link encodeModelFiles}. */
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
 * The files of a model directory as bytes and text, without touching any file system:
 * what a browser app offers as downloads, and what {@link readModelDir} reads back.
 *
 * @example const files = encodeModelFiles(net, { family: 'vae', preset, config }, { fail });
 */
export function encodeModelFiles(
  module: Module,
  stored: { family: string },
  opts: WriteModelDirOptions,
): ModelDirFiles {
  return {
    [MODEL_DIR_FILES.model]: encodeModule(module, {
      family: stored.family,
      config: stored,
      extra: opts.extra,
    }),
    [MODEL_DIR_FILES.config]: `${JSON.stringify(stored, null, 2)}\n`,
  };
}

/**
 * Write `module`'s state dict and `stored` (family, preset, config, ...) into `dir`
 * (Node.js; in a browser use {@link encodeModelFiles}).
 *
 * @example await writeModelDir('out/vae', net, { family: 'vae', preset, config }, { fail: (m) => new VaeError(m) });
 */
export async function writeModelDir(
  dir: string,
  module: Module,
  stored: { family: string },
  opts: WriteModelDirOptions,
): Promise<void> {
  const files = encodeModelFiles(module, stored, opts);
  try {
    await makeDir(dir);
    for (const [name, data] of Object.entries(files))
      await writeFileAtomic(joinPath(dir, name), data);
  } catch (e) {
    if (e instanceof Error && ('code' in e || e instanceof GenmodelsError))
      throw opts.fail(`cannot write the model into '${dir}': ${e.message}`);
    throw e;
  }
}

async function fileBytes(data: ModelFileData): Promise<Uint8Array> {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(await data.arrayBuffer());
}

/**
 * One file of a model source as bytes, null when it is absent: from the given files, or
 * read from the directory (Node.js) or URL base (browsers). A failing read is `fail`'s
 * error naming the path (default a CheckpointError).
 *
 * @example const bytes = await readSourceFile('models/gpt2', 'config.json');
 */
export async function readSourceFile(
  source: ModelSource,
  name: string,
  fail: (message: string) => Error = (m) => new CheckpointError(m),
): Promise<Uint8Array | null> {
  if (typeof source !== 'string') {
    const data = source[name];
    return data === undefined ? null : fileBytes(data);
  }
  try {
    return await readBytes(joinPath(source, name));
  } catch (e) {
    throw fail(`cannot read '${joinPath(source, name)}': ${(e as Error).message}`);
  }
}

/**
 * `bytes` as a JSON object (another convention's config.json): anything else, or invalid
 * JSON, is `fail`'s error naming `where` and what the file should hold (`what`).
 */
export function parseJsonObject(
  bytes: Uint8Array,
  where: string,
  what: string,
  fail: (message: string) => Error,
): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw fail(`${where}: config.json is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail(`${where}: config.json must hold an object of ${what}`);
  return value as Record<string, unknown>;
}

/**
 * Model files from a list of `File`s (an `<input type=file multiple>`'s `files`, a drop):
 * the `.safetensors` file that is not an optimizer file becomes `model.safetensors`,
 * a `.json` file `config.json`.
 *
 * @example const model = await Vae.load(rt, modelFilesFromList(input.files));
 */
export function modelFilesFromList(list: Iterable<File> | ArrayLike<File>): ModelFiles {
  const files = Array.from(list as ArrayLike<File>);
  const models = files.filter(
    (f) => f.name.endsWith('.safetensors') && !f.name.endsWith('.optim.safetensors'),
  );
  if (models.length !== 1)
    throw new CheckpointError(
      `expected exactly one .safetensors model file, got ${models.length} (${files.map((f) => f.name).join(', ') || 'no files'})`,
    );
  const out: Record<string, ModelFileData> = { [MODEL_DIR_FILES.model]: models[0] };
  const config = files.find((f) => f.name.endsWith('.json'));
  if (config) out[MODEL_DIR_FILES.config] = config;
  return out;
}

/**
 * Read what {@link writeModelDir} wrote: the state dict and the stored config, from the
 * checkpoint's metadata or, for a plain state dict (e.g. saved by PyTorch), from
 * config.json. `source` is a directory (Node.js), a URL base (browsers: the files are
 * fetched from it) or the files themselves. The caller validates `stored`.
 *
 * @example const { stored, stateDict } = await readModelDir<Stored>('out/vae', { family: 'vae', label: 'VAE', fail });
 */
export async function readModelDir<S extends { config?: unknown }>(
  source: ModelSource,
  opts: ReadModelDirOptions,
): Promise<{ stored: Partial<S> | null; stateDict: Record<string, Tensor> }> {
  const inMemory = typeof source !== 'string';
  const where = inMemory ? MODEL_DIR_FILES.model : joinPath(source, MODEL_DIR_FILES.model);
  const file = (name: string) => readSourceFile(source, name);
  const bytes = await file(MODEL_DIR_FILES.model);
  if (!bytes)
    throw opts.fail(
      `no ${opts.label} checkpoint at '${where}' (train one with '${opts.trainHint ?? `genmodels train ${opts.family}`}')`,
    );
  const ckpt = decodeCheckpoint(bytes, where, { family: opts.family });
  const configText = async () => {
    const b = await file(MODEL_DIR_FILES.config).catch(() => null);
    return b && new TextDecoder().decode(b);
  };
  let stored = ckpt.config as Partial<S> | null;
  if (!stored?.config) {
    try {
      stored = JSON.parse((await configText()) ?? '') as Partial<S>;
    } catch {
      throw opts.fail(
        `'${where}' has no ${opts.label} config in its metadata and '${MODEL_DIR_FILES.config}' is missing or invalid`,
      );
    }
  }
  return { stored, stateDict: ckpt.stateDict };
}
