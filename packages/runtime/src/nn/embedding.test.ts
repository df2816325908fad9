import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { bindModule, gradcheckModule, stateDictLayout, torchLayout } from '../testing/module.js';
import { Embedding } from './embedding.js';
import { withTrace } from './trace.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const ids = (rows: number[][]) => Tensor.from(rows, 'int64');

describe('Embedding', () => {
  it('maps ids [batch, 7] to [batch, 7, 16] and has PyTorch state_dict keys', () => {
    const emb = new Embedding(10, 16, { rng: new Rng(0) });
    const g = new Graph('shape');
    const x = g.input('ids', 'int64', ['batch', 7]);
    expect(withTrace(bindModule(emb, g, {}, false), () => emb.call(x)).shape).toEqual([
      'batch',
      7,
      16,
    ]);
    expect(stateDictLayout(new Embedding(10, 4, { rng: new Rng(0) }))).toEqual(
      torchLayout('Embedding(10, 4)'),
    );
  });

  it('initializes N(0, 1) with the padding row zero (negative ids count from the end)', () => {
    const emb = new Embedding(500, 32, { rng: new Rng(1), paddingIdx: -1 });
    expect(emb.paddingIdx).toBe(499);
    const w = emb.weight.data.toArray();
    expect(w.slice(499 * 32).every((v) => v === 0)).toBe(true);
    const body = w.slice(0, 499 * 32);
    const mean = body.reduce((s, v) => s + v, 0) / body.length;
    const std = Math.sqrt(body.reduce((s, v) => s + (v - mean) ** 2, 0) / body.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(std).toBeGreaterThan(0.97);
    expect(std).toBeLessThan(1.03);
    expect(() => new Embedding(5, 2, { rng: new Rng(0), paddingIdx: 5 })).toThrow(/paddingIdx 5/);
  });

  it('looks up rows and passes gradcheck w.r.t. the weight', async () => {
    const emb = new Embedding(6, 3, { rng: new Rng(2) });
    const r = await gradcheckModule(
      rt,
      emb,
      {
        ids: {
          shape: [2, 4],
          dtype: 'int64',
          data: ids([
            [0, 5, 5, 2],
            [1, 3, 0, 5],
          ]),
        },
      },
      (v) => emb.call(v.ids),
    );
    expect(r.ok, r.message).toBe(true);
  });

  it('reads the padding row but gives it no gradient; repeated ids add up', async () => {
    const emb = new Embedding(4, 2, { rng: new Rng(3), paddingIdx: 0 });
    emb.weight.data = Tensor.from([
      [9, 9],
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const g = new Graph('pad');
    const x = g.input('ids', 'int64', [5]);
    const w = g.input('w', 'float32', [4, 2]);
    const u = g.input('u', 'float32', [5, 2]);
    const y = withTrace(bindModule(emb, g, { weight: w }, true), () => emb.call(x));
    const [dw] = grad(sum(mul(y, u)), [w]);
    const exe = await rt.compile(g, { y, dw });
    const out = await exe.runHost({
      ids: ids([[0, 2, 2, 0, 3]]).reshape([5]),
      w: emb.weight.data,
      u: Tensor.from([
        [1, 1],
        [1, 2],
        [10, 20],
        [1, 1],
        [7, 8],
      ]),
    });
    expect(out.y.toArray()).toEqual([9, 9, 3, 4, 3, 4, 9, 9, 5, 6]);
    expect(out.dw.toArray()).toEqual([0, 0, 0, 0, 11, 22, 7, 8]);
    await exe.dispose();
  });
});
