/**
 * Activation functions. ONNX primitives (Relu, LeakyRelu, Elu, Sigmoid, Tanh, Erf,
 * Softmax) carry VJPs written with the traced ops, mostly through their outputs, so
 * second-order gradients work; the rest are composites that need no rule of their own.
 * Every op here is float32-only and keeps the input's (possibly symbolic) shape.
 */
import { GenmodelsError, ShapeError, scopedOp } from '../errors.js';
import {
  type Attrs,
  inputOf,
  type Node,
  type Primitive,
  primitive,
  type Value,
  vjp1,
} from '../graph/graph.js';
import { formatShape, normAxis } from '../graph/shape.js';
import { checkDType, emit1 } from './core.js';
import { add, cast, exp, greater, log, mul, neg, sub, where } from './elementwise.js';
import { logSumExp, sum } from './reduce.js';

/** Check dtype and emit a shape-preserving unary primitive. */
function unary(prim: Primitive, op: string, x: Value, attrs: Attrs = {}): Value {
  checkDType(op, x, ['float32']);
  return emit1(x.graph, prim, [x], { dtype: x.dtype, shape: x.shape }, attrs);
}

/** The float attribute `name` of a node (alpha of LeakyRelu/Elu). */
const attrF = (n: Node, name: string): number => (n.attrs[name] as { f: number }).f;

const reluP = primitive('Relu', {
  // The mask is a comparison, so it is a constant for higher-order gradients.
  vjp: vjp1((n, g) => [mul(g, cast(greater(inputOf(n, 0), 0), g.dtype))]),
});

/**
 * max(x, 0). x: any shape.
 *
 * @example relu(linear(x, w, b))   // x: [B, 784] -> [B, 512]
 */
export const relu = (x: Value): Value => unary(reluP, 'relu', x);

const leakyReluP = primitive('LeakyRelu', {
  vjp: vjp1((n, g) => [where(greater(inputOf(n, 0), 0), g, mul(g, attrF(n, 'alpha')))]),
});

/**
 * x for x > 0, alpha * x otherwise (ONNX LeakyRelu, attribute `alpha`).
 *
 * @example leakyRelu(h, 0.2)   // h: [B, C, H, W]
 */
export function leakyRelu(x: Value, alpha = 0.01): Value {
  return unary(leakyReluP, 'leakyRelu', x, { alpha: { f: alpha } });
}

const eluP = primitive('Elu', {
  // For x <= 0, y = alpha (e^x - 1), so dy/dx = y + alpha; y keeps it differentiable.
  vjp: vjp1((n, g) => [
    where(greater(inputOf(n, 0), 0), g, mul(g, add(n.outputs[0], attrF(n, 'alpha')))),
  ]),
});

/**
 * x for x > 0, alpha * (exp(x) - 1) otherwise (ONNX Elu, attribute `alpha`).
 *
 * @example elu(h)   // h: [B, 256]
 */
export function elu(x: Value, alpha = 1): Value {
  return unary(eluP, 'elu', x, { alpha: { f: alpha } });
}

const sigmoidP = primitive('Sigmoid', {
  vjp: vjp1((n, g) => {
    const y = n.outputs[0];
    return [mul(g, mul(y, sub(1, y)))];
  }),
});

/**
 * 1 / (1 + exp(-x)). x: any shape.
 *
 * @example sigmoid(logits)   // logits: [B, 1] -> probabilities
 */
export const sigmoid = (x: Value): Value => unary(sigmoidP, 'sigmoid', x);

const tanhP = primitive('Tanh', {
  vjp: vjp1((n, g) => {
    const y = n.outputs[0];
    return [mul(g, sub(1, mul(y, y)))];
  }),
});

/**
 * Hyperbolic tangent. x: any shape.
 *
 * @example tanh(h)   // h: [B, 128] -> values in (-1, 1)
 */
export const tanh = (x: Value): Value => unary(tanhP, 'tanh', x);

/**
 * log(1 + exp(x)), computed as max(x, 0) + log(1 + exp(-|x|)) so that exp never
 * overflows; built from primitives that all run on ORT's WebGPU provider.
 *
 * @example softplus(rawScale)   // rawScale: [B, D] -> positive scale
 */
export function softplus(x: Value): Value {
  checkDType('softplus', x, ['float32']);
  // Both parts pick their branch from the same `x > 0` test, so the gradient at 0 is
  // exactly sigmoid(0) = 0.5 (relu + abs with separate tie rules would give 0 there).
  const pos = greater(x, 0);
  return add(where(pos, x, 0), log(add(exp(where(pos, neg(x), x)), 1)));
}

/**
 * x * sigmoid(x) (a.k.a. swish). x: any shape.
 *
 * @example silu(h)   // h: [B, 512]
 */
export function silu(x: Value): Value {
  checkDType('silu', x, ['float32']);
  return mul(x, sigmoid(x));
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const erfP = primitive('Erf', {
  vjp: vjp1((n, g) => {
    const x = inputOf(n, 0);
    return [mul(g, mul(exp(neg(mul(x, x))), TWO_OVER_SQRT_PI))];
  }),
});

/**
 * The Gauss error function (ONNX Erf). x: any shape.
 *
 * @example erf(x)   // erf(1) ~ 0.8427
 */
export const erf = (x: Value): Value => unary(erfP, 'erf', x);

/**
 * Gaussian error linear unit, as PyTorch `F.gelu`.
 * `'none'`: 0.5 x (1 + erf(x / sqrt(2))); `'tanh'`: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 *
 * @example gelu(h, 'tanh')   // h: [B, T, 768]
 */
export function gelu(x: Value, approximate: 'none' | 'tanh' = 'none'): Value {
  checkDType('gelu', x, ['float32']);
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new GenmodelsError(
      `${scopedOp(x.graph.currentScope, 'gelu')}: approximate must be 'none' or 'tanh', got '${String(approximate)}'`,
    );
  }
  const inner =
    approximate === 'tanh'
      ? tanh(mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI)))
      : erf(mul(x, Math.SQRT1_2));
  return mul(mul(x, 0.5), add(inner, 1));
}

/** Normalize `axis` for `op`, or throw a ShapeError naming the input shape. */
function checkAxis(op: string, x: Value, axis: number): number {
  const a = normAxis(axis, x.rank);
  if (a < 0) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: axis ${axis} is out of range for input ${formatShape(x.shape)} (rank ${x.rank})`,
    );
  }
  return a;
}

const softmaxP = primitive('Softmax', {
  vjp: vjp1((n, g) => {
    const y = n.outputs[0];
    const axis = (n.attrs.axis as { i: number }).i;
    return [mul(y, sub(g, sum(mul(g, y), axis, true)))];
  }),
});

/**
 * exp(x) / sum(exp(x)) along `axis` (ONNX Softmax, opset 13+ semantics: one axis).
 * x: [..., V] -> same shape, rows summing to 1.
 *
 * @example softmax(scores, -1)   // scores: [B, heads, T, T]
 */
export function softmax(x: Value, axis = -1): Value {
  checkDType('softmax', x, ['float32']);
  const a = checkAxis('softmax', x, axis);
  return emit1(x.graph, softmaxP, [x], { dtype: x.dtype, shape: x.shape }, { axis: { i: a } });
}

/**
 * log(softmax(x)) along `axis`, as x - logSumExp(x, axis). Not ONNX LogSoftmax, which
 * ORT's WebGPU provider runs on the CPU; this form stays on the device and is stable
 * for large logits.
 *
 * @example logSoftmax(logits)   // logits: [B, V] -> log-probabilities [B, V]
 */
export function logSoftmax(x: Value, axis = -1): Value {
  checkDType('logSoftmax', x, ['float32']);
  const a = checkAxis('logSoftmax', x, axis);
  return sub(x, logSumExp(x, a, true));
}
