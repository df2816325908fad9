/**
 * Activation layers: parameter-free modules over the functions of ops/activation.ts,
 * for use in Sequential and wherever PyTorch code has an activation module.
 * Each maps x: any shape -> same shape.
 */
import type { Value } from '../graph/graph.js';
import { gelu, leakyRelu, relu, sigmoid, silu, softplus, tanh } from '../ops/activation.js';
import { div, greater, mul, where } from '../ops/elementwise.js';
import { Module } from './module.js';

/**
 * torch.nn.ReLU: max(x, 0).
 *
 * @example new Sequential(new Linear(784, 256, { rng }), new ReLU())
 */
export class ReLU extends Module {
  forward(x: Value): Value {
    return relu(x);
  }
}

/**
 * torch.nn.LeakyReLU: x for x > 0, negativeSlope * x otherwise (default slope 0.01).
 *
 * @example new LeakyReLU(0.2).call(h)   // h: [batch, 64, 8, 8]
 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Value): Value {
    return leakyRelu(x, this.negativeSlope);
  }
}

/**
 * torch.nn.GELU: x * Phi(x), exact (`'none'`, the default) or with the tanh approximation.
 *
 * @example new GELU('tanh').call(h)   // h: [batch, T, 768]
 */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }

  forward(x: Value): Value {
    return gelu(x, this.approximate);
  }
}

/**
 * torch.nn.SiLU: x * sigmoid(x).
 *
 * @example new SiLU().call(h)   // h: [batch, 128]
 */
export class SiLU extends Module {
  forward(x: Value): Value {
    return silu(x);
  }
}

/**
 * torch.nn.Sigmoid: 1 / (1 + exp(-x)).
 *
 * @example new Sigmoid().call(logits)   // logits: [batch, 784] -> pixel probabilities
 */
export class Sigmoid extends Module {
  forward(x: Value): Value {
    return sigmoid(x);
  }
}

/**
 * torch.nn.Tanh.
 *
 * @example new Tanh().call(h)   // h: [batch, 3, 32, 32] -> values in (-1, 1)
 */
export class Tanh extends Module {
  forward(x: Value): Value {
    return tanh(x);
  }
}

/**
 * torch.nn.Softplus: log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold
 * (defaults beta 1, threshold 20, as PyTorch).
 *
 * @example new Softplus().call(rawScale)   // rawScale: [batch, 20] -> positive scale
 */
export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
    if (!(beta > 0)) throw new RangeError(`Softplus: beta must be > 0, got ${beta}`);
  }

  forward(x: Value): Value {
    const bx = this.beta === 1 ? x : mul(x, this.beta);
    const soft = this.beta === 1 ? softplus(bx) : div(softplus(bx), this.beta);
    return where(greater(bx, this.threshold), x, soft);
  }
}
