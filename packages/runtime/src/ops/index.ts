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
