/** Sinusoidal timestep embedding (Transformer positional encoding of t). */
import { ops, Tensor, type Value } from '@genmodels/runtime';

/**
 * How the embedding is laid out; the defaults are this package's own, diffusers' UNet2DModel
 * uses `flipSinToCos: true` (and `freqShift` 0 by default).
 */
export interface TimestepEmbeddingOptions {
  /** [cos | sin] instead of [sin | cos] (diffusers' `flip_sin_to_cos`); default false. */
  flipSinToCos?: boolean;
  /** The frequencies' denominator is dim/2 - freqShift (diffusers' `downscale_freq_shift`); default 0. */
  freqShift?: number;
}

/**
 * Frequencies of a `dim`-wide embedding: exp(-ln(10000) i / (dim/2 - freqShift)), i = 0..dim/2-1.
 */
export function embeddingFrequencies(dim: number, freqShift = 0): Float32Array {
  const half = dim / 2;
  return Float32Array.from({ length: half }, (_, i) =>
    Math.exp((-Math.log(10_000) * i) / (half - freqShift)),
  );
}

/**
 * t: float32 [B] (timesteps 0..T-1) -> [B, dim] = [sin(t f), cos(t f)] (flipped: [cos, sin]).
 *
 * @example timestepEmbedding(b.t, 128)   // b.t: [batch] -> [batch, 128]
 */
export function timestepEmbedding(
  t: Value,
  dim: number,
  opts: TimestepEmbeddingOptions = {},
): Value {
  const freqs = embeddingFrequencies(dim, opts.freqShift ?? 0);
  const f = t.graph.constant(new Tensor('float32', [1, dim / 2], freqs));
  const args = ops.mul(ops.unsqueeze(t, 1), f);
  const parts = [ops.sin(args), ops.cos(args)];
  return ops.concat(opts.flipSinToCos ? parts.reverse() : parts, 1);
}
