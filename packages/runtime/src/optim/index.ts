export type { Optimizer, ParamSlot, ParamGroupOptions, StateSpec, UpdateContext } from './optimizer.js';
export { paramGroups, noDecayOnBiasAndNorm } from './optimizer.js';
export { sgd } from './sgd.js';
export type { SgdOptions } from './sgd.js';
export { adam, adamw } from './adam.js';
export type { AdamOptions } from './adam.js';
export { clipGradNorm } from './clip.js';
export { constant, linearWarmup, cosine } from './schedule.js';
export type { Schedule } from './schedule.js';
