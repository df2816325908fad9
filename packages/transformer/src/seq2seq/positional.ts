/** Sinusoidal positional encoding of "Attention Is All You Need" (section 3.5). */
import { type Graph, ops, Tensor, type Value } from '@genmodels/runtime';

/**
 * PE[pos, 2i] = sin(pos / 10000^(2i / d)), PE[pos, 2i + 1] = cos(pos / 10000^(2i / d)).
 *
 * @example sinusoidalTable(11, 64)   // float32 [11, 64]
 */
export function sinusoidalTable(positions: number, d: number): Tensor<'float32'> {
  const data = new Float32Array(positions * d);
  for (let p = 0; p < positions; p++)
    for (let i = 0; i < d; i += 2) {
      const angle = p / 10000 ** (i / d);
      data[p * d + i] = Math.sin(angle);
      if (i + 1 < d) data[p * d + i + 1] = Math.cos(angle);
    }
  return new Tensor('float32', [positions, d], data);
}

/** int64 [T]: 0 .. T-1 for the run-time length T of axis 1 of `ids` ([B, T]). */
function runtimePositions(g: Graph, ids: Value): Value {
  const len = ops.gather(ops.shapeOf(ids), ops.scalar(g, 1, 'int64'));
  const one = ops.scalar(g, 1, 'int64');
  return ops.range(ops.scalar(g, 0, 'int64'), len, one, ids.shape[1]);
}

/**
 * float32 [T, d]: the encoding of positions 0..T-1 for ids [B, T] (T <= table rows).
 * A static T gives a constant slice; a symbolic one gathers rows 0..T-1 at run time
 * (so one exported graph serves every sequence length up to the table's).
 */
export function positionalEncoding(ids: Value, table: Tensor<'float32'>): Value {
  const g = ids.graph;
  const t = ids.shape[1];
  const d = table.shape[1];
  if (typeof t === 'number') {
    const rows = (table.data as Float32Array).slice(0, t * d);
    return g.constant(new Tensor('float32', [t, d], rows));
  }
  return ops.gather(g.constant(table), runtimePositions(g, ids));
}
