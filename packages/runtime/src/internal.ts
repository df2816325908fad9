/**
 * @genmodels/runtime/internal: what authors of model packages and of new ops use beside the
 * main face. A family's lifecycle (`GenerativeModel`) and model directory (`FamilyStore`),
 * the compiled-session cache, tracing and primitive declarations, ONNX graph encoding, EMA
 * weights, and the platform's file access (Node.js: the file system; browsers: fetch),
 * chosen by the package's `#platform` import so that packages need no `node:` imports.
 * `docs/architecture.md` says how to add a family or an op with these.
 */

export type { ReadBytesOptions } from '#platform';
export {
  baseName,
  dirOf,
  GUNZIP_MAX_BYTES,
  gunzip,
  joinPath,
  makeDir,
  platformName,
  readBytes,
  writeFileAtomic,
} from '#platform';
export { ExecutableCache } from './exec/cache.js';
export { decodeModel, encodeModel, IR_VERSION, OPSET } from './graph/encode.js';
export type { Attr, Attrs, Node, OutputSpec, Primitive, VjpRule } from './graph/graph.js';
export { inputOf, primitive, vjp1, withoutGradient } from './graph/graph.js';
export type {
  OnnxAttribute,
  OnnxDimension,
  OnnxGraph,
  OnnxInt64,
  OnnxInt64Object,
  OnnxModel,
  OnnxNode,
  OnnxOperatorSetId,
  OnnxStringEntry,
  OnnxTensor,
  OnnxTensorShape,
  OnnxTensorType,
  OnnxType,
  OnnxValueInfo,
} from './graph/onnx-model.js';
export { broadcastShapes, formatShape } from './graph/shape.js';
export type {
  FamilyStoreOptions,
  LoadedModel,
  NoFields,
  ReadModel,
  StoredModel,
} from './io/family-store.js';
export { FamilyStore } from './io/family-store.js';
export type { CompiledRule, KeyPattern } from './io/key-format.js';
export { fillKey, matchKey } from './io/key-format.js';
export type { ReadModelDirOptions, WriteModelDirOptions } from './io/model-dir.js';
export {
  describeModelSource,
  encodeModelFiles,
  MODEL_DIR_FILES,
  parseJsonObject,
  readModelDir,
  readSourceFile,
  writeModelDir,
} from './io/model-dir.js';
export { concatAxis, splitAxis, transpose2d } from './io/tensor-layout.js';
export {
  checkParameterCount,
  convParameters,
  intIn,
  linearParameters,
  MAX_PARAMETERS,
  parseConfig,
  positiveInt,
  positiveNumber,
  z,
} from './model/config-schema.js';
export type { ModelFitOptions, ModelInferenceFn, ModelNetwork } from './model/generative-model.js';
export { GenerativeModel } from './model/generative-model.js';
export type { Normalization, PointFields } from './model/own-points.js';
export {
  fitNormalization,
  readPointFields,
  standardize,
  unstandardize,
} from './model/own-points.js';
export type { TraceContext } from './nn/index.js';
export { currentTrace, withTrace } from './nn/index.js';
export type { TracedInference } from './nn/inference.js';
export { traceInference } from './nn/inference.js';
export { EMA_PREFIX, emaUpdate, splitPrefixed, withPrefix } from './optim/index.js';
export { importOptional } from './optional-import.js';
export { philox4x32 } from './rng.js';
export { describeTensor, firstNonFinite, valueRange } from './tensor.js';
