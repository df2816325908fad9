/**
 * Gradient checkpointing for the traced graph: the forward nodes of marked modules are
 * emitted a second time inside the backward graph, and the VJP rules of those modules read
 * the recomputed values. Their activations then die when the forward pass moves on, and
 * only each module's inputs stay alive until the backward pass reaches it.
 *
 * The recomputation must not run early: ONNX Runtime may run any node once its inputs are
 * ready. So each recomputed segment reads its activation inputs through a gate that
 * depends on a cotangent of the segment's output: `Where(s == s, x, x)` with `s` the sum of
 * that cotangent. Both branches are `x`, so the values are bit for bit the forward's; the
 * gate only orders the work after the backward pass has arrived at the segment.
 *
 * Randomness stays consistent: dropout masks are host-fed inputs, read again unchanged.
 */
import { GraphError } from '../errors.js';
import type { Graph, Node, Value } from '../graph/graph.js';
import { equal, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/** One contiguous run of a marked module's forward nodes. */
interface Segment {
  readonly path: string;
  readonly nodes: readonly Node[];
  readonly inside: ReadonlySet<Node>;
  /** Original value -> recomputed value, once the backward pass has reached the segment. */
  recomputed?: Map<Value, Value>;
}

const within = (scope: string, path: string) => scope === path || scope.startsWith(`${path}.`);

/**
 * The segments of `nodes` for the module paths in `paths` (e.g. `h.0`, `h.1`), each a
 * maximal run of consecutive nodes traced inside one of them. A node belongs to the longest
 * matching path, so nested marks are one segment (the outer one wins by appearing first).
 */
export function findSegments(nodes: readonly Node[], paths: readonly string[]): Map<Node, Segment> {
  for (const p of paths) {
    if (typeof p !== 'string' || p === '')
      throw new GraphError(
        `recompute: module paths must be non-empty strings (e.g. 'h.0'), got ${JSON.stringify(p)}`,
      );
  }
  const seg = new Map<Node, Segment>();
  const found = new Set<string>();
  let run: { path: string; nodes: Node[] } | undefined;
  const close = () => {
    if (!run) return;
    const s: Segment = { path: run.path, nodes: run.nodes, inside: new Set(run.nodes) };
    for (const n of run.nodes) seg.set(n, s);
    run = undefined;
  };
  for (const n of nodes) {
    const path = paths.find((p) => within(n.scope, p));
    if (path === undefined || run?.path !== path) close();
    if (path === undefined) continue;
    found.add(path);
    run ??= { path, nodes: [] };
    run.nodes.push(n);
  }
  close();
  const missing = paths.filter((p) => !found.has(p));
  if (missing.length > 0)
    throw new GraphError(
      `recompute: no traced node belongs to module path(s) ${missing.map((p) => `'${p}'`).join(', ')}; paths are state-dict prefixes such as 'h.0'`,
    );
  return seg;
}

/**
 * The node `n` of `s` as the VJP rules should see it: inputs and outputs replaced by their
 * recomputed values. The segment is emitted (once) on first use, gated on `cotangent`.
 */
export function recomputedNode(graph: Graph, s: Segment, n: Node, cotangent: Value): Node {
  if (!s.recomputed) {
    const map = new Map<Value, Value>();
    const ready = graph.atScope(s.path, () => {
      const total = sum(cotangent);
      return equal(total, total);
    });
    for (const m of s.nodes) {
      const inputs = m.inputs.map((v) => {
        if (!v) return null;
        const known = map.get(v);
        if (known) return known;
        // Graph inputs and constants live through the step anyway; activations from
        // outside the segment (its checkpoints) are read through the gate.
        if (!v.node || s.inside.has(v.node)) return v;
        const gated = graph.atScope(s.path, () => where(ready, v, v));
        map.set(v, gated);
        return gated;
      });
      const outs = graph.atScope(m.scope, () =>
        graph.emit(
          m.prim,
          inputs,
          m.attrs,
          m.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape })),
        ),
      );
      for (const [i, o] of m.outputs.entries()) map.set(o, outs[i]);
    }
    s.recomputed = map;
  }
  const map = s.recomputed;
  const re = (v: Value | null) => (v && map.get(v)) ?? v;
  return {
    ...n,
    inputs: n.inputs.map((v) => (v?.node && s.inside.has(v.node) ? re(v) : v)),
    outputs: n.outputs.map((v) => re(v) as Value),
  };
}
