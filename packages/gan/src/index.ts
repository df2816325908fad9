/**
 * @genmodels/gan: generative adversarial networks (2-D MLP, DCGAN and class-conditional
 * DCGAN on MNIST, CIFAR-10 or your own images of any shape; non-saturating, hinge and
 * WGAN-GP losses, R1, generator EMA) trained with @genmodels/runtime.
 */

// The runtime's essentials, so an app that installs only this package (pnpm's strict
// node_modules included) can import `Runtime`, `Tensor` and `Rng` from it.
export type { RuntimeOptions } from '@genmodels/runtime';
export { Rng, Runtime, Tensor } from '@genmodels/runtime';
export type { GanConfig, GanLoss, ImageShape } from './config.js';
export {
  GAN_PRESETS,
  ganConfigSchema,
  ganImageShape,
  ganParameterCount,
  ganUpsamples,
  resolveConfig,
  TOY_EPOCH,
} from './config.js';
export { checkLabels, oneHot } from './data.js';
export { GanError } from './errors.js';
export type { GanFamily } from './family.js';
export { ganFamily } from './family.js';
export type { GanEvalOptions, GanSampleOptions } from './gan.js';
export { GAN } from './gan.js';
export { CONFIG_FILE, GAN_PARTS, MODEL_FILE } from './io.js';
export type { Critic } from './losses.js';
export { discriminatorLoss, generatorLoss, gradientPenalty, r1Penalty } from './losses.js';
export {
  DcganDiscriminator,
  DcganGenerator,
  GanNetwork,
  isDiscriminator,
  isGenerator,
  MlpDiscriminator,
  MlpGenerator,
} from './network.js';
export type { GanFields, Normalization } from './normalize.js';
export { compileGanSteps, stepInputs } from './steps.js';
export type { GanFitOptions, GanFitResult, GanProgress } from './train.js';
export { COLLAPSE_RATIO, meanFeatureStd } from './train.js';
