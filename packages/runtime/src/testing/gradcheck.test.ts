import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import type { Value } from '../graph/graph.js';
import { primitive } from '../graph/graph.js';
import { emit1 } from '../ops/core.js';
import { mul } from '../ops/elementwise.js';
import { gradcheck } from './gradcheck.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

// A deliberately wrong rule: d exp(x) claimed to be g * 2 * exp(x).
const badExpP = primitive('Exp', { vjp: (n, [g]) => [mul(mul(g!, n.outputs[0]), 2)] });
const badExp = (x: Value) => emit1(x.graph, badExpP, [x], { dtype: x.dtype, shape: x.shape });

describe('gradcheck harness', () => {
  it('rejects a wrong VJP rule', async () => {
    const r = await gradcheck(rt, { x: { shape: [3, 2] } }, (x) => badExp(x.x));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/analytic .* vs numeric/);
  });

  it('is deterministic for a seed', async () => {
    const f = (x: Record<string, Value>) => mul(x.x, x.x);
    const a = await gradcheck(rt, { x: { shape: [4] } }, f, { seed: 3 });
    const b = await gradcheck(rt, { x: { shape: [4] } }, f, { seed: 3 });
    expect(a.analytic).toEqual(b.analytic);
    expect(a.ok).toBe(true);
  });
});
