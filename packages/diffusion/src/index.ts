/**
 * @genmodels/diffusion: denoising diffusion models (linear and cosine schedules, eps / x0 /
 * v prediction, DDPM and DDIM samplers, classifier-free guidance; an MLP denoiser for 2-D
 * points and a U-Net for images of any shape: MNIST, CIFAR-10 or a folder of your own) trained
 * with @genmodels/runtime.
 */

// The runtime's essentials, so an app that installs only this package (pnpm's strict
// node_modules included) can import `Runtime`, `Tensor` and `Rng` from it.
export type { RuntimeOptions } from '@genmodels/runtime';
export { Rng, Runtime, Tensor } from '@genmodels/runtime';
export type { DiffusionConfig, Prediction, SamplerKind, ScheduleKind } from './config.js';
export {
  DIFFUSION_PRESETS,
  diffusionConfigSchema,
  diffusionParameterCount,
  exampleShape,
  resolveConfig,
  TOY_EPOCH,
} from './config.js';
export { checkLabels, toData } from './data.js';
export type { SampleTiming } from './diffusion.js';
export { Diffusion } from './diffusion.js';
export { embeddingFrequencies, timestepEmbedding } from './embedding.js';
export { DiffusionError } from './errors.js';
export type { DiffusionFamily } from './family.js';
export { diffusionFamily } from './family.js';
export type { DiffusionFields } from './io.js';
export { CONFIG_FILE, DIFFUSION_PARTS, MODEL_FILE } from './io.js';
export {
  AttentionBlock,
  DiffusionNetwork,
  MlpDenoiser,
  ModulesByLevel,
  ResBlock,
  UNet,
  Upsample2,
} from './network.js';
export type { PointNormalization, TrainedOn } from './normalize.js';
export { configForImages } from './own-images.js';
export type {
  DenoiseFn,
  DiffusionSampleOptions,
  SamplerOptions,
  SamplerStats,
  SamplerStep,
} from './sampler.js';
export { runSampler, SAMPLERS } from './sampler.js';
export {
  COSINE_MAX_BETA,
  COSINE_OFFSET,
  makeBetas,
  NoiseSchedule,
  samplingTimesteps,
} from './schedule.js';
export { compileDiffusionStep, denoiserInputs, trainInputs } from './steps.js';
export type { DiffusionFitOptions, DiffusionFitResult } from './train.js';
export { emaDecayAt, makeBatch } from './train.js';
export type { ImageShape } from './unet-shape.js';
export { diffusionImageShape } from './unet-shape.js';
export type { DiffusionEvalOptions } from './with-datasets.js';
