import type { Value } from '../graph/graph.js';
import { add, div, minimum, mul, sqrt } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/**
 * Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_:
 * scale = min(1, maxNorm / (norm + 1e-6)), norm = sqrt(sum of all squared entries).
 *
 * @example const { grads, norm } = clipGradNorm(grads, 1.0);
 */
export function clipGradNorm(
  grads: readonly Value[],
  maxNorm: number,
): { grads: Value[]; norm: Value } {
  if (grads.length === 0) throw new RangeError('clipGradNorm: no gradients');
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const squares = grads.map((g) => sum(mul(g, g)));
  const norm = sqrt(squares.slice(1).reduce((a, b) => add(a, b), squares[0]));
  const scale = minimum(div(maxNorm, add(norm, 1e-6)), 1);
  return { grads: grads.map((g) => mul(g, scale)), norm };
}
