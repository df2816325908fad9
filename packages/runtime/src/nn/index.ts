/** Modules, parameters, initializers and layers, with PyTorch-compatible names. */

export { GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh } from './activations.js';
export type {
  KeyValueCache,
  MultiheadAttentionCall,
  MultiheadAttentionOptions,
  MultiheadAttentionResult,
} from './attention.js';
export { MultiheadAttention } from './attention.js';
export type { Layer } from './containers.js';
export { ModuleList, Sequential } from './containers.js';
export type { Conv2dLayerOptions, ConvTranspose2dLayerOptions } from './conv.js';
export { Conv2d, ConvTranspose2d } from './conv.js';
export { Dropout } from './dropout.js';
export type { EmbeddingOptions } from './embedding.js';
export { Embedding } from './embedding.js';
export {
  fanInUniform,
  fans,
  kaimingUniform,
  normal,
  ones,
  uniform,
  xavierNormal,
  xavierUniform,
  zeros,
} from './init.js';
export type { LinearOptions } from './linear.js';
export { Linear } from './linear.js';
export { Module } from './module.js';
export type { BatchNormOptions, GroupNormOptions, LayerNormOptions } from './normalization.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  BatchNormBase,
  GroupNorm,
  LayerNorm,
} from './normalization.js';
export { Parameter } from './parameter.js';
export { Flatten, Upsample } from './reshaping.js';
export type { NoiseInput, TraceContext } from './trace.js';
export { currentTrace, noise, withTrace } from './trace.js';
