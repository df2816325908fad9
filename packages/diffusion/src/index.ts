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
export type {
  DiffusersUnetLayout,
  DiffusionConfig,
  Prediction,
  SamplerKind,
  ScheduleKind,
} from './config.js';
export {
  DIFFUSION_PRESETS,
  diffusersUnetSchema,
  diffusionConfigSchema,
  diffusionParameterCount,
  exampleShape,
  resolveConfig,
  TOY_EPOCH,
} from './config.js';
export { checkLabels, toData } from './data.js';
export type { DiffusersUnetConfig } from './diffusers-config.js';
export { diffusersArchitecture, diffusersConfigJson } from './diffusers-config.js';
export { DIFFUSERS_UNET_FORMAT } from './diffusers-format.js';
export type { DiffusersUnet } from './diffusers-io.js';
export {
  DIFFUSERS_CONFIG_FILE,
  DIFFUSERS_MODEL_FILE,
  diffusersNetwork,
  diffusersStateDict,
  encodeDiffusersFiles,
  readDiffusersUnet,
  writeDiffusersUnet,
} from './diffusers-io.js';
export {
  DiffusersDownBlock,
  DiffusersMidBlock,
  DiffusersUNet,
  DiffusersUpBlock,
  diffusersHeads,
} from './diffusers-unet.js';
export type { SampleTiming } from './diffusion.js';
export { Diffusion } from './diffusion.js';
export type { TimestepEmbeddingOptions } from './embedding.js';
export { embeddingFrequencies, timestepEmbedding } from './embedding.js';
export { DiffusionError } from './errors.js';
export type { DiffusionFamily } from './family.js';
export { diffusionFamily } from './family.js';
export type { DenoisingLossOptions } from './held-out-loss.js';
export { denoisingLoss } from './held-out-loss.js';
export type { DiffusionFields } from './io.js';
export { CONFIG_FILE, DIFFUSION_PARTS, MODEL_FILE } from './io.js';
export { DiffusionNetwork, MlpDenoiser, ModulesByLevel, UNet } from './network.js';
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
export { AttentionBlock, ResBlock, Upsample2 } from './unet-blocks.js';
export type { ImageShape } from './unet-shape.js';
export { diffusionImageShape } from './unet-shape.js';
export type { DiffusionEvalOptions } from './with-datasets.js';
