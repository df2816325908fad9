import { ShapeError } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { formatShape } from '../graph/shape.js';
import { add } from '../ops/elementwise.js';
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
  /**
   * Use this existing parameter as the weight (shape [out, in]) instead of a new one: tied
   * weights, e.g. a language model's output layer sharing its token embedding. It stays one
   * parameter: saved once, updated once with the gradients of both uses added.
   */
  weight?: Parameter;
}

/**
 * torch.nn.Linear: y = x W^T + b, weight [out, in] (PyTorch layout), PyTorch's default init.
 *
 * @example
 * const fc1 = new Linear(784, 512, { rng });   // x: [B, 784] -> [B, 512]
 * const head = new Linear(64, 1000, { bias: false, rng, weight: wte.weight });   // tied to an Embedding(1000, 64)
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
    const shared = opts.weight;
    if (
      shared &&
      (shared.shape.length !== 2 ||
        shared.shape[0] !== outFeatures ||
        shared.shape[1] !== inFeatures)
    )
      throw new ShapeError(
        `Linear(${inFeatures}, ${outFeatures}): the shared weight is ${formatShape(shared.shape)}; expected [${outFeatures},${inFeatures}] ([out, in])`,
      );
    this.weight = shared ?? new Parameter(kaimingUniform([outFeatures, inFeatures], opts.rng));
    if (opts.bias ?? true)
      this.bias = new Parameter(fanInUniform([outFeatures], inFeatures, opts.rng));
  }

  forward(x: Value): Value {
    return applyLinear(x, this.weight, this.bias?.value);
  }
}

/**
 * linear(x, W, b) for a weight parameter that may carry an adapter (LoRA): then
 * base(x) + adapter(x), the adapter's term on the activations as PEFT computes it (its
 * dropout on x only), rather than x·(W + s·B·A)ᵀ.
 *
 * x: [..., in], weight [out, in] -> [..., out].
 */
export function applyLinear(x: Value, weight: Parameter, bias?: Value): Value {
  const adapter = weight.adapter?.output;
  return adapter
    ? add(linear(x, weight.baseValue, bias), adapter(x))
    : linear(x, weight.value, bias);
}
