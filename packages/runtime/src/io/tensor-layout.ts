/**
 * Host-side layout changes of state-dict tensors, for moving checkpoints between naming
 * and layout conventions (see key-map.ts): transpose a matrix, split a tensor into equal
 * parts along an axis, concatenate along an axis. Every result is a new row-major tensor
 * of the input's dtype; values are copied bit for bit.
 */
import { KeyMapError } from '../errors.js';
import { formatShape } from '../graph/shape.js';
import { Tensor, type TensorData } from '../tensor.js';

type AnyArray = Float32Array;

/** A new typed array of `data`'s kind and `n` elements (any dtype, read as one type). */
function like(data: TensorData, n: number): AnyArray {
  return new (data.constructor as Float32ArrayConstructor)(n);
}

/** `axis` (negative counts from the end) of a rank-`rank` tensor, checked. */
function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank)
    throw new KeyMapError(`${what}: axis ${axis} is outside a tensor of rank ${rank}`);
  return a;
}

/** Elements before and after `axis`: [outer, inner]. */
function around(shape: readonly number[], axis: number): [number, number] {
  const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return [prod(shape.slice(0, axis)), prod(shape.slice(axis + 1))];
}

/**
 * The transpose of a matrix: [r, c] -> [c, r] (PyTorch's `Conv1D` [in, out] <-> `Linear` [out, in]).
 *
 * @example transpose2d(cAttn).shape   // [768, 2304] -> [2304, 768]
 */
export function transpose2d(t: Tensor): Tensor {
  if (t.rank !== 2)
    throw new KeyMapError(`transpose: expected a matrix, got ${t.dtype}${formatShape(t.shape)}`);
  const [r, c] = t.shape;
  const src = t.data as AnyArray;
  const out = like(t.data, t.size);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j];
  return new Tensor(t.dtype, [c, r], out as TensorData);
}

/**
 * `parts` equal slices of `t` along `axis` (its size must divide).
 *
 * @example splitAxis(inProjWeight, 0, 3)   // [3E, E] -> three [E, E]
 */
export function splitAxis(t: Tensor, axis: number, parts: number): Tensor[] {
  const a = normAxis(axis, t.rank, 'split');
  const d = t.shape[a];
  if (!Number.isInteger(parts) || parts < 1 || d % parts !== 0)
    throw new KeyMapError(
      `split: ${t.dtype}${formatShape(t.shape)} has ${d} along axis ${a}, which does not split into ${parts} equal parts`,
    );
  const [outer, inner] = around(t.shape, a);
  const block = (d / parts) * inner;
  const src = t.data as AnyArray;
  return Array.from({ length: parts }, (_, p) => {
    const out = like(t.data, outer * block);
    for (let o = 0; o < outer; o++) {
      const from = o * d * inner + p * block;
      out.set(src.subarray(from, from + block), o * block);
    }
    const shape = t.shape.map((s, i) => (i === a ? d / parts : s));
    return new Tensor(t.dtype, shape, out as TensorData);
  });
}

/**
 * `ts` joined along `axis`; all must have one dtype and agree on every other axis.
 *
 * @example concatAxis([q, k, v], 0)   // three [E, E] -> [3E, E]
 */
export function concatAxis(ts: readonly Tensor[], axis: number): Tensor {
  if (ts.length === 0) throw new KeyMapError('concat: no tensors');
  const first = ts[0];
  const a = normAxis(axis, first.rank, 'concat');
  const fits = (t: Tensor) =>
    t.dtype === first.dtype &&
    t.rank === first.rank &&
    t.shape.every((s, i) => i === a || s === first.shape[i]);
  if (!ts.every(fits))
    throw new KeyMapError(
      `concat: ${ts.map((t) => `${t.dtype}${formatShape(t.shape)}`).join(', ')} do not join along axis ${a} (one dtype, equal sizes on the other axes)`,
    );
  const [outer, inner] = around(first.shape, a);
  const total = ts.reduce((n, t) => n + t.shape[a], 0);
  const out = like(first.data, outer * total * inner);
  let at = 0;
  for (const t of ts) {
    const block = t.shape[a] * inner;
    const src = t.data as AnyArray;
    for (let o = 0; o < outer; o++)
      out.set(src.subarray(o * block, (o + 1) * block), o * total * inner + at);
    at += block;
  }
  const shape = first.shape.map((s, i) => (i === a ? total : s));
  return new Tensor(first.dtype, shape, out as TensorData);
}
