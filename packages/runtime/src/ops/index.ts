/** All traced ops, one file per family. */

export {
  elu,
  erf,
  gelu,
  leakyRelu,
  logSoftmax,
  relu,
  sigmoid,
  silu,
  softmax,
  softplus,
  tanh,
} from './activation.js';
export type { AttentionOptions } from './attention.js';
export { scaledDotProductAttention } from './attention.js';
export { concat, split } from './concat.js';
export type { Conv2dOptions, ConvTranspose2dOptions, Pair } from './conv.js';
export { conv2d, convTranspose2d } from './conv.js';
export type { ValueLike } from './core.js';
export { ints, scalar } from './core.js';
export { arange, oneHot, range } from './creation.js';
export {
  abs,
  add,
  cast,
  clip,
  cos,
  div,
  equal,
  exp,
  greater,
  greaterEqual,
  identity,
  less,
  lessEqual,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  reciprocal,
  sign,
  sin,
  sqrt,
  square,
  stopGradient,
  sub,
  where,
} from './elementwise.js';
export {
  embedding,
  gather,
  gatherElements,
  gatherND,
  scatterAdd,
  scatterNDAdd,
} from './gather.js';
export type { BceWithLogitsOptions, CrossEntropyOptions, LossOptions, Reduction } from './loss.js';
export { bceLoss, bceWithLogitsLoss, crossEntropy, gaussianKl, mseLoss } from './loss.js';
export { linear, matmul } from './matmul.js';
export type { BatchStats } from './norm.js';
export { batchNorm, batchNormStats, groupNorm, layerNorm } from './norm.js';
export { avgPool2d, maxPool2d, upsampleNearest2d } from './pool.js';
export { argmax, argmin, logSumExp, max, mean, min, sum, variance } from './reduce.js';
export {
  expand,
  expandAs,
  flatten,
  reshape,
  reshapeLike,
  shapeOf,
  squeeze,
  sumToShape,
  transpose,
  transposeLast2,
  unsqueeze,
} from './shape.js';
export { pad, slice } from './slice.js';
export { tile } from './tile.js';
