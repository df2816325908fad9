/** What every invertible layer of a flow provides: forward with its log-determinant, and the inverse. */
import { Module, Tensor, type Value } from '@genmodels/runtime';
import { currentTrace } from '@genmodels/runtime/internal';

/** y = f(x) and log|det df/dx| per point: [B] (or a scalar when it does not depend on x). */
export interface FlowStep {
  y: Value;
  logdet: Value;
}

/** An invertible layer x [B, D] -> y [B, D]. */
export abstract class FlowLayer extends Module {
  /** x [B, D] -> y [B, D] and log|det J| ([B] or scalar). */
  abstract override forward(x: Value): FlowStep;
  /** y [B, D] -> x [B, D], the exact inverse of `forward`. */
  abstract inverse(y: Value): Value;

  /** `inverse` inside this module's scope (node names and errors carry the module path). */
  callInverse(y: Value): Value {
    return currentTrace(`${this.constructor.name}.inverse`).graph.atScope(this.path, () =>
      this.inverse(y),
    );
  }
}

/** A 1-D int64 constant in the graph of `like`. */
export function indexConst(like: Value, idx: ArrayLike<number>): Value {
  return like.graph.constant(
    new Tensor(
      'int64',
      [idx.length],
      BigInt64Array.from(Array.from(idx), (v) => BigInt(v)),
    ),
  );
}

/** A float32 constant in the graph of `like`. */
export function floatConst(like: Value, shape: number[], data: Float32Array): Value {
  return like.graph.constant(new Tensor('float32', shape, data));
}
