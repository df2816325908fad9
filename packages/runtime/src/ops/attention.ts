/**
 * Scaled dot-product attention composed from MatMul, Where and Softmax, so gradients
 * come from those primitives' VJP rules and everything runs on ORT's WebGPU provider.
 */
import { DTypeError, ShapeError, scopedOp } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { broadcastShapes, formatShape } from '../graph/shape.js';
import { Tensor } from '../tensor.js';
import { softmax } from './activation.js';
import { checkFloat, checkSameDType, scalar } from './core.js';
import { arange, range } from './creation.js';
import { add, cast, greater, mul, sub, where } from './elementwise.js';
import { gather } from './gather.js';
import { matmul } from './matmul.js';
import { reshape, shapeOf, transposeLast2, unsqueeze } from './shape.js';

/**
 * Score given to masked (query, key) pairs. Large and finite rather than -Infinity:
 * a row with every key masked then gets a uniform softmax instead of 0/0 = NaN.
 */
const MASKED_SCORE = -1e9;

export interface AttentionOptions {
  /** Let query i see only keys j <= pastLength + i (queries aligned to the END of the keys by default). */
  causal?: boolean;
  /** bool [B, Tk]: true marks a padded key that no query may attend to. */
  keyPaddingMask?: Value;
  /** Multiplies q @ k^T; default 1 / sqrt(Dh). */
  scale?: number;
  /**
   * With `causal`: the absolute position of query 0, i.e. the number of keys before it
   * (a number, or an int64/int32 scalar value for a run-time cache length). Default Tk - Tq,
   * right for a KV cache holding exactly the past plus the new keys; pass it when the
   * cache is a fixed-size buffer whose tail is not filled yet.
   */
  pastLength?: number | Value;
}

/** A constant [rows, cols] tensor of `dtype` with entry f(i, j). */
function table(
  q: Value,
  dtype: 'bool' | 'float32',
  rows: number,
  cols: number,
  f: (i: number, j: number) => number,
): Value {
  const n = rows * cols;
  const entry = (_: unknown, k: number) => f(Math.floor(k / cols), k % cols);
  const data =
    dtype === 'bool'
      ? Uint8Array.from({ length: n }, entry)
      : Float32Array.from({ length: n }, entry);
  return q.graph.constant(new Tensor(dtype, [rows, cols], data));
}

/** float32 []: the run-time length of axis 2 of `x` (a [B, H, T, D] tensor). */
function lengthOf(x: Value): Value {
  return cast(gather(shapeOf(x), scalar(x.graph, 2, 'int64')), 'float32');
}

/**
 * float32 [T]: 0, 1, ..., T - 1 for axis 2 (T) of `x`: a constant when T is static,
 * else Range over the run-time length.
 */
function positions(x: Value): Value {
  const n = x.shape[2];
  const g = x.graph;
  if (typeof n === 'number') return arange(g, n, 'float32');
  return range(scalar(g, 0), lengthOf(x), scalar(g, 1), n);
}

/**
 * bool [Tq, Tk], true where key j lies in the future of query i (j > pastLength + i).
 * Static Tq and Tk give a constant table; symbolic ones (a decoder exported with dynamic
 * sequence and cache lengths) build it at run time from Range over the actual lengths.
 */
function causalMask(op: string, q: Value, k: Value, pastLength: number | Value | undefined): Value {
  const [tq, tk] = [q.shape[2], k.shape[2]];
  if (pastLength !== undefined && typeof pastLength !== 'number') {
    if (
      (pastLength.dtype !== 'int64' && pastLength.dtype !== 'int32') ||
      !pastLength.shape.every((d) => d === 1)
    ) {
      throw new DTypeError(
        `${op}: pastLength ${pastLength.dtype}${formatShape(pastLength.shape)}; expected an int64 or int32 scalar`,
      );
    }
  }
  if (typeof tq === 'number' && typeof tk === 'number') {
    if (pastLength === undefined || typeof pastLength === 'number') {
      const past = pastLength ?? tk - tq;
      return table(q, 'bool', tq, tk, (i, j) => (j > past + i ? 1 : 0));
    }
    // Positions compared as float32 (exact below 2^24): WebGPU has no int64 Add/Greater kernels.
    const queryPos = add(
      table(q, 'float32', tq, 1, (i) => i),
      reshape(cast(pastLength, 'float32'), []),
    );
    return greater(
      table(q, 'float32', 1, tk, (_, j) => j),
      queryPos,
    );
  }
  const [qPos, kPos] = [positions(q), positions(k)];
  let past: Value;
  if (pastLength === undefined) past = sub(lengthOf(k), lengthOf(q));
  else if (typeof pastLength === 'number') past = scalar(q.graph, pastLength);
  else past = reshape(cast(pastLength, 'float32'), []);
  return greater(unsqueeze(kPos, 0), unsqueeze(add(qPos, past), 1));
}

/**
 * softmax(q @ k^T * scale) @ v, PyTorch `F.scaled_dot_product_attention` with
 * masks given as "true = masked out". Masked scores are replaced by -1e9, so a query
 * whose keys are all masked attends uniformly to every key (finite, where PyTorch
 * gives NaN). B may be symbolic; B and H of q and k/v broadcast (e.g. one shared
 * key/value head). With `causal` and Tq < Tk the queries are the LAST Tq positions:
 * query i sees keys j <= i + (Tk - Tq), as in KV-cache decoding.
 *
 * q: [B, H, Tq, Dh], k: [B, H, Tk, Dh], v: [B, H, Tk, Dv] -> [B, H, Tq, Dv].
 *
 * @example scaledDotProductAttention(q, k, v, { causal: true })   // q, k, v: ['batch', 4, 16, 32]
 */
export function scaledDotProductAttention(
  q: Value,
  k: Value,
  v: Value,
  opts: AttentionOptions = {},
): Value {
  const op = scopedOp(q.graph.currentScope, 'scaledDotProductAttention');
  checkFloat('scaledDotProductAttention', q);
  checkSameDType('scaledDotProductAttention', q, k, v);
  const shapes = `q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`;
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4)
    throw new ShapeError(`${op}: ${shapes}; expected rank 4 [B, H, T, D] each`);
  const dh = q.shape[3];
  const tk = k.shape[2];
  const lead = broadcastShapes(q.shape.slice(0, 2), k.shape.slice(0, 2), v.shape.slice(0, 2));
  if (k.shape[3] !== dh || v.shape[2] !== tk || !lead) {
    throw new ShapeError(
      `${op}: ${shapes}; expected q [B, H, Tq, Dh], k [B, H, Tk, Dh], v [B, H, Tk, Dv] (B and H broadcast)`,
    );
  }
  let scale = opts.scale;
  if (scale === undefined) {
    if (typeof dh !== 'number')
      throw new ShapeError(
        `${op}: head dim of q ${formatShape(q.shape)} is symbolic; pass opts.scale`,
      );
    scale = 1 / Math.sqrt(dh);
  }
  if (opts.pastLength !== undefined && !opts.causal) {
    throw new RangeError(`${op}: pastLength only applies with causal: true`);
  }

  // One Where per mask rather than Or-ing them: ORT's WebGPU provider has no Or kernel.
  const masks: Value[] = [];
  if (opts.causal) masks.push(causalMask(op, q, k, opts.pastLength));
  const pad = opts.keyPaddingMask;
  if (pad) {
    if (pad.dtype !== 'bool')
      throw new DTypeError(
        `${op}: keyPaddingMask ${pad.dtype}${formatShape(pad.shape)}; expected bool [B, ${tk}]`,
      );
    if (pad.rank !== 2 || pad.shape[1] !== tk || !broadcastShapes([lead[0]], [pad.shape[0]])) {
      throw new ShapeError(
        `${op}: keyPaddingMask ${formatShape(pad.shape)} does not fit ${shapes}; expected [${lead[0]}, ${tk}]`,
      );
    }
    // [B, Tk] -> [B, 1, 1, Tk]: the same keys are masked for every head and query.
    masks.push(unsqueeze(pad, [1, 2]));
  }

  let scores = mul(matmul(q, transposeLast2(k)), scale);
  for (const m of masks) scores = where(m, MASKED_SCORE, scores);
  return matmul(softmax(scores, -1), v);
}
