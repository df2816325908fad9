/**
 * @genmodels/runtime: tensors, tracing, reverse-mode autodiff and in-graph
 * optimizers over ONNX Runtime. Every public name is exported here explicitly.
 */
export { Tensor, DTYPES, isFloat, sizeOf } from './tensor.js';
export type { DType, TensorData, NestedArray } from './tensor.js';
export {
  GenmodelsError,
  ShapeError,
  DTypeError,
  NotDifferentiableError,
  DeviceError,
  FeedError,
  GraphError,
  DivergenceError,
} from './errors.js';
export { Graph, Value, primitive } from './graph/graph.js';
export type { Attr, Attrs, Node, Primitive, VjpRule, OutputSpec } from './graph/graph.js';
export { broadcastShapes, formatShape } from './graph/shape.js';
export type { Dim, Shape } from './graph/shape.js';
export { encodeModel, decodeModel, OPSET, IR_VERSION } from './graph/encode.js';
export { grad, vjp, zerosLike, onesLike } from './autodiff/grad.js';
export { Runtime } from './exec/runtime.js';
export type { RuntimeOptions, CompileOptions, Device } from './exec/runtime.js';
export { Executable } from './exec/executable.js';
export type { IOSpec, Feed } from './exec/executable.js';
export * as ops from './ops/index.js';
export { Rng, philox4x32 } from './rng.js';
export type { RngState } from './rng.js';
export { compileTrainStep, TrainStep } from './train/trainStep.js';
export type { TrainStepSpec, StepResult, TrainState, LossOutput } from './train/trainStep.js';
export {
  sgd,
  adam,
  adamw,
  clipGradNorm,
  paramGroups,
  noDecayOnBiasAndNorm,
  constant,
  linearWarmup,
  cosine,
} from './optim/index.js';
export type { Optimizer, ParamSlot, ParamGroupOptions, StateSpec, UpdateContext } from './optim/index.js';
export { gradcheck } from './testing/gradcheck.js';
export type { GradcheckInput, GradcheckOptions, GradcheckResult } from './testing/gradcheck.js';
