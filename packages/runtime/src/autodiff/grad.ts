/**
 * Reverse-mode differentiation over the recorded graph. Every VJP rule is written
 * with the traced ops, so the gradient graph is differentiable again (grad of grad).
 */
import { GraphError, notDifferentiable, ShapeError, scopedOp } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { formatShape, shapesEqual } from '../graph/shape.js';
import { onesLike, zerosLike } from '../ops/creation.js';
import { add } from '../ops/elementwise.js';
import { isFloat } from '../tensor.js';
import { findSegments, recomputedNode } from './recompute.js';

/** Options of {@link vjp} and {@link grad}. */
export interface VjpOptions {
  /**
   * Gradient checkpointing: module paths (state-dict prefixes such as `h.0`) whose forward
   * is computed again in the backward pass instead of keeping its activations alive.
   * Same values bit for bit; less peak memory for one more forward of those modules.
   */
  recompute?: readonly string[];
}

/**
 * Vector-Jacobian product: sum_k <cotangents[k], d outputs[k] / d wrt[i]> for each i.
 * Values in `wrt` that do not influence the outputs get zeros.
 */
export function vjp(
  outputs: readonly Value[],
  cotangents: readonly Value[],
  wrt: readonly Value[],
  opts: VjpOptions = {},
): Value[] {
  if (outputs.length === 0) throw new GraphError('vjp: no outputs');
  if (outputs.length !== cotangents.length) {
    throw new GraphError(`vjp: ${outputs.length} outputs but ${cotangents.length} cotangents`);
  }
  const graph = outputs[0].graph;
  for (const v of [...outputs, ...cotangents, ...wrt]) {
    if (v.graph !== graph) throw new GraphError(`vjp: ${v} belongs to another graph`);
  }
  for (const w of wrt) {
    if (!isFloat(w.dtype))
      throw new GraphError(
        `vjp: cannot differentiate with respect to ${w} (${w.dtype} is not a float type)`,
      );
  }
  outputs.forEach((o, i) => {
    if (!shapesEqual(o.shape, cotangents[i].shape)) {
      throw new ShapeError(
        `vjp: cotangent ${formatShape(cotangents[i].shape)} does not match output ${formatShape(o.shape)}`,
      );
    }
  });

  // Forward: which values depend differentiably on wrt.
  const depends = new Set<Value>(wrt);
  const last = Math.max(...outputs.map((o) => o.node?.id ?? -1));
  const nodes = graph.nodes.slice(0, last + 1);
  for (const n of nodes) {
    if (n.prim.stopsGradient) continue;
    if (n.inputs.some((v) => v && depends.has(v) && isFloat(v.dtype))) {
      for (const o of n.outputs) if (isFloat(o.dtype)) depends.add(o);
    }
  }

  const segments = opts.recompute?.length ? findSegments(nodes, opts.recompute) : undefined;
  const cot = new Map<Value, Value>();
  const accumulate = (v: Value, g: Value) => {
    const prev = cot.get(v);
    cot.set(v, prev ? add(prev, g) : g);
  };
  outputs.forEach((o, i) => {
    if (depends.has(o)) accumulate(o, cotangents[i]);
  });

  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (n.prim.stopsGradient) continue;
    const outCots = n.outputs.map((o) => cot.get(o) ?? null);
    if (outCots.every((c) => c === null)) continue;
    const needs = n.inputs.map((v) => v !== null && depends.has(v) && isFloat(v.dtype));
    if (!needs.some(Boolean)) continue;
    const rule = n.prim.vjp;
    if (!rule) throw notDifferentiable(n.prim.opType, needs.indexOf(true), n.scope);
    const seg = segments?.get(n);
    const ruleNode = seg
      ? recomputedNode(graph, seg, n, outCots.find((c) => c !== null) as Value)
      : n;
    const grads = graph.atScope(n.scope, () => rule(ruleNode, outCots, needs));
    n.inputs.forEach((v, i) => {
      if (!needs[i] || !v) return;
      const g = grads[i];
      if (!g)
        throw new GraphError(
          `${scopedOp(n.scope, n.prim.opType)}: VJP rule gave no gradient for input ${i}`,
        );
      if (!shapesEqual(g.shape, v.shape)) {
        throw new ShapeError(
          `${scopedOp(n.scope, n.prim.opType)}: VJP rule gave gradient ${formatShape(g.shape)} for input ${i} of shape ${formatShape(v.shape)}`,
        );
      }
      accumulate(v, g);
    });
  }
  return wrt.map((w) => cot.get(w) ?? zerosLike(w));
}

/**
 * Gradient of a scalar `loss` (rank 0 or one element) with respect to each of `wrt`.
 *
 * @example
 * const [dw] = grad(mean(square(sub(matmul(x, w), y))), [w]);
 */
export function grad(loss: Value, wrt: readonly Value[], opts: VjpOptions = {}): Value[] {
  if (!isFloat(loss.dtype) || !loss.shape.every((d) => d === 1)) {
    throw new ShapeError(
      `grad: loss must be a float scalar, got ${loss.dtype}${formatShape(loss.shape)}; reduce it (mean/sum) or use vjp()`,
    );
  }
  return vjp([loss], [onesLike(loss)], wrt, opts);
}
