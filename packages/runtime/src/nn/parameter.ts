import { GraphError, ShapeError } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { formatShape } from '../graph/shape.js';
import type { Tensor } from '../tensor.js';
import { currentTrace } from './trace.js';

/**
 * A named tensor owned by a module: a trainable parameter, or a buffer (trainable
 * false) such as BatchNorm's running statistics. Inside a trace, `value` is the graph
 * value it is bound to.
 */
export class Parameter {
  #data: Tensor;

  constructor(
    data: Tensor,
    /** False for buffers: saved and loaded, but not optimized. */
    readonly trainable = true,
  ) {
    this.#data = data;
  }

  /** Host data (what stateDict() returns and loadStateDict() replaces). */
  get data(): Tensor {
    return this.#data;
  }

  set data(t: Tensor) {
    if (
      t.dtype !== this.#data.dtype ||
      t.shape.length !== this.#data.shape.length ||
      t.shape.some((d, i) => d !== this.#data.shape[i])
    ) {
      throw new ShapeError(
        `Parameter: new data ${t.dtype}${formatShape(t.shape)} does not match ${this.#data.dtype}${formatShape(this.#data.shape)}`,
      );
    }
    this.#data = t;
  }

  get shape(): readonly number[] {
    return this.#data.shape;
  }

  /** The traced value of this parameter in the active trace. */
  get value(): Value {
    const ctx = currentTrace('Parameter.value');
    const v = ctx.bindings.get(this);
    if (!v)
      throw new GraphError(
        'Parameter.value: this parameter is not part of the module being traced',
      );
    return v;
  }

  /** Record the buffer's new value computed in this trace (e.g. updated running mean). */
  update(next: Value): void {
    if (this.trainable)
      throw new GraphError(
        'Parameter.update: only buffers (trainable = false) are updated by the forward pass',
      );
    currentTrace('Parameter.update').updates.set(this, next);
  }
}
