import type { Value } from '../graph/graph.js';
import { linear } from '../ops/matmul.js';
import type { Rng } from '../rng.js';
import { fanInUniform, kaimingUniform } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface LinearOptions {
  /** Learnable bias (default true). */
  bias?: boolean;
  /** Initializer randomness (explicit, so a seed reproduces the model). */
  rng: Rng;
}

/**
 * torch.nn.Linear: y = x W^T + b, weight [out, in] (PyTorch layout), PyTorch's default init.
 *
 * @example const fc1 = new Linear(784, 512, { rng });   // x: [B, 784] -> [B, 512]
 */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias?: Parameter;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions,
  ) {
    super();
    this.weight = new Parameter(kaimingUniform([outFeatures, inFeatures], opts.rng));
    if (opts.bias ?? true)
      this.bias = new Parameter(fanInUniform([outFeatures], inFeatures, opts.rng));
  }

  forward(x: Value): Value {
    return linear(x, this.weight.value, this.bias?.value);
  }
}
