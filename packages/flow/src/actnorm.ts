/**
 * ActNorm (Glow): y = (x + bias) * exp(logs) per coordinate, log|det| = sum(logs). The first
 * batch sets bias = -mean and logs = -log(std) so that the layer's output starts
 * standardized (data-dependent init, done by `FlowNetwork.initStats`).
 */
import { init, ops, Parameter, Tensor, type Value } from '@genmodels/runtime';
import { FlowLayer, type FlowStep } from './layer.js';

/** @example const a = new ActNorm(2); a.call(x);  // x: [B, 2] -> { y: [B, 2], logdet: scalar } */
export class ActNorm extends FlowLayer {
  readonly bias: Parameter;
  readonly logs: Parameter;
  /** 1 once the data-dependent init has run (a buffer, saved with the weights). */
  readonly initialized: Parameter;

  constructor(readonly dim: number) {
    super();
    this.bias = new Parameter(init.zeros([dim]));
    this.logs = new Parameter(init.zeros([dim]));
    this.initialized = new Parameter(Tensor.zeros([1]), false);
  }

  get isInitialized(): boolean {
    return this.initialized.data.data[0] === 1;
  }

  forward(x: Value): FlowStep {
    const y = ops.mul(ops.add(x, this.bias.value), ops.exp(this.logs.value));
    return { y, logdet: ops.sum(this.logs.value) };
  }

  inverse(y: Value): Value {
    return ops.sub(ops.mul(y, ops.exp(ops.neg(this.logs.value))), this.bias.value);
  }

  /**
   * The init pass: standardize x with its own batch statistics and return them as the
   * values bias (-mean) and logs (-log std) this layer should start from.
   */
  forwardInit(x: Value): { y: Value; bias: Value; logs: Value } {
    const mean = ops.mean(x, 0);
    const centered = ops.sub(x, mean);
    const std = ops.sqrt(ops.add(ops.mean(ops.square(centered), 0), 1e-6));
    return { y: ops.div(centered, std), bias: ops.neg(mean), logs: ops.neg(ops.log(std)) };
  }

  /** Set the init values (host tensors [D]) and mark the layer initialized. */
  setInit(bias: Tensor, logs: Tensor): void {
    this.bias.data = bias;
    this.logs.data = logs;
    this.initialized.data = new Tensor('float32', [1], Float32Array.of(1));
  }
}
