/**
 * @genmodels/flow: normalizing flows (RealNVP affine couplings with tanh-bounded scales,
 * ActNorm, Glow-style LU-parameterized 1x1 mixing, logit transform for dequantized pixels)
 * trained by exact maximum likelihood with @genmodels/runtime.
 */
export { ActNorm } from './actnorm.js';
export type { FlowConfig, FlowToy } from './config.js';
export {
  FLOW_PRESETS,
  flowConfigSchema,
  flowParameterCount,
  resolveConfig,
  TOY_EPOCH,
} from './config.js';
export type { CouplingSplit } from './coupling.js';
export { AffineCoupling, couplingSplits } from './coupling.js';
export { dequantize } from './data.js';
export { FlowError } from './errors.js';
export type { FlowFamily } from './family.js';
export { flowFamily } from './family.js';
export type { DensityGrid, FlowEvalOptions, FlowFitOptions } from './flow.js';
export { Flow, TOY_TEST_SEED, TOY_TEST_SIZE } from './flow.js';
export { CONFIG_FILE, FLOW_PARTS, MODEL_FILE } from './io.js';
export type { FlowStep } from './layer.js';
export { FlowLayer } from './layer.js';
export { LogitTransform } from './logit.js';
export { LuMixing } from './mixing.js';
export { FlowNetwork } from './network.js';
export type { FlowFields, Normalization } from './normalize.js';
