/**
 * What a point flow stores beside its config about the points it was trained on, and
 * their per-dimension standardization: the runtime's point fields with the flow's error,
 * and the standardization's log-Jacobian.
 */
import { type Normalization, type PointFields, readPointFields } from '@genmodels/runtime/internal';
import { FlowError } from './errors.js';

export type { Normalization } from '@genmodels/runtime/internal';
export { fitNormalization, standardize, unstandardize } from '@genmodels/runtime/internal';

/** What a flow stores beside its preset and config (config.json and the checkpoint's metadata). */
export type FlowFields = PointFields;

/** The stored fields checked and completed (old checkpoints: trained on the preset, no normalization). */
export function readFlowFields(
  stored: Readonly<Record<string, unknown>>,
  where: string,
): FlowFields {
  return readPointFields(stored, where, 'flow', (m) => new FlowError(m));
}

/**
 * log |det d(standardize)/dx| = -sum_j log std_j: what the log-density of a data-unit point
 * adds to the flow's log-density of the standardized point.
 */
export function standardizeLogDet(norm: Normalization): number {
  let s = 0;
  for (const v of norm.std) s -= Math.log(v);
  return s;
}
