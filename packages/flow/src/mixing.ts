/**
 * Glow's invertible 1x1 mixing for flat vectors: y = x W^T with W = P L (U + diag(sign *
 * exp(log_s))), L unit lower triangular, U strictly upper, P a fixed permutation.
 * log|det W| = sum(log_s), O(D) instead of O(D^3). Starts from a seeded random rotation.
 */
import { ops, Parameter, type Rng, Tensor, type Value } from '@genmodels/runtime';
import { FlowLayer, type FlowStep, floatConst } from './layer.js';
import { invert, luDecompose, matmul, randomOrthogonal } from './linalg.js';

/** @example const m = new LuMixing(4, rng); m.call(x);  // x: [B, 4] -> { y: [B, 4], logdet: scalar } */
export class LuMixing extends FlowLayer {
  /** Strict lower part used (the rest is ignored), [D, D]. */
  readonly lower: Parameter;
  /** Strict upper part used, [D, D]. */
  readonly upper: Parameter;
  readonly log_s: Parameter;
  /** Fixed permutation matrix P [D, D] and the signs of U's diagonal [D] (buffers). */
  readonly perm: Parameter;
  readonly sign_s: Parameter;

  constructor(
    readonly dim: number,
    rng: Rng,
  ) {
    super();
    const d = dim;
    const { lu, perm } = luDecompose(randomOrthogonal(d, rng), d);
    const lower = new Float32Array(d * d);
    const upper = new Float32Array(d * d);
    const logS = new Float32Array(d);
    const sign = new Float32Array(d);
    const p = new Float32Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        if (j < i) lower[i * d + j] = lu[i * d + j];
        else if (j > i) upper[i * d + j] = lu[i * d + j];
      }
      const u = lu[i * d + i];
      logS[i] = Math.log(Math.abs(u));
      sign[i] = Math.sign(u);
      // P A = L U  =>  A = P^T L U; row perm[i] of A is row i of L U.
      p[perm[i] * d + i] = 1;
    }
    this.lower = new Parameter(new Tensor('float32', [d, d], lower));
    this.upper = new Parameter(new Tensor('float32', [d, d], upper));
    this.log_s = new Parameter(new Tensor('float32', [d], logS));
    this.perm = new Parameter(new Tensor('float32', [d, d], p), false);
    this.sign_s = new Parameter(new Tensor('float32', [d], sign), false);
  }

  #masks(like: Value): { lmask: Value; umask: Value; eye: Value } {
    const d = this.dim;
    const l = new Float32Array(d * d);
    const u = new Float32Array(d * d);
    const e = new Float32Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        if (j < i) l[i * d + j] = 1;
        else if (j > i) u[i * d + j] = 1;
        else e[i * d + j] = 1;
      }
    return {
      lmask: floatConst(like, [d, d], l),
      umask: floatConst(like, [d, d], u),
      eye: floatConst(like, [d, d], e),
    };
  }

  /** W [D, D] as a traced value (differentiable in lower, upper and log_s). */
  weight(like: Value): Value {
    const { lmask, umask, eye } = this.#masks(like);
    const l = ops.add(ops.mul(this.lower.value, lmask), eye);
    const diag = ops.mul(eye, ops.mul(this.sign_s.value, ops.exp(this.log_s.value)));
    const u = ops.add(ops.mul(this.upper.value, umask), diag);
    return ops.matmul(this.perm.value, ops.matmul(l, u));
  }

  /** W from the host parameters in float64 (what the inverse inverts). */
  hostWeight(): Float64Array {
    const d = this.dim;
    const lo = this.lower.data.data as Float32Array;
    const up = this.upper.data.data as Float32Array;
    const ls = this.log_s.data.data as Float32Array;
    const sg = this.sign_s.data.data as Float32Array;
    const l = new Float64Array(d * d);
    const u = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        if (j < i) l[i * d + j] = lo[i * d + j];
        else if (j > i) u[i * d + j] = up[i * d + j];
        else {
          l[i * d + j] = 1;
          u[i * d + j] = sg[i] * Math.exp(ls[i]);
        }
      }
    return matmul(Float64Array.from(this.perm.data.data as Float32Array), matmul(l, u, d), d);
  }

  forward(x: Value): FlowStep {
    return { y: ops.linear(x, this.weight(x)), logdet: ops.sum(this.log_s.value) };
  }

  /**
   * x = y W^{-T}. W^{-1} is computed on the host (float64) from the current parameters and
   * embedded as a constant, so the inverse is for inference graphs and export (it carries
   * no gradient to the mixing parameters).
   */
  inverse(y: Value): Value {
    const d = this.dim;
    const winv = Float32Array.from(invert(this.hostWeight(), d));
    return ops.linear(y, floatConst(y, [d, d], winv));
  }
}
