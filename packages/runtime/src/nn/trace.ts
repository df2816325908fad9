/**
 * The active trace: while a train step, an inference graph or an export is being
 * traced, parameters and buffers are bound to graph values, buffer updates (BatchNorm
 * running statistics) are collected as extra outputs, and host-fed noise (dropout
 * masks, VAE epsilon, diffusion noise) is declared as graph inputs.
 * Tracing is synchronous, so one stack of contexts suffices.
 */
import { GraphError } from '../errors.js';
import type { Graph, Value } from '../graph/graph.js';
import type { Shape } from '../graph/shape.js';
import type { Parameter } from './parameter.js';

/** A host-fed random input declared during tracing. */
export interface NoiseInput {
  value: Value;
  kind: 'normal' | 'uniform' | 'bernoulli';
  /** Keep-probability for 'bernoulli' masks. */
  p?: number;
}

export interface TraceContext {
  graph: Graph;
  training: boolean;
  bindings: Map<Parameter, Value>;
  /** New values of buffers (e.g. running statistics) computed by this trace. */
  updates: Map<Parameter, Value>;
  noise: Map<string, NoiseInput>;
}

const stack: TraceContext[] = [];

/** Run `fn` with `ctx` as the active trace. */
export function withTrace<T>(ctx: TraceContext, fn: () => T): T {
  stack.push(ctx);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}

/** The active trace; throws outside tracing. */
export function currentTrace(what: string): TraceContext {
  const ctx = stack[stack.length - 1];
  if (!ctx) {
    throw new GraphError(
      `${what}: no active trace; call modules inside compileTrainStep, traceModule or exportOnnx`,
    );
  }
  return ctx;
}

/**
 * Declare host-fed noise of `shape` (dims may be symbols of the batch inputs). The train
 * step or sampler fills it from its seeded Rng on every run.
 *
 * @example const eps = noise('vae.eps', 'normal', ['batch', 20]);
 */
export function noise(name: string, kind: NoiseInput['kind'], shape: Shape, p?: number): Value {
  const ctx = currentTrace(`noise('${name}')`);
  const existing = ctx.noise.get(name);
  if (existing) return existing.value;
  const value = ctx.graph.input(`noise:${name}`, 'float32', shape);
  ctx.noise.set(name, { value, kind, p });
  return value;
}
