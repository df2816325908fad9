/** Standalone ONNX export of a module's inference function. */

import { writeFileAtomic } from '#platform';
import { encodeModel } from '../graph/encode.js';
import { type InferenceFn, type InputSpecs, traceInference } from '../nn/inference.js';
import type { Module } from '../nn/module.js';
import { VERSION } from '../version.js';

export interface ExportOptions {
  /** Model config stored as JSON in the model's metadata (`genmodels.config`). */
  config?: unknown;
  /** Extra metadata_props entries. */
  metadata?: Readonly<Record<string, string>>;
  name?: string;
}

/**
 * Encode `fn` over `module` as a standalone ONNX model (opset 21): parameters as
 * initializers, named dynamic dims (e.g. `'batch'`) kept as dim_params, producer
 * `genmodels` with the library version, and the config in metadata.
 */
export function encodeOnnx(
  module: Module,
  inputs: InputSpecs,
  fn: InferenceFn,
  opts: ExportOptions = {},
): Uint8Array {
  const t = traceInference(module, inputs, fn, { name: opts.name });
  const metadata: Record<string, string> = { ...(opts.metadata ?? {}) };
  if (opts.config !== undefined) metadata['genmodels.config'] = JSON.stringify(opts.config);
  metadata['genmodels.module'] = module.constructor.name;
  return encodeModel(t.graph, {
    outputs: t.outputs,
    producerName: 'genmodels',
    producerVersion: VERSION,
    metadata,
  });
}

/**
 * Write the ONNX model to `path` (atomically: temp file, then rename).
 *
 * @example await exportOnnx('decoder.onnx', vae, { z: { dtype: 'float32', shape: ['batch', 20] } }, (x) => vae.decoder.call(x.z));
 */
export async function exportOnnx(
  path: string,
  module: Module,
  inputs: InputSpecs,
  fn: InferenceFn,
  opts: ExportOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeOnnx(module, inputs, fn, opts));
}
