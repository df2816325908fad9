/**
 * Module: a tree of parameters and child modules with PyTorch state_dict names. Fields
 * that hold a Parameter, a Module, or an array of Modules are discovered by walking the
 * object's own fields in declaration order, so `encoder.fc1.weight` needs no registry.
 */
import { CheckpointError, ShapeError, StateDictKeyError } from '../errors.js';
import { formatShape } from '../graph/shape.js';
import { sameTensor, type Tensor } from '../tensor.js';
import { Parameter } from './parameter.js';
import { currentTrace } from './trace.js';

export abstract class Module {
  /** Train mode (batch statistics, dropout on) or eval mode. */
  training = true;
  #path = '';

  /** The computation; call it through `call()` so nodes carry this module's path. */
  abstract forward(...args: never[]): unknown;

  /** Run `forward` inside this module's scope (module path in node names and error messages). */
  call<M extends Module>(this: M, ...args: Parameters<M['forward']>): ReturnType<M['forward']> {
    const graph = currentTrace(`${this.constructor.name}.call`).graph;
    return graph.atScope(this.#path, () =>
      (this.forward as (...a: unknown[]) => unknown)(...args),
    ) as ReturnType<M['forward']>;
  }

  /** Dotted path from the root module (set when the root is traced). */
  get path(): string {
    return this.#path;
  }

  /** Assign dotted paths to this module and its descendants. */
  setPaths(prefix = ''): this {
    this.#path = prefix;
    for (const [name, child] of this.namedChildren())
      child.setPaths(prefix ? `${prefix}.${name}` : name);
    return this;
  }

  /** Direct children by field name (arrays of modules as `name.0`, `name.1`, ...). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Module) out.push([k, v]);
      else if (Array.isArray(v) && v.length > 0 && v.every((m) => m instanceof Module)) {
        for (const [i, m] of v.entries()) out.push([`${k}.${i}`, m]);
      }
    }
    return out;
  }

  /**
   * Every Parameter and buffer in the tree with its PyTorch state_dict key. A parameter that
   * several modules share (tied weights, e.g. a GPT's `lm_head.weight` = `wte.weight`)
   * appears once, under its first name in field order, as in PyTorch's `named_parameters()`:
   * training, optimizer state, checkpoints and parameter counts all see one tensor, and its
   * gradient is the sum over every use. Its other names are {@link tiedKeys}.
   */
  namedTensors(prefix = ''): [string, Parameter][] {
    const seen = new Set<Parameter>();
    return this.#everyTensor(prefix).filter(([, p]) => !seen.has(p) && Boolean(seen.add(p)));
  }

  /**
   * The other names of shared parameters, each with the name {@link namedTensors} lists it
   * under: `{ 'lm_head.weight': 'wte.weight' }` for tied embeddings; empty when nothing is shared.
   */
  tiedKeys(): Record<string, string> {
    const first = new Map<Parameter, string>();
    const out: Record<string, string> = {};
    for (const [k, p] of this.#everyTensor('')) {
      const name = first.get(p);
      if (name === undefined) first.set(p, k);
      else out[k] = name;
    }
    return out;
  }

  /** Every (name, tensor) pair of the tree, shared parameters under each of their names. */
  #everyTensor(prefix: string): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Parameter) out.push([prefix + k, v]);
    }
    for (const [k, child] of this.namedChildren())
      out.push(...child.#everyTensor(`${prefix}${k}.`));
    return out;
  }

  /** Trainable parameters with their names. */
  namedParameters(): [string, Parameter][] {
    return this.namedTensors().filter(([, p]) => p.trainable);
  }

  /** Buffers (non-trainable state such as running statistics) with their names. */
  namedBuffers(): [string, Parameter][] {
    return this.namedTensors().filter(([, p]) => !p.trainable);
  }

  /**
   * Host tensors by PyTorch state_dict key (parameters and buffers); a shared parameter once,
   * under its first name (what safetensors' `save_model` writes for tied weights).
   */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedTensors().map(([k, p]) => [k, p.data]));
  }

  /**
   * Replace parameters and buffers from a state dict. With `strict` (default) missing and
   * unexpected keys are a {@link StateDictKeyError} listing all of them; shapes and dtypes
   * must always match. A shared parameter may come under any of its names (PyTorch's
   * `state_dict()` has each); when several are given they must be equal.
   */
  loadStateDict(sd: Readonly<Record<string, Tensor>>, strict = true): void {
    const where = `${this.constructor.name}.loadStateDict`;
    const own = new Map(this.namedTensors());
    const names = new Map([...own.keys()].map((k) => [k, [k]]));
    for (const [alias, name] of Object.entries(this.tiedKeys())) names.get(name)?.push(alias);
    const given = (k: string) => names.get(k)!.filter((n) => Object.hasOwn(sd, n));
    if (strict) {
      const missing = [...own.keys()].filter((k) => given(k).length === 0);
      const known = new Set([...names.values()].flat());
      const unexpected = Object.keys(sd).filter((k) => !known.has(k));
      if (missing.length || unexpected.length)
        throw new StateDictKeyError(where, missing, unexpected);
    }
    // Module order, so the first reported mismatch is the first tensor of the model.
    for (const [k, p] of own) {
      const keys = given(k);
      for (const n of keys) {
        const t = sd[n];
        if (
          t.dtype !== p.data.dtype ||
          t.shape.length !== p.shape.length ||
          t.shape.some((d, i) => d !== p.shape[i])
        ) {
          throw new ShapeError(
            `${where}: tensor '${n}' is ${t.dtype}${formatShape(t.shape)} in the state dict but ${p.data.dtype}${formatShape(p.shape)} in the module`,
          );
        }
        if (!sameTensor(t, sd[keys[0]]))
          throw new CheckpointError(
            `${where}: '${keys[0]}' and '${n}' are one shared (tied) parameter but differ in the state dict`,
          );
      }
      if (keys.length) p.data = sd[keys[0]].clone();
    }
  }

  /** Set train (true) or eval (false) mode on the whole tree. */
  train(mode = true): this {
    this.training = mode;
    for (const [, c] of this.namedChildren()) c.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.namedParameters().reduce((n, [, p]) => n + p.data.size, 0);
  }

  /** One line per parameter and buffer: name, shape, count; then the total. */
  summary(): string {
    const rows = this.namedTensors().map(
      ([k, p]) =>
        `  ${k.padEnd(32)} ${formatShape(p.shape).padEnd(16)} ${String(p.data.size).padStart(10)}${p.trainable ? '' : '  (buffer)'}`,
    );
    return [
      `${this.constructor.name}`,
      ...rows,
      `  trainable parameters: ${this.numParameters().toLocaleString('en-US')}`,
    ].join('\n');
  }
}
