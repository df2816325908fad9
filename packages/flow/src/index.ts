/**
 * @genmodels/flow: normalizing flows (RealNVP affine couplings with tanh-bounded scales,
 * RealNVP's multi-scale architecture over images, ActNorm, Glow-style LU-parameterized 1x1
 * mixing, logit transform for dequantized pixels) trained by exact maximum likelihood with
 * @genmodels/runtime.
 */

// The runtime's essentials, so an app that installs only this package (pnpm's strict
// node_modules included) can import `Runtime`, `Tensor` and `Rng` from it.
export type { RuntimeOptions } from '@genmodels/runtime';
export { Rng, Runtime, Tensor } from '@genmodels/runtime';
export { ActNorm } from './actnorm.js';
export type { FlowConfig, FlowToy, ImageShape } from './config.js';
export {
  FLOW_PRESETS,
  flowConfigSchema,
  flowImageShape,
  flowParameterCount,
  multiscaleCouplings,
  multiscaleShapes,
  resolveConfig,
  TOY_EPOCH,
} from './config.js';
export type { ConvMask, ConvNetOptions } from './conv-coupling.js';
export { ConvCoupling, ConvResNet } from './conv-coupling.js';
export type { CouplingSplit } from './coupling.js';
export { AffineCoupling, couplingSplits } from './coupling.js';
export { dequantize, quantizePixels } from './data.js';
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
export type { MultiScaleOptions } from './multiscale.js';
export { MultiScaleFlow } from './multiscale.js';
export { FlowNetwork } from './network.js';
export type { FlowFields, Normalization } from './normalize.js';
export { IMAGE_NORMALIZATION } from './own-images.js';
export { squeeze2d, unsqueeze2d } from './squeeze.js';
