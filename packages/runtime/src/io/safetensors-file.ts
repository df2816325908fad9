/**
 * safetensors checkpoint files: on disk on Node.js, by URL (read only) in browsers; the
 * codec is in `safetensors.ts`.
 */
import { readBytes, writeFileAtomic } from '#platform';
import { CheckpointError, GenmodelsError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from './safetensors.js';

/**
 * Save tensors (and optional string metadata) as a safetensors file, atomically: the bytes
 * are written to `${path}.tmp-<pid>-<random>` in the same directory, fsynced, then renamed
 * over `path`. On any failure the temp file is removed, so `path` is either the old file
 * (or absent) or the complete new one — never a partial file.
 *
 * @throws CheckpointError if encoding fails (e.g. a non-string metadata value; nothing is
 *   written then), the directory does not exist, or the file cannot be written.
 *
 * @example
 * await saveSafetensors('ckpt/step-100.safetensors', { 'fc1.weight': w, 'fc1.bias': b }, { step: '100' });
 */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = encodeSafetensors(tensors, metadata);
  } catch (e) {
    throw new CheckpointError(`cannot save checkpoint '${path}': ${(e as Error).message}`);
  }
  await writeFileAtomic(
    path,
    bytes,
    (why) => new CheckpointError(`cannot save checkpoint '${path}': ${why}`),
  );
}

/**
 * Load a safetensors file (in a browser, `path` is a URL). F16/BF16 tensors are converted to float32 (see
 * `decodeSafetensors`, whose errors name `path`).
 *
 * @throws CheckpointError `checkpoint not found: <path>` if the file does not exist; other
 *   read errors and corrupt files also throw CheckpointError.
 *
 * @example
 * const { tensors, metadata } = await loadSafetensors('ckpt/step-100.safetensors');
 * const w = tensors['fc1.weight']; // Tensor<float32> [784, 128]
 */
export async function loadSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array | null;
  try {
    bytes = await readBytes(path);
  } catch (e) {
    if (!(e instanceof GenmodelsError)) throw e;
    throw new CheckpointError(`cannot read checkpoint '${path}': ${e.message}`);
  }
  if (!bytes) throw new CheckpointError(`checkpoint not found: ${path}`);
  return decodeSafetensors(bytes, path);
}
