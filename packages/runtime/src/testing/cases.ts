/**
 * Op-test helpers (not part of the public API): run a small graph on the host, compare
 * outputs with naive references, and register one gradcheck test per case.
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import type { Dim } from '../graph/shape.js';
import type { Tensor } from '../tensor.js';
import { type GradcheckInput, type GradcheckOptions, gradcheck } from './gradcheck.js';

/** Build `outputs` on a fresh graph, compile and run it once on `feeds`, return the host outputs. */
export async function runGraph(
  rt: Runtime,
  build: (g: Graph) => Record<string, Value>,
  feeds: Readonly<Record<string, Tensor>> = {},
): Promise<Record<string, Tensor>> {
  const g = new Graph();
  const exe = await rt.compile(g, build(g));
  try {
    return await exe.runHost(feeds);
  } finally {
    await exe.dispose();
  }
}

/** Named host data, each declared as a graph input of its own dtype with `dims` (default: its shape). */
export type Feeds = Readonly<Record<string, { dims?: readonly Dim[]; data: Tensor }>>;

/** {@link runGraph} of `build` traced on one graph input per entry of `inputs`, fed their data. */
export function runFeeds(
  rt: Runtime,
  inputs: Feeds,
  build: (x: Record<string, Value>) => Record<string, Value>,
): Promise<Record<string, Tensor>> {
  const entries = Object.entries(inputs);
  return runGraph(
    rt,
    (g) =>
      build(
        Object.fromEntries(
          entries.map(([k, s]) => [k, g.input(k, s.data.dtype, s.dims ?? s.data.shape)]),
        ),
      ),
    Object.fromEntries(entries.map(([k, s]) => [k, s.data])),
  );
}

/**
 * Expect equal lengths and every element close: |actual - expected| strictly below `tol`,
 * or, when `relative`, at most `tol * max(1, |expected|)`. A NaN on either side fails.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
  { relative = false }: { relative?: boolean } = {},
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    const d = Math.abs(a - e);
    const msg = `element ${i}: ${a} vs ${e}`;
    if (relative) expect(d, msg).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
    else expect(d, msg).toBeLessThan(tol);
  }
}

/** {@link expectClose} relative to max(1, |expected|): each difference at most `tol` times that. */
export function expectNear(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
): void {
  expectClose(actual, expected, tol, { relative: true });
}

/** Expect `actual` to hold `expected` to 5 decimals (`toBeCloseTo(v, 5)`), with `shape` if given. */
export function expectTensor(actual: Tensor, expected: readonly number[], shape?: number[]): void {
  if (shape) expect(actual.shape).toEqual(shape);
  expect(actual.size).toBe(expected.length);
  actual.toArray().forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i], 5);
  });
}

/** A gradcheck test: [test name, inputs, function of the inputs]. */
export type GradcheckCase = [
  string,
  Record<string, GradcheckInput>,
  (x: Record<string, Value>) => Value,
];

/**
 * `describe(title)` with one `it` per case expecting {@link gradcheck} to pass. `rt` is
 * called when each test runs, so it may return a runtime created in `beforeAll`.
 */
export function gradcheckCases(
  rt: () => Runtime,
  title: string,
  cases: readonly GradcheckCase[],
  opts?: GradcheckOptions,
): void {
  describe(title, () => {
    for (const [name, inputs, f] of cases) {
      it(name, async () => {
        const r = await gradcheck(rt(), inputs, f, opts);
        expect(r.ok, r.message).toBe(true);
      });
    }
  });
}
