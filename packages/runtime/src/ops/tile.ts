/** ONNX Tile: repeat a tensor along its axes; the VJP sums the copies back. */
import { ShapeError, scopedOp } from '../errors.js';
import { inputOf, primitive, type Value, vjp1 } from '../graph/graph.js';
import { type Dim, formatShape } from '../graph/shape.js';
import { constArray, emit1, ints } from './core.js';
import { sum } from './reduce.js';
import { reshapeTo } from './shape.js';

const tileP = primitive('Tile', {
  vjp: vjp1((n, g) => {
    const x = inputOf(n, 0);
    const reps = constArray(n, 1);
    // [r0*d0, r1*d1, ...] -> [r0, d0, r1, d1, ...] (size-1 repeats omitted), then sum the r axes.
    const target: Dim[] = [];
    const axes: number[] = [];
    x.shape.forEach((d, i) => {
      if (reps[i] !== 1) axes.push(target.push(reps[i]) - 1);
      target.push(d);
    });
    return [sum(reshapeTo(g, target), axes), null];
  }),
});

/**
 * ONNX Tile: repeat `x` `repeats[i]` times along axis i. Symbolic dims need repeat 1.
 *
 * @example tile(x, [1, 3])   // x: [N, 4] -> [N, 12]
 */
export function tile(x: Value, repeats: readonly number[]): Value {
  const op = scopedOp(x.graph.currentScope, 'tile');
  if (repeats.length !== x.rank || repeats.some((r) => !(Number.isInteger(r) && r >= 0))) {
    throw new ShapeError(
      `${op}: repeats [${repeats.join(',')}] for input ${formatShape(x.shape)}; expected ${x.rank} non-negative integers`,
    );
  }
  const shape = x.shape.map((d, i) => {
    if (repeats[i] === 1) return d;
    if (typeof d !== 'number')
      throw new ShapeError(`${op}: cannot repeat symbolic axis ${i} of ${formatShape(x.shape)}`);
    return d * repeats[i];
  });
  if (repeats.every((r) => r === 1)) return x;
  return emit1(x.graph, tileP, [x, ints(x.graph, repeats)], { dtype: x.dtype, shape });
}
