/**
 * Reading ONNX Runtime's per-node profiles (`Runtime.create({ profile })`): time per op type
 * per run, so a training step's cost can be attributed to convolutions, GEMMs, elementwise
 * ops and so on.
 */

/** One op type's share of a profiled session. */
export interface OpTypeTime {
  opType: string;
  /** Distinct nodes of this type that ran. */
  nodes: number;
  /** Mean microseconds per run, summed over the nodes of this type. */
  usPerRun: number;
  /** Fraction of the summed node time. */
  share: number;
}

export interface ProfileSummary {
  /** Runs of the session in the profile (`model_run` events), after `skipRuns`. */
  runs: number;
  /** Mean microseconds per run, wall time inside ORT (`model_run`). */
  usPerRun: number;
  /** Mean microseconds per run summed over node kernels; the rest is the executor's own overhead. */
  nodeUsPerRun: number;
  /** Distinct nodes that ran. */
  nodes: number;
  /** Op types, most expensive first. */
  byOpType: OpTypeTime[];
  /** The most expensive single nodes (mean microseconds per run). */
  topNodes: { name: string; opType: string; usPerRun: number }[];
}

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string };
}

/**
 * Summarize a profile (the parsed JSON array ORT writes). The first `skipRuns` runs are left
 * out (warm-up: the first run allocates the arena and packs weights).
 *
 * @example
 * const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), { skipRuns: 2 });
 * for (const o of s.byOpType) console.log(o.opType, o.nodes, o.usPerRun.toFixed(0));
 */
export function summarizeProfile(
  events: readonly TraceEvent[],
  opts: { skipRuns?: number; top?: number } = {},
): ProfileSummary {
  if (!Array.isArray(events))
    throw new TypeError('summarizeProfile: expected the JSON array of an ORT profile file');
  const runs = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  const skip = Math.min(opts.skipRuns ?? 0, Math.max(0, runs.length - 1));
  const kept = runs.slice(skip);
  const from = kept[0]?.ts ?? 0;
  const byType = new Map<string, { nodes: Set<string>; us: number }>();
  const byNode = new Map<string, { opType: string; us: number }>();
  let nodeUs = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || (e.ts ?? 0) < from) continue;
    const opType = e.args?.op_name ?? '?';
    const name = e.name.slice(0, -'_kernel_time'.length);
    const t = byType.get(opType) ?? { nodes: new Set(), us: 0 };
    t.nodes.add(name);
    t.us += e.dur ?? 0;
    byType.set(opType, t);
    const n = byNode.get(name) ?? { opType, us: 0 };
    n.us += e.dur ?? 0;
    byNode.set(name, n);
    nodeUs += e.dur ?? 0;
  }
  const n = Math.max(1, kept.length);
  const byOpType = [...byType]
    .map(([opType, t]) => ({
      opType,
      nodes: t.nodes.size,
      usPerRun: t.us / n,
      share: nodeUs > 0 ? t.us / nodeUs : 0,
    }))
    .sort((a, b) => b.usPerRun - a.usPerRun);
  const topNodes = [...byNode]
    .map(([name, v]) => ({ name, opType: v.opType, usPerRun: v.us / n }))
    .sort((a, b) => b.usPerRun - a.usPerRun)
    .slice(0, opts.top ?? 10);
  return {
    runs: kept.length,
    usPerRun: kept.reduce((a, e) => a + (e.dur ?? 0), 0) / n,
    nodeUsPerRun: nodeUs / n,
    nodes: byNode.size,
    byOpType,
    topNodes,
  };
}

/** A fixed-width text table of a summary, for scripts and docs. */
export function formatProfile(s: ProfileSummary, opts: { minShare?: number } = {}): string {
  const lines = [
    `${s.runs} runs: ${(s.usPerRun / 1000).toFixed(2)} ms per run in ORT, ${(s.nodeUsPerRun / 1000).toFixed(2)} ms in ${s.nodes} node kernels`,
    `${'op type'.padEnd(28)}${'nodes'.padStart(7)}${'ms/run'.padStart(10)}${'share'.padStart(8)}`,
  ];
  let rest = { nodes: 0, us: 0, share: 0, types: 0 };
  for (const o of s.byOpType) {
    if (o.share < (opts.minShare ?? 0.01)) {
      rest = {
        nodes: rest.nodes + o.nodes,
        us: rest.us + o.usPerRun,
        share: rest.share + o.share,
        types: rest.types + 1,
      };
      continue;
    }
    lines.push(
      `${o.opType.padEnd(28)}${String(o.nodes).padStart(7)}${(o.usPerRun / 1000).toFixed(3).padStart(10)}${`${(o.share * 100).toFixed(1)}%`.padStart(8)}`,
    );
  }
  if (rest.types > 0)
    lines.push(
      `${`(${rest.types} other types)`.padEnd(28)}${String(rest.nodes).padStart(7)}${(rest.us / 1000).toFixed(3).padStart(10)}${`${(rest.share * 100).toFixed(1)}%`.padStart(8)}`,
    );
  return lines.join('\n');
}
