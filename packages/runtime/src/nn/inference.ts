/**
 * Inference graphs from the same module code that builds the training graph: the
 * module's current parameters and buffers become constants (ONNX initializers), the
 * module runs in eval mode unless asked otherwise.
 */
import { GraphError } from '../errors.js';
import type { Executable } from '../exec/executable.js';
import type { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import type { Shape } from '../graph/shape.js';
import type { DType } from '../tensor.js';
import type { Module } from './module.js';
import { type NoiseInput, type TraceContext, withTrace } from './trace.js';

export type InputSpecs = Readonly<Record<string, { dtype: DType; shape: Shape }>>;
export type InferenceFn = (inputs: Record<string, Value>) => Value | Record<string, Value>;

/** A traced inference graph with its named outputs and any host-fed noise inputs. */
export interface TracedInference {
  graph: Graph;
  outputs: Record<string, Value>;
  noise: NoiseInput[];
}

/**
 * Trace `fn` over `module` with parameters embedded as constants.
 *
 * @example
 * const t = traceInference(vae, { z: { dtype: 'float32', shape: ['batch', 20] } }, (x) => vae.decoder.call(x.z));
 */
export function traceInference(
  module: Module,
  inputs: InputSpecs,
  fn: InferenceFn,
  opts: { name?: string; training?: boolean } = {},
): TracedInference {
  const graph = new Graph(opts.name ?? module.constructor.name);
  const ctx: TraceContext = {
    graph,
    training: opts.training ?? false,
    bindings: new Map(),
    updates: new Map(),
    noise: new Map(),
  };
  module.setPaths();
  for (const [k, p] of module.namedTensors()) ctx.bindings.set(p, graph.constant(p.data, k));
  const values = Object.fromEntries(
    Object.entries(inputs).map(([k, s]) => [k, graph.input(k, s.dtype, s.shape)]),
  );
  const wasTraining = module.training;
  module.train(ctx.training);
  let result: Value | Record<string, Value>;
  try {
    result = withTrace(ctx, () => fn(values));
  } finally {
    module.train(wasTraining);
  }
  const outputs = isValue(result) ? { output: result } : result;
  if (Object.keys(outputs).length === 0)
    throw new GraphError(`${graph.name}: the traced function returned no outputs`);
  return { graph, outputs, noise: [...ctx.noise.values()] };
}

function isValue(v: unknown): v is Value {
  return typeof v === 'object' && v !== null && 'graph' in v && 'dtype' in v && 'shape' in v;
}

/** Compile an inference executable of `module` (parameters snapshotted at compile time). */
export async function compileInference(
  rt: Runtime,
  module: Module,
  inputs: InputSpecs,
  fn: InferenceFn,
  opts: { name?: string; training?: boolean } = {},
): Promise<Executable> {
  const t = traceInference(module, inputs, fn, opts);
  return rt.compile(t.graph, t.outputs, { name: opts.name });
}
