import { GraphError, ShapeError, scopedOp } from '../errors.js';
import type { DType, Tensor } from '../tensor.js';
import { formatShape, type Shape } from './shape.js';

/** An ONNX attribute, tagged with its ONNX type as the spec spells the AttributeProto fields. */
export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { t: Tensor };
export type Attrs = Readonly<Record<string, Attr>>;

/**
 * A vector-Jacobian product rule. Given the node and the cotangents of its outputs
 * (null where an output has none), returns one cotangent per input. `needs[i]` says
 * whether input i wants a gradient; entries for others are ignored and may be null.
 * Rules are written with the traced ops, so their output is differentiable again.
 */
export type VjpRule = (
  node: Node,
  cotangents: (Value | null)[],
  needs: readonly boolean[],
) => (Value | null)[];

/**
 * A VJP rule of a single-output primitive, given that output's cotangent `g`. `vjp`
 * runs a rule only when some output has a cotangent, so with one output `g` is always
 * there; {@link vjp1} turns such a rule into a {@link VjpRule}.
 */
export type Vjp1Rule = (node: Node, g: Value, needs: readonly boolean[]) => (Value | null)[];

/**
 * Declare the VJP of a single-output primitive with its cotangent typed as present.
 *
 * @example primitive('Neg', { vjp: vjp1((_n, g) => [neg(g)]) })
 */
export function vjp1(rule: Vjp1Rule): VjpRule {
  return (node, [g], needs) => {
    if (!g) {
      throw new GraphError(
        `${scopedOp(node.scope, node.prim.opType)}: VJP rule called without an output cotangent`,
      );
    }
    return rule(node, g, needs);
  };
}

/** Input `i` of `node`; throws when that (optional) input was left out. */
export function inputOf(node: Node, i: number): Value {
  const v = node.inputs[i];
  if (!v) {
    throw new GraphError(
      `${scopedOp(node.scope, node.prim.opType)}: node ${node.id} has no input ${i}`,
    );
  }
  return v;
}

/** One ONNX operator usage together with its derivative rule. */
export interface Primitive {
  readonly opType: string;
  readonly domain?: string;
  /** Absent: any gradient through this primitive throws NotDifferentiableError. */
  readonly vjp?: VjpRule;
  /** Output never depends differentiably on the inputs (stopGradient, Shape, comparisons). */
  readonly stopsGradient?: boolean;
}

/** Declare a primitive (an ONNX op plus its VJP rule). */
export function primitive(opType: string, spec: Omit<Primitive, 'opType'> = {}): Primitive {
  return { opType, ...spec };
}

/**
 * The same ONNX op as `prim` with no gradient flowing through it: `stopGradient` is
 * `withoutGradient(Identity)`, so one op type keeps one declaration.
 */
export function withoutGradient(prim: Primitive): Primitive {
  const { vjp: _vjp, ...op } = prim;
  return { ...op, stopsGradient: true };
}

/** A node of the traced graph. */
export interface Node {
  readonly id: number;
  readonly prim: Primitive;
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
  /** Module path at trace time, e.g. `decoder.fc2`. */
  readonly scope: string;
}

/** What an op's shape rule computes for each output. */
export interface OutputSpec {
  dtype: DType;
  shape: Shape;
}

/**
 * A symbolic value: dtype and static shape (with named dynamic dims), produced by a
 * node, or a graph input, or a constant.
 */
export class Value {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly node: Node | null,
    /** Set for graph inputs and constants. */
    readonly name: string | null,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** The constant's data when this value is a constant, else undefined. */
  get constantData(): Tensor | undefined {
    return this.graph.constants.get(this);
  }

  toString(): string {
    return `Value(${this.name ?? `%${this.id}`}: ${this.dtype}${formatShape(this.shape)})`;
  }
}

/**
 * A traced computation. Nodes are appended in topological order as ops run.
 *
 * @example
 * const g = new Graph('mlp');
 * const x = g.input('x', 'float32', ['batch', 784]);
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly constants = new Map<Value, Tensor>();
  private readonly scopeStack: string[] = [];
  private nextId = 0;
  private readonly names = new Set<string>();
  private readonly scalarCache = new Map<string, Value>();

  constructor(readonly name = 'genmodels') {}

  /** Declare a graph input. Dims may be numbers or symbols like `'batch'`. */
  input(name: string, dtype: DType, shape: Shape): Value {
    this.claimName(name);
    for (const d of shape) {
      if (typeof d === 'number' ? !(Number.isInteger(d) && d >= 0) : d.length === 0) {
        throw new ShapeError(
          `Graph.input('${name}'): bad dim ${JSON.stringify(d)} in ${formatShape(shape)}`,
        );
      }
    }
    const v = new Value(this, this.nextId++, dtype, [...shape], null, name);
    this.inputs.push(v);
    return v;
  }

  /** Embed a tensor as a constant (an ONNX initializer). Scalars are shared. */
  constant(t: Tensor, name?: string): Value {
    const key = t.size === 1 && t.rank <= 1 && !name ? `${t.dtype}:${t.rank}:${t.data[0]}` : null;
    const cached = key ? this.scalarCache.get(key) : undefined;
    if (cached) return cached;
    const id = this.nextId++;
    const n = name ?? `const_${id}`;
    this.claimName(n);
    const v = new Value(this, id, t.dtype, [...t.shape], null, n);
    this.constants.set(v, t);
    if (key) this.scalarCache.set(key, v);
    return v;
  }

  /** Run `fn` with `name` appended to the module path recorded on new nodes. */
  scope<T>(name: string, fn: () => T): T {
    this.scopeStack.push(name);
    try {
      return fn();
    } finally {
      this.scopeStack.pop();
    }
  }

  /** Run `fn` with the module path set to `path` (used to attribute gradient nodes). */
  atScope<T>(path: string, fn: () => T): T {
    const saved = this.scopeStack.splice(0, this.scopeStack.length, path);
    try {
      return fn();
    } finally {
      this.scopeStack.splice(0, this.scopeStack.length, ...saved);
    }
  }

  /** The current module path, dot-joined. */
  get currentScope(): string {
    return this.scopeStack.filter((s) => s.length > 0).join('.');
  }

  /** Append a node; returns its output values. Ops call this after their shape rule. */
  emit(
    prim: Primitive,
    inputs: readonly (Value | null)[],
    attrs: Attrs,
    outputs: readonly OutputSpec[],
  ): Value[] {
    for (const v of inputs) {
      if (v && v.graph !== this) {
        throw new GraphError(
          `${scopedOp(this.currentScope, prim.opType)}: input ${v} belongs to another graph`,
        );
      }
    }
    const outs: Value[] = [];
    const node: Node = {
      id: this.nodes.length,
      prim,
      inputs: [...inputs],
      outputs: outs,
      attrs,
      scope: this.currentScope,
    };
    for (const o of outputs)
      outs.push(new Value(this, this.nextId++, o.dtype, [...o.shape], node, null));
    this.nodes.push(node);
    return outs;
  }

  private claimName(name: string): void {
    if (this.names.has(name))
      throw new GraphError(`Graph '${this.name}': the name '${name}' is already used`);
    this.names.add(name);
  }
}
