/**
 * Seeded initializers with PyTorch's definitions (torch.nn.init), returning host
 * tensors. Fans follow `_calculate_fan_in_and_fan_out`: dim 1 x receptive field is the
 * fan-in, dim 0 x receptive field the fan-out.
 */
import type { Rng } from '../rng.js';
import { sizeOf, Tensor } from '../tensor.js';

/** [fanIn, fanOut] of a weight shape, as PyTorch computes them. */
export function fans(shape: readonly number[]): [number, number] {
  if (shape.length < 2)
    throw new RangeError(`fans: need a weight of rank >= 2, got [${shape.join(',')}]`);
  const receptive = sizeOf(shape.slice(2));
  return [shape[1] * receptive, shape[0] * receptive];
}

/** U(low, high). */
export function uniform(shape: readonly number[], low: number, high: number, rng: Rng): Tensor {
  return new Tensor('float32', shape, rng.uniform(sizeOf(shape), low, high));
}

/** N(mean, std^2). */
export function normal(shape: readonly number[], mean: number, std: number, rng: Rng): Tensor {
  return new Tensor('float32', shape, rng.normal(sizeOf(shape), mean, std));
}

/** kaiming_uniform_ with leaky-ReLU slope `a` (PyTorch's Linear/Conv default uses a = sqrt(5)). */
export function kaimingUniform(shape: readonly number[], rng: Rng, a = Math.sqrt(5)): Tensor {
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = gain * Math.sqrt(3 / fans(shape)[0]);
  return uniform(shape, -bound, bound, rng);
}

/** PyTorch's default bias init for Linear/Conv: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function fanInUniform(shape: readonly number[], fanIn: number, rng: Rng): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform(shape, -bound, bound, rng);
}

/** xavier_uniform_: U(-b, b), b = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform(shape: readonly number[], rng: Rng, gain = 1): Tensor {
  const [fi, fo] = fans(shape);
  const b = gain * Math.sqrt(6 / (fi + fo));
  return uniform(shape, -b, b, rng);
}

/** xavier_normal_: N(0, std^2), std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal(shape: readonly number[], rng: Rng, gain = 1): Tensor {
  const [fi, fo] = fans(shape);
  return normal(shape, 0, gain * Math.sqrt(2 / (fi + fo)), rng);
}

export function zeros(shape: readonly number[]): Tensor {
  return Tensor.zeros(shape);
}

export function ones(shape: readonly number[]): Tensor {
  return Tensor.full(shape, 1);
}
