import { GraphError, ShapeError } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { formatShape } from '../graph/shape.js';
import type { Tensor } from '../tensor.js';
import { currentTrace, type TraceContext } from './trace.js';

/**
 * How an adapter (LoRA, see lora.ts) changes a parameter's use in traces, without the
 * module that owns the parameter knowing about it.
 */
export interface ParameterAdapter {
  /** The weight every layer sees, from the bound base value (LoRA: W + s·B·A). */
  effective(base: Value): Value;
  /**
   * For layers that apply the weight to an input themselves (Linear, Conv2d): the adapter's
   * own term for input `x`, which the layer adds to its output computed with
   * {@link Parameter.baseValue} (LoRA: s·B(A(dropout(x))), PEFT's activation path).
   */
  output?(x: Value): Value;
}

/**
 * A named tensor owned by a module: a trainable parameter, or a buffer (trainable
 * false) such as BatchNorm's running statistics. Inside a trace, `value` is the graph
 * value it is bound to.
 */
export class Parameter {
  #data: Tensor;
  /** The adapted value per trace, so every use of the weight shares one W + s·B·A. */
  #effective = new WeakMap<TraceContext, Value>();
  /** Set by addLora (and cleared by merge): what this parameter's uses see instead of its data. */
  adapter?: ParameterAdapter;

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

  /** The traced value of this parameter in the active trace (with its adapter's change, if any). */
  get value(): Value {
    if (!this.adapter) return this.baseValue;
    const ctx = currentTrace('Parameter.value');
    let v = this.#effective.get(ctx);
    if (!v) {
      v = this.adapter.effective(this.baseValue);
      this.#effective.set(ctx, v);
    }
    return v;
  }

  /** The value bound to this parameter in the active trace, without its adapter. */
  get baseValue(): Value {
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
