/** Matrix products: batched broadcasting matmul and the PyTorch-layout linear layer (Gemm). */
import { ShapeError, scopedOp } from '../errors.js';
import { primitive, type Value, vjp1 } from '../graph/graph.js';
import { broadcastShapes, type Dim, formatShape } from '../graph/shape.js';
import { checkFloat, checkSameDType, emit1 } from './core.js';
import { add } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape, sumToShape, transposeLast2 } from './shape.js';

const matmulP = primitive('MatMul', {
  vjp: vjp1((n, g, needs) => {
    const [a, b] = n.inputs as Value[];
    return [
      needs[0] ? sumToShape(matmul(g, transposeLast2(b)), a) : null,
      needs[1] ? rhsGrad(a, b, g) : null,
    ];
  }),
});

/**
 * The gradient of a matmul's right operand. A matrix b [K, N] broadcast over a's leading
 * axes (a linear layer on [B, T, K]) takes one GEMM with the leading axes folded into its
 * inner dimension, a^T [K, B*T] x g [B*T, N], instead of B*T/T per-batch products of
 * [K, N] each and a ReduceSum over them (in ORT, 16x slower for a GPT's weights).
 */
function rhsGrad(a: Value, b: Value, g: Value): Value {
  if (b.rank === 2 && a.rank > 2) {
    const k = a.shape[a.rank - 1];
    const m = g.shape[g.rank - 1];
    if (typeof k === 'number' && typeof m === 'number')
      return matmul(transposeLast2(reshape(a, [-1, k])), reshape(g, [-1, m]));
  }
  return sumToShape(matmul(transposeLast2(a), g), b);
}

/**
 * Batched matrix product `a @ b` with NumPy broadcasting over leading axes.
 * Both operands need rank >= 2.
 *
 * @example matmul(x, w)   // x: [B, 784], w: [784, 512] -> [B, 512]
 */
export function matmul(a: Value, b: Value): Value {
  const op = scopedOp(a.graph.currentScope, 'matmul');
  checkSameDType('matmul', a, b);
  checkFloat('matmul', a);
  if (a.rank < 2 || b.rank < 2) {
    throw new ShapeError(
      `${op}: ${formatShape(a.shape)} x ${formatShape(b.shape)}: both operands need rank >= 2 (unsqueeze vectors first)`,
    );
  }
  const k1 = a.shape[a.rank - 1];
  const k2 = b.shape[b.rank - 2];
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (k1 !== k2 || !batch) {
    throw new ShapeError(
      `${op} ${formatShape(a.shape)} x ${formatShape(b.shape)}: ` +
        (k1 !== k2 ? `inner dims ${k1} and ${k2} differ` : 'batch dims do not broadcast'),
    );
  }
  const shape: Dim[] = [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]];
  return emit1(a.graph, matmulP, [a, b], { dtype: a.dtype, shape });
}

const gemmP = primitive('Gemm', {
  // y = x @ W^T + b  (transB = 1, PyTorch Linear layout W: [out, in])
  vjp: vjp1((n, g, needs) => {
    const [x, w, b] = n.inputs as Value[];
    return [
      needs[0] ? matmul(g, w) : null,
      needs[1] ? matmul(transposeLast2(g), x) : null,
      b && needs[2] ? sumToShape(sum(g, [0]), b) : null,
    ];
  }),
});

/**
 * PyTorch `F.linear`: `x @ weight^T + bias`.
 * x: [..., in], weight: [out, in], bias: [out] -> [..., out]. Rank-2 inputs use one Gemm.
 */
export function linear(x: Value, weight: Value, bias?: Value): Value {
  const op = scopedOp(x.graph.currentScope, 'linear');
  checkSameDType('linear', x, weight);
  if (weight.rank !== 2 || x.rank < 1 || x.shape[x.rank - 1] !== weight.shape[1]) {
    throw new ShapeError(
      `${op}: input ${formatShape(x.shape)} x weight ${formatShape(weight.shape)}: expected weight [out, ${x.shape[x.rank - 1]}] (PyTorch layout)`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError(
      `${op}: bias ${formatShape(bias.shape)} does not match weight ${formatShape(weight.shape)}; expected [${weight.shape[0]}]`,
    );
  }
  if (x.rank === 2) {
    return emit1(
      x.graph,
      gemmP,
      bias ? [x, weight, bias] : [x, weight],
      { dtype: x.dtype, shape: [x.shape[0], weight.shape[0]] },
      { transB: { i: 1 } },
    );
  }
  const y = matmul(x, transposeLast2(weight));
  return bias ? add(y, bias) : y;
}
