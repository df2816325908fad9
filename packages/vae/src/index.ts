/**
 * @genmodels/vae: variational autoencoders (MLP and convolutional encoders/decoders,
 * Bernoulli or Gaussian likelihood, beta and KL warm-up) trained with @genmodels/runtime.
 */

// The runtime's essentials, so an app that installs only this package (pnpm's strict
// node_modules included) can write `import { Runtime, Tensor, VAE } from '@genmodels/vae'`.
export type { RuntimeOptions } from '@genmodels/runtime';
export { Rng, Runtime, Tensor } from '@genmodels/runtime';
export type { ImageShape, Likelihood, VaeConfig } from './config.js';
export {
  klWeight,
  resolveConfig,
  VAE_PRESETS,
  vaeConfigSchema,
  vaeImageShape,
  vaeParameterCount,
} from './config.js';
export { VaeError } from './errors.js';
export type { VaeFamily } from './family.js';
export { vaeFamily } from './family.js';
export type { VaeFields } from './io.js';
export { CONFIG_FILE, MODEL_FILE, VAE_PARTS } from './io.js';
export type { ElboTerms } from './likelihood.js';
export { elboTerms, reconNll } from './likelihood.js';
export type { Posterior } from './network.js';
export { ConvDecoder, ConvEncoder, MlpDecoder, MlpEncoder, VaeNetwork } from './network.js';
export type { VaeEvalOptions, VaeFitOptions, VaeMetrics } from './vae.js';
export { VAE } from './vae.js';
