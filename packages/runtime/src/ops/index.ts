/** All traced ops, one file per family. */
export { scalar, ints } from './core.js';
export type { ValueLike } from './core.js';
export {
  add,
  sub,
  mul,
  div,
  pow,
  neg,
  sqrt,
  exp,
  log,
  abs,
  reciprocal,
  sin,
  cos,
  sign,
  square,
  equal,
  less,
  greater,
  lessEqual,
  greaterEqual,
  logicalAnd,
  logicalOr,
  logicalNot,
  cast,
  where,
  maximum,
  minimum,
  clip,
  stopGradient,
  identity,
} from './elementwise.js';
export { sum, mean, max, min, logSumExp, variance, argmax, argmin } from './reduce.js';
export { relu, leakyRelu, elu, sigmoid, tanh, softplus, silu, gelu, erf, softmax, logSoftmax } from './activation.js';
export { shapeOf, reshape, reshapeLike, expand, expandAs, sumToShape, unsqueeze, squeeze, transpose, transposeLast2 } from './shape.js';
export { matmul, linear } from './matmul.js';
export { conv2d, convTranspose2d } from './conv.js';
export type { Pair, Conv2dOptions, ConvTranspose2dOptions } from './conv.js';
export { avgPool2d, maxPool2d, upsampleNearest2d } from './pool.js';
export { layerNorm, groupNorm, batchNormStats, batchNorm } from './norm.js';
export type { BatchStats } from './norm.js';
export { mseLoss, bceLoss, bceWithLogitsLoss, crossEntropy, gaussianKl } from './loss.js';
export type { Reduction, LossOptions, BceWithLogitsOptions, CrossEntropyOptions } from './loss.js';
export { scaledDotProductAttention } from './attention.js';
export type { AttentionOptions } from './attention.js';
export {
  concat,
  split,
  slice,
  pad,
  tile,
  flatten,
  gather,
  gatherElements,
  scatterAdd,
  gatherND,
  scatterNDAdd,
  embedding,
  arange,
  oneHot,
} from './indexing.js';
