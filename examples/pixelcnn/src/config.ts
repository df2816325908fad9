/** PixelCNN configuration, its validation and the family's error. */
import { GenmodelsError } from '@genmodels/runtime';

/** A PixelCNN configuration, argument or checkpoint that cannot be used (names the field and value). */
export class PixelCnnError extends GenmodelsError {}

export interface PixelCnnConfig {
  /** Height = width of the binary images ([N, 1, H, W] of 0 / 1). */
  imageSize: number;
  /** Hidden channels, residual type-B 3x3 layers (>= 0) and the type-A kernel size (odd). */
  channels: number;
  layers: number;
  kernelSize: number;
  /** Adam learning rate and batch size of `fit` unless overridden. */
  lr: number;
  batchSize: number;
}

const base: PixelCnnConfig = {
  imageSize: 8,
  channels: 16,
  layers: 2,
  kernelSize: 5,
  lr: 3e-3,
  batchSize: 32,
};

/** A full config from a partial one over the defaults; validated. */
export function resolveConfig(c: Partial<PixelCnnConfig> = {}): PixelCnnConfig {
  const cfg = { ...base, ...c };
  const mins = { imageSize: 1, channels: 1, layers: 0, kernelSize: 1, batchSize: 1 } as const;
  for (const [k, min] of Object.entries(mins) as [keyof typeof mins, number][]) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < min)
      throw new PixelCnnError(`PixelCNN config: ${k} (${cfg[k]}) must be an integer >= ${min}`);
  }
  if (cfg.kernelSize % 2 !== 1)
    throw new PixelCnnError(`PixelCNN config: kernelSize (${cfg.kernelSize}) must be odd`);
  if (!(cfg.lr > 0)) throw new PixelCnnError(`PixelCNN config: lr (${cfg.lr}) must be > 0`);
  return cfg;
}
