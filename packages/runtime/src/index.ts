/**
 * @genmodels/runtime: tensors, tracing, reverse-mode autodiff and in-graph
 * optimizers over ONNX Runtime. Every public name is exported here explicitly.
 */

export type { VjpOptions } from './autodiff/grad.js';
export { grad, vjp } from './autodiff/grad.js';
export {
  CheckpointError,
  DeviceError,
  DivergenceError,
  DTypeError,
  FeedError,
  GenmodelsError,
  GraphError,
  KeyMapError,
  LoraError,
  NotDifferentiableError,
  ShapeError,
  StateDictKeyError,
} from './errors.js';
export type { Feed, IOSpec } from './exec/executable.js';
export { Executable } from './exec/executable.js';
export type { OpTypeTime, ProfileSummary } from './exec/profile.js';
export { formatProfile, summarizeProfile } from './exec/profile.js';
export type { CompileOptions, Device, RuntimeOptions } from './exec/runtime.js';
export { Runtime } from './exec/runtime.js';
export type {
  DataProvenance,
  FamilyEvalOptions,
  FamilyPreset,
  FamilySampleOptions,
  FamilySamples,
  FamilyTrainOptions,
  ModelFamily,
  TrainedModel,
} from './family.js';
export { Graph, Value } from './graph/graph.js';
export type { Dim, Shape } from './graph/shape.js';
export type { Checkpoint, CheckpointInfo, SaveModuleInfo } from './io/checkpoint.js';
export {
  CHECKPOINT_FORMAT,
  decodeCheckpoint,
  encodeModule,
  loadCheckpoint,
  optimizerPath,
  resumeTrainStep,
  saveCheckpoint,
  saveModule,
} from './io/checkpoint.js';
export type { KeyFormat, KeyRule } from './io/key-format.js';
export {
  concatKeys,
  defineKeyFormat,
  ignoreKey,
  renameKey,
  splitKey,
  tieKeys,
  transposeKey,
} from './io/key-format.js';
export type { KeyExportOptions, KeyImportOptions } from './io/key-map.js';
export {
  exportStateDict,
  importStateDict,
  loadMappedStateDict,
  mappedStateDict,
} from './io/key-map.js';
export type { LoraConfigJson, LoraFileData, LoraFileOptions } from './io/lora-files.js';
export {
  decodeLoraAdapters,
  encodeLoraAdapters,
  LORA_CONFIG_FILE,
  LORA_MODEL_FILE,
  loadLoraAdapters,
  saveLoraAdapters,
} from './io/lora-files.js';
export type { ModelDirFiles, ModelFileData, ModelFiles, ModelSource } from './io/model-dir.js';
export { CONFIG_FILE, MODEL_FILE, modelFilesFromList } from './io/model-dir.js';
export type { ExportOptions } from './io/onnx.js';
export { encodeOnnx, exportOnnx } from './io/onnx.js';
export type { SafetensorsFile } from './io/safetensors.js';
export { decodeSafetensors, encodeSafetensors } from './io/safetensors.js';
export { loadSafetensors, saveSafetensors } from './io/safetensors-file.js';
export type {
  BatchNormOptions,
  Conv2dLayerOptions,
  ConvTranspose2dLayerOptions,
  EmbeddingOptions,
  GroupNormOptions,
  KeyValueCache,
  LayerNormOptions,
  LinearOptions,
  MultiheadAttentionCall,
  MultiheadAttentionOptions,
  MultiheadAttentionResult,
  NoiseInput,
} from './nn/index.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  Dropout,
  Embedding,
  Flatten,
  GELU,
  GroupNorm,
  LayerNorm,
  LeakyReLU,
  Linear,
  Module,
  ModuleList,
  MultiheadAttention,
  noise,
  Parameter,
  ReLU,
  Sequential,
  Sigmoid,
  SiLU,
  Softplus,
  Tanh,
  Upsample,
} from './nn/index.js';
export type { InferenceFn, InputSpecs } from './nn/inference.js';
export { compileInference } from './nn/inference.js';
export * as init from './nn/init.js';
export type { LoraOptions, NamePattern } from './nn/lora.js';
export { addLora, freeze, freezeExcept, LoraAdapters, matchesName } from './nn/lora.js';
export type { ParameterAdapter } from './nn/parameter.js';
export { onesLike, zerosLike } from './ops/creation.js';
export * as ops from './ops/index.js';
export type {
  Optimizer,
  ParamGroupOptions,
  ParamSlot,
  StateSpec,
  UpdateContext,
} from './optim/index.js';
export {
  adam,
  adamw,
  clipGradNorm,
  constant,
  cosine,
  linearWarmup,
  noDecayOnBiasAndNorm,
  paramGroups,
  sgd,
} from './optim/index.js';
export type { RngState } from './rng.js';
export { Rng } from './rng.js';
export type { DType, NestedArray, TensorData } from './tensor.js';
export { DTYPES, isFloat, sameTensor, sizeOf, Tensor } from './tensor.js';
export type { Batch, BatchSource, FitOptions, FitResult, ProgressEvent } from './train/fit.js';
export { fit } from './train/fit.js';
export type { LossOutput, StepResult, TrainState, TrainStepSpec } from './train/train-step.js';
export { compileTrainStep, TrainStep } from './train/train-step.js';
export { VERSION } from './version.js';
