/**
 * Containers with PyTorch's state_dict keys: children are own enumerable properties
 * named '0', '1', ..., so Module's field walk names them `0.weight`, `1.bias` at the
 * container's level (an array field would add its field name: `layers.0.weight`).
 */
import { GraphError } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { Module } from './module.js';

/** A module mapping one value to one value: what Sequential chains. */
export type Layer = Module & { forward(x: Value): Value };

/** Define `modules` as read-only, enumerable properties '0', '1', ... of `target`. */
function defineIndexed(target: Module, modules: readonly Module[], from = 0): void {
  modules.forEach((m, i) => {
    if (!(m instanceof Module)) {
      throw new TypeError(
        `${target.constructor.name}: entry ${from + i} is not a Module (got ${typeof m})`,
      );
    }
    Object.defineProperty(target, String(from + i), { value: m, enumerable: true });
  });
}

/**
 * torch.nn.Sequential: applies its modules in order, each to the previous output.
 * State-dict keys are `0.weight`, `0.bias`, `2.weight`, ... (parameter-free layers such
 * as ReLU keep their index, as in PyTorch).
 *
 * x -> modules[n-1](... modules[0](x)).
 *
 * @example
 * const mlp = new Sequential(new Linear(784, 256, { rng }), new ReLU(), new Linear(256, 10, { rng }));
 * mlp.call(x);   // x: [batch, 784] -> [batch, 10]; keys 0.weight, 0.bias, 2.weight, 2.bias
 */
export class Sequential extends Module implements Iterable<Layer> {
  readonly [index: number]: Layer;
  readonly #layers: Layer[];

  constructor(...modules: Layer[]) {
    super();
    defineIndexed(this, modules);
    this.#layers = [...modules];
  }

  /** Number of modules. */
  get length(): number {
    return this.#layers.length;
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.#layers[Symbol.iterator]();
  }

  forward(x: Value): Value {
    let h = x;
    for (const m of this.#layers) h = m.call(h);
    return h;
  }
}

/**
 * torch.nn.ModuleList: holds modules (keys `0.weight`, `1.weight`, ...) for the parent's
 * forward to call; it has no forward of its own.
 *
 * @example
 * const blocks = new ModuleList(Array.from({ length: 4 }, () => new Block(cfg, rng)));
 * for (const b of blocks) h = b.call(h);
 */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  readonly [index: number]: M;
  readonly #items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    this.push(...modules);
  }

  /** Number of modules. */
  get length(): number {
    return this.#items.length;
  }

  /** Append modules (PyTorch's append/extend); they get the next indices. */
  push(...modules: M[]): this {
    defineIndexed(this, modules, this.#items.length);
    this.#items.push(...modules);
    return this;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  forward(): never {
    throw new GraphError(
      `ModuleList '${this.path}': a ModuleList has no forward; call its modules from the parent's forward`,
    );
  }
}
