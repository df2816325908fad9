/** safetensors checkpoint files on disk (Node only; the codec is in `safetensors.ts`). */
import { readFile } from 'node:fs/promises';
import { CheckpointError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { writeFileAtomic } from './atomic.js';
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
 * Load a safetensors file. F16/BF16 tensors are converted to float32 (see
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
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new CheckpointError(`checkpoint not found: ${path}`);
    throw new CheckpointError(`cannot read checkpoint '${path}': ${err.message}`);
  }
  return decodeSafetensors(bytes, path);
}
