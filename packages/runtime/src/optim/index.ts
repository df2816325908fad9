/** In-graph optimizers, gradient clipping and host-side learning-rate schedules. */
export type { AdamOptions } from './adam.js';
export { adam, adamw } from './adam.js';
export { clipGradNorm } from './clip.js';
export { EMA_PREFIX, emaUpdate, splitPrefixed, withPrefix } from './ema.js';
export type {
  Optimizer,
  ParamGroupOptions,
  ParamSlot,
  StateSpec,
  UpdateContext,
} from './optimizer.js';
export { noDecayOnBiasAndNorm, paramGroups } from './optimizer.js';
export type { Schedule } from './schedule.js';
export { constant, cosine, linearWarmup } from './schedule.js';
export type { SgdOptions } from './sgd.js';
export { sgd } from './sgd.js';
