/**
 * @genmodels/runtime: tensors, tracing, reverse-mode autodiff and in-graph
 * optimizers over ONNX Runtime. Every public name is exported here explicitly.
 */

// File access for this platform (Node.js: the file system; browsers: fetch), chosen by the
// package's `#platform` import: model packages and datasets use these instead of `node:`.
export {
  baseName,
  dirOf,
  gunzip,
  joinPath,
  makeDir,
  platformName,
  readBytes,
  writeFileAtomic,
} from '#platform';
export { grad, vjp } from './autodiff/grad.js';
export {
  CheckpointError,
  DeviceError,
  DivergenceError,
  DTypeError,
  FeedError,
  GenmodelsError,
  GraphError,
  NotDifferentiableError,
  ShapeError,
} from './errors.js';
export { ExecutableCache } from './exec/cache.js';
export type { Feed, IOSpec } from './exec/executable.js';
export { Executable } from './exec/executable.js';
export type { CompileOptions, Device, RuntimeOptions } from './exec/runtime.js';
export { Runtime } from './exec/runtime.js';
export type {
  FamilyPreset,
  FamilySampleOptions,
  FamilySamples,
  FamilyTrainOptions,
  ModelFamily,
  TrainedModel,
} from './family.js';
export { decodeModel, encodeModel, IR_VERSION, OPSET } from './graph/encode.js';
export type { Attr, Attrs, Node, OutputSpec, Primitive, VjpRule } from './graph/graph.js';
export { Graph, primitive, Value } from './graph/graph.js';
export type { Dim, Shape } from './graph/shape.js';
export { broadcastShapes, formatShape } from './graph/shape.js';
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
export type {
  FamilyStoreOptions,
  LoadedModel,
  NoFields,
  ReadModel,
  StoredModel,
} from './io/family-store.js';
export { FamilyStore } from './io/family-store.js';
export type {
  ModelDirFiles,
  ModelFileData,
  ModelFiles,
  ModelSource,
  ReadModelDirOptions,
  WriteModelDirOptions,
} from './io/model-dir.js';
export {
  CONFIG_FILE,
  describeModelSource,
  encodeModelFiles,
  MODEL_DIR_FILES,
  MODEL_FILE,
  modelFilesFromList,
  readModelDir,
  writeModelDir,
} from './io/model-dir.js';
export type { ExportOptions } from './io/onnx.js';
export { encodeOnnx, exportOnnx } from './io/onnx.js';
export type { SafetensorsFile } from './io/safetensors.js';
export { decodeSafetensors, encodeSafetensors } from './io/safetensors.js';
export { loadSafetensors, saveSafetensors } from './io/safetensors-file.js';
export type {
  ModelFitOptions,
  ModelInferenceFn,
  ModelNetwork,
} from './model/generative-model.js';
export { GenerativeModel } from './model/generative-model.js';
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
  TraceContext,
} from './nn/index.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  currentTrace,
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
  withTrace,
} from './nn/index.js';
export type { InferenceFn, InputSpecs, TracedInference } from './nn/inference.js';
export { compileInference, traceInference } from './nn/inference.js';
export * as init from './nn/init.js';
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
  EMA_PREFIX,
  emaUpdate,
  linearWarmup,
  noDecayOnBiasAndNorm,
  paramGroups,
  sgd,
  splitPrefixed,
  withPrefix,
} from './optim/index.js';
export { importOptional } from './optional-import.js';
export type { RngState } from './rng.js';
export { philox4x32, Rng } from './rng.js';
export type { DType, NestedArray, TensorData } from './tensor.js';
export { DTYPES, describeTensor, isFloat, sizeOf, Tensor } from './tensor.js';
export type { GradcheckInput, GradcheckOptions, GradcheckResult } from './testing/gradcheck.js';
export { gradcheck } from './testing/gradcheck.js';
export type { Batch, BatchSource, FitOptions, FitResult, ProgressEvent } from './train/fit.js';
export { fit } from './train/fit.js';
export type { LossOutput, StepResult, TrainState, TrainStepSpec } from './train/train-step.js';
export { compileTrainStep, TrainStep } from './train/train-step.js';
export { VERSION } from './version.js';
