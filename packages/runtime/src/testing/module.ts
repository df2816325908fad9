/**
 * Layer-test helpers (not part of the public API): trace a module with its parameters
 * bound to graph values, for the shared gradcheck and for forward runs in a chosen mode.
 */
import { readFileSync } from 'node:fs';
import type { Executable } from '../exec/executable.js';
import type { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import type { Module } from '../nn/module.js';
import { type TraceContext, withTrace } from '../nn/trace.js';
import type { Tensor } from '../tensor.js';
import {
  type GradcheckInput,
  type GradcheckOptions,
  type GradcheckResult,
  gradcheck,
} from './gradcheck.js';

/** A trace context over `graph` binding each of the module's tensors to `values[key]`, else to a constant. */
export function bindModule(
  module: Module,
  graph: Graph,
  values: Readonly<Record<string, Value>>,
  training: boolean,
): TraceContext {
  module.setPaths();
  const ctx: TraceContext = {
    graph,
    training,
    bindings: new Map(),
    updates: new Map(),
    noise: new Map(),
  };
  for (const [k, p] of module.namedTensors())
    ctx.bindings.set(p, values[k] ?? graph.constant(p.data.clone()));
  return ctx;
}

export interface ModuleGradcheckOptions extends GradcheckOptions {
  /** Trace in train mode (default: the module's own flag). */
  training?: boolean;
  /** Pre-bind host noise: noise name -> name of a (check: false) gradcheck input. */
  noise?: Readonly<Record<string, string>>;
}

/**
 * gradcheck of `fn` with respect to its `inputs` AND every trainable parameter of
 * `module` (fed as inputs `param:<state_dict key>` holding the module's current data).
 */
export function gradcheckModule(
  rt: Runtime,
  module: Module,
  inputs: Readonly<Record<string, GradcheckInput>>,
  fn: (x: Record<string, Value>) => Value,
  opts: ModuleGradcheckOptions = {},
): Promise<GradcheckResult> {
  const params = module.namedParameters();
  const all: Record<string, GradcheckInput> = { ...inputs };
  for (const [k, p] of params) all[`param:${k}`] = { shape: p.shape, data: p.data };
  return gradcheck(
    rt,
    all,
    (v) => {
      const bound = Object.fromEntries(params.map(([k]) => [k, v[`param:${k}`]]));
      const ctx = bindModule(
        module,
        v[Object.keys(v)[0]].graph,
        bound,
        opts.training ?? module.training,
      );
      for (const [name, input] of Object.entries(opts.noise ?? {}))
        ctx.noise.set(name, { value: v[input], kind: 'bernoulli' });
      return withTrace(ctx, () => fn(v));
    },
    opts,
  );
}

/** A compiled forward of `fn` over `module` (tensors as constants) plus its trace context. */
export interface CompiledModule {
  exe: Executable;
  ctx: TraceContext;
  /** Output names `update:<key>` hold the new value of each buffer the trace updated. */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
}

/**
 * Trace `fn` over `module` in train or eval mode with parameters and buffers as
 * constants; outputs are `fn`'s values plus `update:<key>` for updated buffers.
 */
export async function compileModule(
  rt: Runtime,
  module: Module,
  inputs: Readonly<Record<string, { dtype: Tensor['dtype']; shape: readonly (number | string)[] }>>,
  fn: (x: Record<string, Value>) => Record<string, Value>,
  training = module.training,
): Promise<CompiledModule> {
  const graph = new Graph('module_test');
  const ctx = bindModule(module, graph, {}, training);
  const vals = Object.fromEntries(
    Object.entries(inputs).map(([k, s]) => [k, graph.input(k, s.dtype, s.shape)]),
  );
  const outputs = withTrace(ctx, () => fn(vals));
  const keys = new Map(module.namedBuffers().map(([k, p]) => [p, k]));
  for (const [p, v] of ctx.updates) outputs[`update:${keys.get(p)}`] = v;
  const exe = await rt.compile(graph, outputs);
  return { exe, ctx, run: (feeds) => exe.runHost(feeds) };
}

/** [key, shape, dtype] of every tensor in the module's state dict, in order. */
export type StateDictLayout = [string, number[], string][];

export function stateDictLayout(module: Module): StateDictLayout {
  return module.namedTensors().map(([k, p]) => [k, [...p.shape], p.data.dtype]);
}

/**
 * The state_dict layout PyTorch gives the module described by `call` (a key of
 * src/nn/fixtures/state_dict_keys.json, written by scripts/make_parity_fixtures.py).
 */
export function torchLayout(call: string): StateDictLayout {
  const url = new URL('../nn/fixtures/state_dict_keys.json', import.meta.url);
  const modules = JSON.parse(readFileSync(url, 'utf8')).modules as Record<string, StateDictLayout>;
  const layout = modules[call];
  if (!layout) throw new Error(`torchLayout: no fixture for '${call}'; regenerate the fixtures`);
  return layout;
}
