import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { Runtime } from '../exec/runtime.js';
import { mul } from '../ops/elementwise.js';
import { embedding, scatterNDAdd } from '../ops/gather.js';
import { sum } from '../ops/reduce.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { decodeModel } from './encode.js';
import { Graph } from './graph.js';
import { ONE_HOT_ROWS } from './scatter-lowering.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 2 });
});

const bits = (t: Tensor) => Array.from(new Uint32Array((t.data as Float32Array).slice().buffer));

/** The embedding gradient of `ids` and `up` ([N, D]) for a [V, D] table, its model's op types. */
async function embeddingGrad(r: Runtime, V: number, ids: Tensor, up: Tensor) {
  const D = up.shape[1] as number;
  const g = new Graph('emb');
  const w = g.input('w', 'float32', [V, D]);
  const i = g.input('ids', 'int64', ['n']);
  const u = g.input('u', 'float32', ['n', D]);
  const [gw] = grad(sum(mul(embedding(w, i), u)), [w]);
  const exe = await r.compile(g, { gw });
  const ops = (decodeModel(exe.model).graph?.node ?? []).map((n) => n.opType);
  const runs: number[][] = [];
  for (let k = 0; k < 3; k++)
    runs.push(bits((await exe.runHost({ w: Tensor.zeros([V, D]), ids, u: up })).gw));
  await exe.dispose();
  return { ops, runs };
}

/** Sequential float32 sums in id order (what ScatterND does on one thread), and float64 sums. */
function references(V: number, ids: Tensor, up: Tensor) {
  const D = up.shape[1] as number;
  const f32 = new Float32Array(V * D);
  const f64 = new Float64Array(V * D);
  const ud = up.data as Float32Array;
  for (let k = 0; k < ids.size; k++) {
    const row = Number(ids.data[k]);
    for (let d = 0; d < D; d++) {
      f32[row * D + d] = Math.fround(f32[row * D + d] + ud[k * D + d]);
      f64[row * D + d] += ud[k * D + d];
    }
  }
  return { f32, f64 };
}

describe('scatter-add on the CPU provider', () => {
  const rng = new Rng(2);
  const N = 8192;
  const up = new Tensor('float32', [N, 48], rng.normal(N * 48));
  const idsOf = (V: number) =>
    new Tensor(
      'int64',
      [N],
      BigInt64Array.from({ length: N }, (_, i) => BigInt((i * 5 + (i >> 3)) % V)),
    );

  it('small tables: a one-hot GEMM, the same bits on every run and thread count, within round-off of the exact sum', async () => {
    const V = 7;
    const ids = idsOf(V);
    const two = await embeddingGrad(rt, V, ids, up);
    const one = await embeddingGrad(
      await Runtime.create({ device: 'cpu', threads: 1 }),
      V,
      ids,
      up,
    );
    expect(two.ops).toContain('Gemm');
    expect(two.ops).not.toContain('ScatterND');
    for (const r of [...two.runs, ...one.runs]) expect(r).toEqual(two.runs[0]);
    const got = new Float32Array(new Uint32Array(two.runs[0]).buffer);
    const { f64 } = references(V, ids, up);
    for (let k = 0; k < f64.length; k++) expect(Math.abs(got[k] - f64[k])).toBeLessThan(1e-3);
  });

  it(`tables over ${ONE_HOT_ROWS} rows: ScatterElements, bit for bit the sequential sum on every run`, async () => {
    const V = ONE_HOT_ROWS + 5;
    const ids = idsOf(V);
    const { ops, runs } = await embeddingGrad(rt, V, ids, up);
    expect(ops).toContain('ScatterElements');
    expect(ops).not.toContain('ScatterND');
    for (const r of runs) expect(r).toEqual(runs[0]);
    expect(runs[0]).toEqual(Array.from(new Uint32Array(references(V, ids, up).f32.buffer)));
  });

  it('keeps ScatterND of depth 2, and gives scatterNDAdd of rank-3 data its value', async () => {
    const g = new Graph('nd');
    const x = g.input('x', 'float32', [3, 2, 2]);
    const i1 = g.input('i1', 'int64', [4, 1]);
    const i2 = g.input('i2', 'int64', [2, 2]);
    const u1 = g.input('u1', 'float32', [4, 2, 2]);
    const u2 = g.input('u2', 'float32', [2, 2]);
    const exe = await rt.compile(g, { a: scatterNDAdd(x, i1, u1), b: scatterNDAdd(x, i2, u2) });
    const ops = (decodeModel(exe.model).graph?.node ?? []).map((n) => n.opType);
    expect(ops.filter((o) => o === 'ScatterND')).toHaveLength(1);
    const out = await exe.runHost({
      x: Tensor.zeros([3, 2, 2]),
      i1: new Tensor('int64', [4, 1], BigInt64Array.from([2n, 0n, 2n, 1n])),
      i2: new Tensor('int64', [2, 2], BigInt64Array.from([0n, 1n, 2n, 0n])),
      u1: new Tensor(
        'float32',
        [4, 2, 2],
        Float32Array.from({ length: 16 }, (_, k) => k),
      ),
      u2: new Tensor('float32', [2, 2], Float32Array.from([1, 2, 3, 4])),
    });
    expect(Array.from(out.a.data as Float32Array)).toEqual([
      4, 5, 6, 7, 12, 13, 14, 15, 8, 10, 12, 14,
    ]);
    expect(Array.from(out.b.data as Float32Array)).toEqual([0, 0, 1, 2, 0, 0, 0, 0, 3, 4, 0, 0]);
    await exe.dispose();
  });
});
