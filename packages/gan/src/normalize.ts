/**
 * What a 2-D (point) GAN stores beside its config about the points it was trained on, and
 * their per-dimension standardization: the runtime's point fields with the GAN's error.
 */
import { type PointFields, readPointFields } from '@genmodels/runtime/internal';
import { GanError } from './errors.js';

export type { Normalization } from '@genmodels/runtime/internal';
export { fitNormalization, standardize, unstandardize } from '@genmodels/runtime/internal';

/** What a GAN stores beside its preset and config (config.json and the checkpoint's metadata). */
export type GanFields = PointFields;

/** The stored fields checked and completed (old checkpoints: trained on the preset, no normalization). */
export function readGanFields(stored: Readonly<Record<string, unknown>>, where: string): GanFields {
  return readPointFields(stored, where, 'GAN', (m) => new GanError(m));
}
