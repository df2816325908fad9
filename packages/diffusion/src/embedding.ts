/** Sinusoidal timestep embedding (Transformer positional encoding of t). */
import { ops, Tensor, type Value } from '@genmodels/runtime';

/**
 * Frequencies of a `dim`-wide embedding: exp(-ln(10000) i / (dim/2)), i = 0..dim/2-1.
 */
export function embeddingFrequencies(dim: number): Float32Array {
  const half = dim / 2;
  return Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10_000) * i) / half));
}

/**
 * t: float32 [B] (timesteps 0..T-1) -> [B, dim] = [sin(t f), cos(t f)].
 *
 * @example timestepEmbedding(b.t, 128)   // b.t: [batch] -> [batch, 128]
 */
export function timestepEmbedding(t: Value, dim: number): Value {
  const f = t.graph.constant(new Tensor('float32', [1, dim / 2], embeddingFrequencies(dim)));
  const args = ops.mul(ops.unsqueeze(t, 1), f);
  return ops.concat([ops.sin(args), ops.cos(args)], 1);
}
