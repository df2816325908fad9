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

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 2 });
});

const bits = (t: Tensor) => Array.from(new Uint32Array((t.data as Float32Array).slice().buffer));

describe('scatter-add on the CPU provider', () => {
  it('embedding gradients with repeated ids are the same on every run (2 threads) and match a sequential sum', async () => {
    const [V, D, N] = [7, 96, 8192];
    const rng = new Rng(2);
    const ids = new Tensor(
      'int64',
      [N],
      BigInt64Array.from({ length: N }, (_, i) => BigInt((i * 5 + (i >> 3)) % V)),
    );
    const up = new Tensor('float32', [N, D], rng.normal(N * D));
    const g = new Graph('emb');
    const w = g.input('w', 'float32', [V, D]);
    const i = g.input('ids', 'int64', ['n']);
    const u = g.input('u', 'float32', ['n', D]);
    const [gw] = grad(sum(mul(embedding(w, i), u)), [w]);
    const exe = await rt.compile(g, { gw });
    const ops = (decodeModel(exe.model).graph?.node ?? []).map((n) => n.opType);
    expect(ops).toContain('ScatterElements');
    expect(ops).not.toContain('ScatterND');
    const feeds = { w: Tensor.zeros([V, D]), ids, u: up };
    const runs = [];
    for (let r = 0; r < 4; r++) runs.push(bits((await exe.runHost(feeds)).gw));
    for (const r of runs) expect(r).toEqual(runs[0]);
    // Sequential float32 sums in id order: what ScatterND does on one thread.
    const want = new Float32Array(V * D);
    const ud = up.data as Float32Array;
    for (let k = 0; k < N; k++) {
      const row = Number(ids.data[k]);
      for (let d = 0; d < D; d++)
        want[row * D + d] = Math.fround(want[row * D + d] + ud[k * D + d]);
    }
    expect(runs[0]).toEqual(Array.from(new Uint32Array(want.buffer)));
    await exe.dispose();
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
