/** Global-norm gradient clipping inside the traced train step. */
import { GraphError, scopedOp } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { checkDType } from '../ops/core.js';
import { add, div, minimum, mul, sqrt } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/**
 * Clip all gradients together to global L2 norm `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_: norm = sqrt(sum over every entry of every g_i^2),
 * each g_i is multiplied by min(1, maxNorm / (norm + 1e-6)). Gradients may have any
 * float32 shapes, symbolic dims included; `norm` is float32 [].
 *
 * @example const { grads: clipped, norm } = clipGradNorm(grads, 1.0);
 */
export function clipGradNorm(
  grads: readonly Value[],
  maxNorm: number,
): { grads: Value[]; norm: Value } {
  if (grads.length === 0) throw new GraphError('clipGradNorm: got no gradients to clip');
  const at = scopedOp(grads[0].graph.currentScope, 'clipGradNorm');
  if (!(maxNorm > 0 && Number.isFinite(maxNorm)))
    throw new RangeError(`${at}: maxNorm must be a finite number > 0, got ${maxNorm}`);
  for (const g of grads) checkDType('clipGradNorm', g, ['float32']);
  const squares = grads.map((g) => sum(mul(g, g)));
  const norm = sqrt(squares.slice(1).reduce((a, b) => add(a, b), squares[0]));
  // Multiplying by exactly 1 when under the limit keeps small gradients bit-identical.
  const scale = minimum(div(maxNorm, add(norm, 1e-6)), 1);
  return { grads: grads.map((g) => mul(g, scale)), norm };
}
