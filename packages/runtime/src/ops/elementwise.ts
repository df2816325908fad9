/**
 * Elementwise arithmetic, math functions, comparisons, where, cast, clip and
 * stopGradient. Binary ops broadcast NumPy-style; each VJP sums its gradient back
 * to its operand's shape.
 */
import { ShapeError, scopedOp } from '../errors.js';
import {
  inputOf,
  type Node,
  primitive,
  type Value,
  vjp1,
  withoutGradient,
} from '../graph/graph.js';
import { broadcastShapes, formatShape } from '../graph/shape.js';
import { type DType, isFloat } from '../tensor.js';
import { checkFloat, checkSameDType, emit1, lift, scalar, type ValueLike } from './core.js';
import { sumToShape } from './shape.js';

const ONNX_DTYPE: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };

function binary(
  prim: ReturnType<typeof primitive>,
  op: string,
  a: ValueLike,
  b: ValueLike,
  outDtype?: DType,
): Value {
  const [x, y] = lift(op, a, b);
  checkSameDType(op, x, y);
  const shape = broadcastShapes(x.shape, y.shape);
  if (!shape) {
    throw new ShapeError(
      `${scopedOp(x.graph.currentScope, op)}: shapes ${formatShape(x.shape)} and ${formatShape(y.shape)} do not broadcast`,
    );
  }
  return emit1(x.graph, prim, [x, y], { dtype: outDtype ?? x.dtype, shape });
}

function unary(prim: ReturnType<typeof primitive>, op: string, x: Value): Value {
  checkFloat(op, x);
  return emit1(x.graph, prim, [x], { dtype: x.dtype, shape: x.shape });
}

const inputs2 = (n: Node): [Value, Value] => [inputOf(n, 0), inputOf(n, 1)];

const addP = primitive('Add', {
  vjp: vjp1((n, g) => inputs2(n).map((v) => sumToShape(g, v))),
});
const subP = primitive('Sub', {
  vjp: vjp1((n, g, needs) => {
    const [a, b] = inputs2(n);
    return [sumToShape(g, a), needs[1] ? sumToShape(neg(g), b) : null];
  }),
});
const mulP = primitive('Mul', {
  vjp: vjp1((n, g, needs) => {
    const [a, b] = inputs2(n);
    return [needs[0] ? sumToShape(mul(g, b), a) : null, needs[1] ? sumToShape(mul(g, a), b) : null];
  }),
});
const divP = primitive('Div', {
  vjp: vjp1((n, g, needs) => {
    const [a, b] = inputs2(n);
    return [
      needs[0] ? sumToShape(div(g, b), a) : null,
      needs[1] ? sumToShape(neg(mul(g, div(n.outputs[0], b))), b) : null,
    ];
  }),
});
const powP = primitive('Pow', {
  vjp: vjp1((n, g, needs) => {
    const [a, b] = inputs2(n);
    return [
      needs[0] ? sumToShape(mul(g, mul(b, pow(a, sub(b, 1)))), a) : null,
      needs[1] ? sumToShape(mul(g, mul(n.outputs[0], log(a))), b) : null,
    ];
  }),
});

/** a + b (broadcasting). @example add(x, 1) */
export const add = (a: ValueLike, b: ValueLike): Value => binary(addP, 'add', a, b);
/** a - b (broadcasting). */
export const sub = (a: ValueLike, b: ValueLike): Value => binary(subP, 'sub', a, b);
/** a * b (broadcasting). */
export const mul = (a: ValueLike, b: ValueLike): Value => binary(mulP, 'mul', a, b);
/** a / b (broadcasting). */
export const div = (a: ValueLike, b: ValueLike): Value => binary(divP, 'div', a, b);
/** a ** b (broadcasting). The gradient for b needs a > 0. */
export const pow = (a: ValueLike, b: ValueLike): Value => binary(powP, 'pow', a, b);

const negP = primitive('Neg', { vjp: vjp1((_n, g) => [neg(g)]) });
const sqrtP = primitive('Sqrt', { vjp: vjp1((n, g) => [div(g, mul(n.outputs[0], 2))]) });
const expP = primitive('Exp', { vjp: vjp1((n, g) => [mul(g, n.outputs[0])]) });
const logP = primitive('Log', { vjp: vjp1((n, g) => [div(g, inputOf(n, 0))]) });
const absP = primitive('Abs', { vjp: vjp1((n, g) => [mul(g, sign(inputOf(n, 0)))]) });
const reciprocalP = primitive('Reciprocal', {
  vjp: vjp1((n, g) => [neg(mul(g, mul(n.outputs[0], n.outputs[0])))]),
});
const sinP = primitive('Sin', { vjp: vjp1((n, g) => [mul(g, cos(inputOf(n, 0)))]) });
const cosP = primitive('Cos', { vjp: vjp1((n, g) => [neg(mul(g, sin(inputOf(n, 0))))]) });
const signP = primitive('Sign', { stopsGradient: true });

/** -x */
export const neg = (x: Value): Value =>
  emit1(x.graph, negP, [x], { dtype: x.dtype, shape: x.shape });
/** sqrt(x) */
export const sqrt = (x: Value): Value => unary(sqrtP, 'sqrt', x);
/** exp(x) */
export const exp = (x: Value): Value => unary(expP, 'exp', x);
/** Natural log. */
export const log = (x: Value): Value => unary(logP, 'log', x);
/** |x| (gradient sign(x), 0 at 0). */
export const abs = (x: Value): Value => unary(absP, 'abs', x);
/** 1 / x */
export const reciprocal = (x: Value): Value => unary(reciprocalP, 'reciprocal', x);
/** sin(x) */
export const sin = (x: Value): Value => unary(sinP, 'sin', x);
/** cos(x) */
export const cos = (x: Value): Value => unary(cosP, 'cos', x);
/** sign(x) in {-1, 0, 1}; no gradient flows. */
export const sign = (x: Value): Value =>
  emit1(x.graph, signP, [x], { dtype: x.dtype, shape: x.shape });
/** x * x */
export const square = (x: Value): Value => mul(x, x);

const cmp = (opType: string) => primitive(opType, { stopsGradient: true });
const equalP = cmp('Equal');
const lessP = cmp('Less');
const greaterP = cmp('Greater');
const lessEqP = cmp('LessOrEqual');
const greaterEqP = cmp('GreaterOrEqual');
const andP = cmp('And');
const orP = cmp('Or');
const notP = cmp('Not');

/** a == b -> bool */
export const equal = (a: ValueLike, b: ValueLike): Value => binary(equalP, 'equal', a, b, 'bool');
/** a < b -> bool */
export const less = (a: ValueLike, b: ValueLike): Value => binary(lessP, 'less', a, b, 'bool');
/** a > b -> bool */
export const greater = (a: ValueLike, b: ValueLike): Value =>
  binary(greaterP, 'greater', a, b, 'bool');
/** a <= b -> bool */
export const lessEqual = (a: ValueLike, b: ValueLike): Value =>
  binary(lessEqP, 'lessEqual', a, b, 'bool');
/** a >= b -> bool */
export const greaterEqual = (a: ValueLike, b: ValueLike): Value =>
  binary(greaterEqP, 'greaterEqual', a, b, 'bool');
/** Logical and of bools. */
export const logicalAnd = (a: Value, b: Value): Value => binary(andP, 'logicalAnd', a, b, 'bool');
/** Logical or of bools. */
export const logicalOr = (a: Value, b: Value): Value => binary(orP, 'logicalOr', a, b, 'bool');
/** Logical not. */
export const logicalNot = (x: Value): Value =>
  emit1(x.graph, notP, [x], { dtype: 'bool', shape: x.shape });

const castP = primitive('Cast', {
  vjp: vjp1((n, g) => {
    const from = inputOf(n, 0).dtype;
    return [isFloat(from) ? cast(g, from) : null];
  }),
});

/** Convert to another dtype. Gradients flow only between float types. */
export function cast(x: Value, dtype: DType): Value {
  if (x.dtype === dtype) return x;
  return emit1(x.graph, castP, [x], { dtype, shape: x.shape }, { to: { i: ONNX_DTYPE[dtype] } });
}

const whereP = primitive('Where', {
  vjp: vjp1((n, g, needs) => {
    const [c, a, b] = n.inputs as Value[];
    const zero = scalar(g.graph, 0, g.dtype);
    return [
      null,
      needs[1] ? sumToShape(where(c, g, zero), a) : null,
      needs[2] ? sumToShape(where(c, zero, g), b) : null,
    ];
  }),
});

/** Select `a` where `cond` is true, else `b` (all three broadcast). */
export function where(cond: Value, a: ValueLike, b: ValueLike): Value {
  const [x, y] = lift('where', a, b);
  checkSameDType('where', x, y);
  if (cond.dtype !== 'bool')
    throw new ShapeError(
      `${scopedOp(cond.graph.currentScope, 'where')}: condition must be bool, got ${cond.dtype}`,
    );
  const shape = broadcastShapes(cond.shape, x.shape, y.shape);
  if (!shape) {
    throw new ShapeError(
      `${scopedOp(cond.graph.currentScope, 'where')}: shapes ${formatShape(cond.shape)}, ${formatShape(x.shape)} and ${formatShape(y.shape)} do not broadcast`,
    );
  }
  return emit1(cond.graph, whereP, [cond, x, y], { dtype: x.dtype, shape });
}

/** Elementwise max; on ties the gradient goes to `a`. */
export function maximum(a: ValueLike, b: ValueLike): Value {
  const [x, y] = lift('maximum', a, b);
  return where(greaterEqual(x, y), x, y);
}

/** Elementwise min; on ties the gradient goes to `a`. */
export function minimum(a: ValueLike, b: ValueLike): Value {
  const [x, y] = lift('minimum', a, b);
  return where(lessEqual(x, y), x, y);
}

/** Clamp to [lo, hi] (either bound optional); gradient 1 inside, 0 outside. */
export function clip(x: Value, lo?: number, hi?: number): Value {
  let y = x;
  if (lo !== undefined) y = where(less(y, lo), scalar(x.graph, lo, x.dtype), y);
  if (hi !== undefined) y = where(greater(y, hi), scalar(x.graph, hi, x.dtype), y);
  return y;
}

const identityP = primitive('Identity', { vjp: vjp1((_n, g) => [g]) });
const stopP = withoutGradient(identityP);

/** The value itself, with no gradient flowing back through it. */
export const stopGradient = (x: Value): Value =>
  emit1(x.graph, stopP, [x], { dtype: x.dtype, shape: x.shape });
/** The value itself (a named copy in the graph). */
export const identity = (x: Value): Value =>
  emit1(x.graph, identityP, [x], { dtype: x.dtype, shape: x.shape });
