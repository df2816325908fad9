/** What the family's training paths share: step counts, progress, the held-out fraction. */
import type { FamilyTrainOptions, ProgressEvent } from '@genmodels/runtime';
import { DIFFUSION_PRESETS } from './config.js';
import { DiffusionError } from './errors.js';

/** Training steps: `steps`, else `epochs` (default the preset's) of `perEpoch` steps, at least 1. */
export function totalSteps(opts: FamilyTrainOptions, perEpoch: number): number {
  const epochs = opts.epochs ?? DIFFUSION_PRESETS[opts.preset]?.defaultEpochs ?? 1;
  return opts.steps ?? Math.max(1, Math.round(epochs * perEpoch));
}

/** The fit's progress options (every `every` steps) with the total step count. */
export function progress(opts: FamilyTrainOptions, total: number, every: number) {
  return {
    signal: opts.signal,
    progressEvery: every,
    onProgress: opts.onProgress && ((e: ProgressEvent) => opts.onProgress?.({ ...e, total })),
  };
}

/** `valFraction` (default 0.1), checked: a number in (0, 1); `what` the held-out rows are. */
export function checkValFraction(opts: FamilyTrainOptions, what: string): number {
  const valFraction = opts.valFraction ?? 0.1;
  if (!(typeof valFraction === 'number' && valFraction > 0 && valFraction < 1))
    throw new DiffusionError(
      `valFraction (${String(valFraction)}) must be a number in (0, 1): evaluate() scores the model against the held-out ${what}`,
    );
  return valFraction;
}
