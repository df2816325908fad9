import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { DTypeError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import { sizeOf, Tensor } from '../tensor.js';
import { expectTensor, type GradcheckCase, gradcheckCases, runGraph } from '../testing/cases.js';
import type { GradcheckInput } from '../testing/gradcheck.js';
import { expectCpuWebGpuMatch, webgpuAvailable } from '../testing/webgpu.js';
import { add, mul, square } from './elementwise.js';
import * as I from './index.js';
import { sum } from './reduce.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const i64 = (shape: number[], vals: number[]) =>
  new Tensor(
    'int64',
    shape,
    BigInt64Array.from(vals, (v) => BigInt(v)),
  );
const i32 = (shape: number[], vals: number[]) => new Tensor('int32', shape, Int32Array.from(vals));
/** An index input for gradcheck (never perturbed). */
const idx = (t: Tensor, dims?: (string | number)[]): GradcheckInput => ({
  shape: t.shape,
  data: t,
  dims,
  dtype: t.dtype,
});
/** 0, 1, 2, ... as float32: easy to read in forward checks. */
const iota = (shape: number[]) =>
  new Tensor(
    'float32',
    shape,
    Float32Array.from({ length: sizeOf(shape) }, (_, i) => i),
  );
const cube = (v: Value) => mul(square(v), v);

/** Row-major strides of a static shape. */
function strides(shape: readonly number[]): number[] {
  const s = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}
/** The sub-tensor taking, on each axis, the listed indices in order (a naive reference). */
function pick(data: ArrayLike<number>, shape: number[], lists: number[][]): number[] {
  const st = strides(shape);
  const out: number[] = [];
  const rec = (axis: number, off: number) => {
    if (axis === shape.length) return void out.push(data[off]);
    for (const i of lists[axis]) rec(axis + 1, off + i * st[axis]);
  };
  rec(0, 0);
  return out;
}
const all = (n: number) => Array.from({ length: n }, (_, i) => i);

const gradCases: GradcheckCase[] = [
  ['concat axis 1', { a: { shape: [2, 3] }, b: { shape: [2, 2] } }, (x) => I.concat([x.a, x.b], 1)],
  [
    'concat three inputs, negative axis, size-1 dims',
    { a: { shape: [1, 3] }, b: { shape: [1, 1] }, c: { shape: [1, 2] } },
    (x) => I.concat([x.a, x.b, x.c], -1),
  ],
  [
    'concat symbolic batch, axis 1',
    { a: { shape: [3, 2], dims: ['batch', 2] }, b: { shape: [3, 4], dims: ['batch', 4] } },
    (x) => I.concat([x.a, x.b], 1),
  ],
  [
    'concat along the symbolic batch axis',
    { a: { shape: [2, 3], dims: ['batch', 3] }, b: { shape: [2, 3], dims: ['batch', 3] } },
    (x) => I.concat([x.a, x.b], 0),
  ],
  [
    'split sizes, outputs reordered',
    { x: { shape: [2, 5] } },
    (x) => {
      const [p, q] = I.split(x.x, [2, 3], 1);
      return I.concat([mul(q, 2), p], 1);
    },
  ],
  ['split with an unused output', { x: { shape: [4, 3] } }, (x) => I.split(x.x, [1, 3], 0)[1]],
  [
    'split equal parts, symbolic batch',
    { x: { shape: [3, 6], dims: ['batch', 6] } },
    (x) => {
      const [p, q, r] = I.split(x.x, 3, 1);
      return mul(mul(p, q), r);
    },
  ],
  ['slice basic', { x: { shape: [4, 5] } }, (x) => I.slice(x.x, [1], [3], [1])],
  [
    'slice negative indices and clamping',
    { x: { shape: [4, 5] } },
    (x) => I.slice(x.x, [-3, 2], [100, -1]),
  ],
  ['slice step 2', { x: { shape: [4, 7] } }, (x) => I.slice(x.x, [1], [-1], [1], [2])],
  [
    'slice step 3 on two axes',
    { x: { shape: [7, 8] } },
    (x) => I.slice(x.x, [0, 2], [7, 8], [0, 1], [3, 3]),
  ],
  [
    'slice negative step -1',
    { x: { shape: [3, 5] } },
    (x) => I.slice(x.x, [-1], [-Infinity], [1], [-1]),
  ],
  ['slice negative step -2', { x: { shape: [3, 6] } }, (x) => I.slice(x.x, [4], [0], [1], [-2])],
  [
    'slice symbolic batch, other axis',
    { x: { shape: [3, 5], dims: ['batch', 5] } },
    (x) => I.slice(x.x, [0, 1], [Infinity, 4]),
  ],
  [
    'slice symbolic batch, step 2 after it',
    { x: { shape: [2, 6, 3], dims: ['batch', 6, 3] } },
    (x) => I.slice(x.x, [1], [6], [1], [2]),
  ],
  ['slice size-1 dims', { x: { shape: [1, 4, 1] } }, (x) => I.slice(x.x, [1], [3], [1])],
  ['pad constant', { x: { shape: [2, 3] } }, (x) => I.pad(x.x, [1, 0, 0, 2])],
  [
    'pad with a value, symbolic batch',
    { x: { shape: [2, 2, 3], dims: ['batch', 2, 3] } },
    (x) => I.pad(x.x, [0, 1, 1, 0, 2, 0], 0.5),
  ],
  ['pad reflect', { x: { shape: [2, 4] } }, (x) => I.pad(x.x, [1, 2, 0, 3], 0, 'reflect')],
  ['tile', { x: { shape: [2, 3] } }, (x) => I.tile(x.x, [2, 1])],
  ['tile size-1 dims', { x: { shape: [2, 1, 3] } }, (x) => I.tile(x.x, [1, 4, 2])],
  [
    'tile symbolic batch',
    { x: { shape: [3, 2, 2], dims: ['batch', 2, 2] } },
    (x) => I.tile(x.x, [1, 2, 3]),
  ],
  [
    'flatten axis 1, symbolic batch',
    { x: { shape: [2, 3, 4], dims: ['batch', 3, 4] } },
    (x) => cube(I.flatten(x.x)),
  ],
  ['flatten axis 2', { x: { shape: [2, 3, 4] } }, (x) => cube(I.flatten(x.x, 2))],
  [
    'gather axis 0, repeated indices',
    { x: { shape: [4, 3] }, i: idx(i64([5], [1, 3, 1, 0, 1])) },
    (x) => I.gather(x.x, x.i, 0),
  ],
  [
    'gather axis 1, 2-D indices',
    { x: { shape: [2, 5, 3] }, i: idx(i64([2, 2], [4, 0, 4, 2])) },
    (x) => I.gather(x.x, x.i, 1),
  ],
  [
    'gather last axis, negative indices',
    { x: { shape: [2, 3, 4] }, i: idx(i64([3], [-1, 0, -1])) },
    (x) => I.gather(x.x, x.i, -1),
  ],
  [
    'gather scalar index, int32',
    { x: { shape: [3, 4] }, i: idx(new Tensor('int32', [], Int32Array.of(2))) },
    (x) => I.gather(x.x, x.i, 1),
  ],
  [
    'gather axis 1, symbolic batch',
    { x: { shape: [3, 5, 2], dims: ['batch', 5, 2] }, i: idx(i64([4], [2, 2, 0, 4])) },
    (x) => I.gather(x.x, x.i, 1),
  ],
  [
    'gatherElements axis 0, duplicates',
    { x: { shape: [3, 4] }, i: idx(i64([2, 4], [0, 2, 2, 1, 0, 0, 2, 1])) },
    (x) => I.gatherElements(x.x, x.i, 0),
  ],
  [
    'gatherElements axis 1, smaller indices',
    { x: { shape: [2, 5] }, i: idx(i64([2, 3], [4, 4, 0, 1, 3, 1])) },
    (x) => I.gatherElements(x.x, x.i, 1),
  ],
  [
    'gatherElements symbolic batch',
    { x: { shape: [3, 4], dims: ['batch', 4] }, i: idx(i64([3, 1], [3, 0, 2]), ['batch', 1]) },
    (x) => I.gatherElements(x.x, x.i, 1),
  ],
  [
    'scatterAdd axis 1, duplicates (x and updates)',
    { x: { shape: [2, 4] }, i: idx(i64([2, 3], [1, 1, 3, 0, 2, 0])), u: { shape: [2, 3] } },
    (x) => I.scatterAdd(x.x, x.i, x.u, 1),
  ],
  [
    'scatterAdd axis 0',
    { x: { shape: [3, 2] }, i: idx(i64([2, 2], [2, 0, 2, 1])), u: { shape: [2, 2] } },
    (x) => I.scatterAdd(x.x, x.i, x.u, 0),
  ],
  [
    'gatherND',
    { x: { shape: [3, 4, 2] }, i: idx(i64([3, 2], [0, 1, 2, 3, 0, 1])) },
    (x) => I.gatherND(x.x, x.i),
  ],
  [
    'scatterNDAdd (x and updates)',
    { x: { shape: [4, 2] }, i: idx(i64([3, 1], [3, 0, 3])), u: { shape: [3, 2] } },
    (x) => I.scatterNDAdd(x.x, x.i, x.u),
  ],
  [
    'embedding, repeated ids, symbolic batch',
    { w: { shape: [5, 3] }, i: idx(i64([2, 3], [4, 1, 4, 0, 4, 1]), ['batch', 3]) },
    (x) => I.embedding(x.w, x.i),
  ],
  [
    'embedding, int32 ids',
    { w: { shape: [4, 2] }, i: idx(i32([3], [3, 3, 0])) },
    (x) => I.embedding(x.w, x.i),
  ],
];

gradcheckCases(() => rt, 'indexing gradients', gradCases);

// Second order: the VJP graphs (split, pad/reshape dilation, scatter/gather pairs) are differentiated again.
const secondOrder: GradcheckCase[] = [
  ['concat', { a: { shape: [2, 3] }, b: { shape: [2, 2] } }, (x) => I.concat([x.a, x.b], 1)],
  ['split', { x: { shape: [2, 5] } }, (x) => I.split(x.x, [2, 3], 1)[1]],
  ['slice step -2', { x: { shape: [3, 6] } }, (x) => I.slice(x.x, [5], [0], [1], [-2])],
  ['pad reflect', { x: { shape: [3, 3] } }, (x) => I.pad(x.x, [1, 1, 0, 2], 0, 'reflect')],
  ['tile', { x: { shape: [2, 3] } }, (x) => I.tile(x.x, [2, 2])],
  [
    'gather axis 1',
    { x: { shape: [2, 4] }, i: idx(i64([3], [3, 1, 3])) },
    (x) => I.gather(x.x, x.i, 1),
  ],
  [
    'gatherElements',
    { x: { shape: [3, 2] }, i: idx(i64([2, 2], [2, 2, 0, 1])) },
    (x) => I.gatherElements(x.x, x.i, 0),
  ],
  [
    'scatterAdd',
    { x: { shape: [2, 3] }, i: idx(i64([2, 2], [2, 2, 0, 1])), u: { shape: [2, 2] } },
    (x) => I.scatterAdd(x.x, x.i, cube(x.u), 1),
  ],
];

gradcheckCases(
  () => rt,
  'indexing second-order gradients',
  secondOrder.map(
    ([name, inputs, f]): GradcheckCase => [
      `grad of ||d sum(${name}(x)^3) / dx||^2`,
      inputs,
      (x) => {
        const wrt = Object.keys(inputs)
          .filter((k) => x[k].dtype === 'float32')
          .map((k) => x[k]);
        return grad(sum(cube(f(x))), wrt)
          .map((d) => sum(square(d)))
          .reduce((p, q) => add(p, q));
      },
    ],
  ),
);

describe('indexing forward values (naive references)', () => {
  it('concat and split', async () => {
    const a = iota([2, 3]);
    const b = new Tensor('float32', [2, 2], Float32Array.of(-1, -2, -3, -4));
    const out = await runGraph(
      rt,
      (g) => {
        const x = g.input('a', 'float32', ['batch', 3]);
        const y = g.input('b', 'float32', ['batch', 2]);
        const [p, q, r] = I.split(x, [1, 0, 2], 1);
        return { c: I.concat([x, y], 1), c0: I.concat([x, x], 0), p, q, r };
      },
      { a, b },
    );
    expectTensor(out.c, [0, 1, 2, -1, -2, 3, 4, 5, -3, -4], [2, 5]);
    expectTensor(out.c0, [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5], [4, 3]);
    expectTensor(out.p, [0, 3], [2, 1]);
    expect(out.q.shape).toEqual([2, 0]);
    expectTensor(out.r, [1, 2, 4, 5], [2, 2]);
  });

  const sliceCases: [string, number[], (x: Value) => Value, number[][]][] = [
    ['cols 1:3', [4, 5], (x) => I.slice(x, [1], [3], [1]), [all(4), [1, 2]]],
    [
      'negative start, clamped end',
      [4, 5],
      (x) => I.slice(x, [-3, 2], [100, -1]),
      [
        [1, 2, 3],
        [2, 3],
      ],
    ],
    ['step 2 from 1 to -1', [2, 7], (x) => I.slice(x, [1], [-1], [1], [2]), [all(2), [1, 3, 5]]],
    [
      'step 3 on two axes',
      [7, 8],
      (x) => I.slice(x, [0, 2], [7, 8], [0, 1], [3, 3]),
      [
        [0, 3, 6],
        [2, 5],
      ],
    ],
    ['reverse', [2, 5], (x) => I.slice(x, [-1], [-Infinity], [1], [-1]), [all(2), [4, 3, 2, 1, 0]]],
    ['step -2 from 4 to 0', [2, 6], (x) => I.slice(x, [4], [0], [1], [-2]), [all(2), [4, 2]]],
    ['empty', [2, 6], (x) => I.slice(x, [4], [2], [1]), [all(2), []]],
  ];
  for (const [name, shape, f, lists] of sliceCases) {
    it(`slice ${name}`, async () => {
      const x = iota(shape);
      const out = await runGraph(rt, (g) => ({ y: f(g.input('x', 'float32', shape)) }), { x });
      expectTensor(
        out.y,
        pick(x.data, shape, lists),
        lists.map((l) => l.length),
      );
    });
  }

  it('slice gradient scatters back (step 2 and step -2)', async () => {
    const out = await runGraph(
      rt,
      (g) => {
        const x = g.input('x', 'float32', ['batch', 6]);
        const [d1] = grad(sum(I.slice(x, [1], [6], [1], [2])), [x]);
        const [d2] = grad(sum(I.slice(x, [5], [0], [1], [-2])), [x]);
        const [d3] = grad(sum(I.slice(x, [4], [-Infinity], [1], [-2])), [x]);
        return { d1, d2, d3 };
      },
      { x: iota([2, 6]) },
    );
    expectTensor(out.d1, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], [2, 6]);
    expectTensor(out.d2, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], [2, 6]);
    expectTensor(out.d3, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0], [2, 6]);
  });

  it('pad constant and reflect', async () => {
    const x = iota([2, 4]);
    const out = await runGraph(
      rt,
      (g) => {
        const v = g.input('x', 'float32', [2, 4]);
        return { c: I.pad(v, [1, 0, 0, 2], 9), r: I.pad(v, [1, 2, 0, 3], 0, 'reflect') };
      },
      { x },
    );
    const c: number[] = [];
    for (let i = -1; i < 2; i++)
      for (let j = 0; j < 6; j++) c.push(i >= 0 && j < 4 ? i * 4 + j : 9);
    expectTensor(out.c, c, [3, 6]);
    expectTensor(
      out.r,
      pick(
        x.data,
        [2, 4],
        [
          [1, 0, 1],
          [2, 1, 0, 1, 2, 3, 2, 1, 0],
        ],
      ),
      [3, 9],
    );
  });

  it('tile and flatten', async () => {
    const x = iota([2, 1, 3]);
    const out = await runGraph(
      rt,
      (g) => {
        const v = g.input('x', 'float32', ['batch', 1, 3]);
        return { t: I.tile(v, [1, 2, 2]), f: I.flatten(v), f0: I.flatten(v, 0) };
      },
      { x },
    );
    const t: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) for (let k = 0; k < 6; k++) t.push(i * 3 + (k % 3));
    expectTensor(out.t, t, [2, 2, 6]);
    expectTensor(out.f, [0, 1, 2, 3, 4, 5], [2, 3]);
    expectTensor(out.f0, [0, 1, 2, 3, 4, 5], [1, 6]);
  });

  it('gather on each axis, negative and int32 indices', async () => {
    const x = iota([2, 5, 3]);
    const out = await runGraph(
      rt,
      (g) => {
        const v = g.input('x', 'float32', [2, 5, 3]);
        return {
          g0: I.gather(v, g.constant(i64([3], [1, 0, 1])), 0),
          g1: I.gather(v, g.constant(i64([2, 2], [4, 0, -1, 2])), 1),
          g2: I.gather(v, g.constant(i32([2], [2, 2])), 2),
        };
      },
      { x },
    );
    expectTensor(out.g0, pick(x.data, [2, 5, 3], [[1, 0, 1], all(5), all(3)]), [3, 5, 3]);
    expectTensor(out.g1, pick(x.data, [2, 5, 3], [all(2), [4, 0, 4, 2], all(3)]), [2, 2, 2, 3]);
    expectTensor(out.g2, pick(x.data, [2, 5, 3], [all(2), all(5), [2, 2]]), [2, 5, 2]);
  });

  it('gatherElements and scatterAdd (duplicates add)', async () => {
    const x = iota([2, 4]);
    const ix = [3, 3, 0, 1, 2, 1];
    const u = [1, 10, 100, 1000, 2000, 3000];
    const out = await runGraph(
      rt,
      (g) => {
        const v = g.input('x', 'float32', [2, 4]);
        const i = g.constant(i64([2, 3], ix));
        return {
          ge: I.gatherElements(v, i, 1),
          sa: I.scatterAdd(v, i, g.constant(Tensor.from([u.slice(0, 3), u.slice(3)])), 1),
        };
      },
      { x },
    );
    const ge = ix.map((c, k) => x.data[Math.floor(k / 3) * 4 + c]);
    const sa = Array.from(x.data);
    ix.forEach((c, k) => {
      sa[Math.floor(k / 3) * 4 + c] += u[k];
    });
    expectTensor(out.ge, ge, [2, 3]);
    expectTensor(out.sa, sa, [2, 4]);
  });

  it('embedding forward, and its weight gradient counts repeated ids', async () => {
    const w = iota([4, 2]);
    const ids = [3, 1, 3, 3, 0, 1];
    const out = await runGraph(
      rt,
      (g) => {
        const wv = g.input('w', 'float32', [4, 2]);
        const iv = g.input('ids', 'int64', ['batch', 3]);
        const e = I.embedding(wv, iv);
        const [dw] = grad(sum(e), [wv]);
        return { e, dw };
      },
      { w, ids: i64([2, 3], ids) },
    );
    expectTensor(
      out.e,
      ids.flatMap((i) => [2 * i, 2 * i + 1]),
      [2, 3, 2],
    );
    const counts = [0, 1, 2, 3].map((r) => ids.filter((i) => i === r).length);
    expectTensor(
      out.dw,
      counts.flatMap((c) => [c, c]),
      [4, 2],
    );
  });

  it('oneHot and arange', async () => {
    const ids = [2, 0, 5, -1];
    const out = await runGraph(
      rt,
      (g) => {
        const iv = g.input('ids', 'int64', ['batch']);
        return { h: I.oneHot(iv, 3), r: I.arange(g, 4, 'float32') };
      },
      { ids: i64([4], ids) },
    );
    expectTensor(
      out.h,
      ids.flatMap((i) => [0, 1, 2].map((k) => (k === i ? 1 : 0))),
      [4, 3],
    );
    expect(out.h.dtype).toBe('float32');
    expectTensor(out.r, [0, 1, 2, 3], [4]);
  });
});

describe('indexing trace-time errors', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 3]);
  const y = g.input('y', 'float32', [4, 5]);
  const ids = g.input('ids', 'int64', [2]);
  const inScope = (f: () => unknown) => () => g.scope('decoder', () => f());

  it('concat of mismatched shapes names both shapes and the axis', () => {
    expect(inScope(() => I.concat([x, y], 1))).toThrow(ShapeError);
    expect(inScope(() => I.concat([x, y], 1))).toThrow(
      'decoder: concat: shapes [batch,3], [4,5] differ outside axis 1',
    );
    expect(() => I.concat([x, ids], 0)).toThrow(DTypeError);
  });
  it('slice with out-of-range or repeated axes', () => {
    expect(inScope(() => I.slice(y, [0], [1], [2]))).toThrow(
      /decoder: slice: bad axes \[2\] for input \[4,5\]/,
    );
    expect(() => I.slice(y, [0, 0], [1, 1], [1, -1])).toThrow(ShapeError);
    expect(() => I.slice(y, [0], [1], [0], [0])).toThrow(/steps \[0\] must be non-zero/);
    expect(() => I.slice(x, [1], [2], [0])).toThrow(/axis 0 of \[batch,3\] is symbolic/);
  });
  it('gather with float indices is a DTypeError', () => {
    expect(inScope(() => I.gather(y, x, 0))).toThrow(DTypeError);
    expect(inScope(() => I.gather(y, x, 0))).toThrow(
      /decoder: gather: got float32\[batch,3\], expected int64 or int32/,
    );
    expect(() => I.gather(y, ids, 2)).toThrow(/gather: axis 2 is out of range for input \[4,5\]/);
    expect(() => I.embedding(x, y)).toThrow(DTypeError);
    expect(() => I.oneHot(x, 3)).toThrow(DTypeError);
  });
  it('split, pad, tile, flatten and scatter shape rules', () => {
    expect(() => I.split(y, [2, 2], 1)).toThrow(
      /split: sizes \[2,2\] do not add up to 5 \(axis 1 of \[4,5\]\)/,
    );
    expect(() => I.split(y, 2, 1)).toThrow(/cannot split axis 1 of \[4,5\] into 2 equal parts/);
    expect(() => I.split(x, 1, 0)).toThrow(/axis 0 of \[batch,3\] is symbolic/);
    expect(() => I.pad(y, [1, 0, 0])).toThrow(/pads \[1,0,0\] for input \[4,5\]; expected 4/);
    expect(() => I.pad(x, [1, 0, 0, 0])).toThrow(/cannot pad symbolic axis 0/);
    expect(() => I.pad(y, [4, 0, 0, 0], 0, 'reflect')).toThrow(/must be < 4/);
    expect(() => I.tile(x, [2, 1])).toThrow(/cannot repeat symbolic axis 0 of \[batch,3\]/);
    expect(() => I.flatten(y, 3)).toThrow(/flatten: axis 3 is out of range/);
    const i2 = g.input('i2', 'int64', [4, 6]);
    expect(() => I.gatherElements(y, i2, 0)).toThrow(/indices \[4,6\] do not fit input \[4,5\]/);
    expect(() => I.scatterAdd(y, g.input('i3', 'int64', [2, 2]), y, 0)).toThrow(
      /updates \[4,5\] must have the shape of indices \[2,2\]/,
    );
    expect(() => I.embedding(ids, ids)).toThrow(
      /embedding: weight \[2\] with ids \[2\]; expected weight \[V, D\]/,
    );
  });
});

// Forward and gradient graphs of every op agree with the CPU provider on WebGPU (SwiftShader in CI).
// This caught ORT 1.30's WebGPU Slice misreading negative-step starts, now avoided in slice().
describe.runIf(webgpuAvailable())('indexing on WebGPU matches CPU', () => {
  const k = (vals: number[]) => i64([vals.length], vals);
  const ops: [string, (x: Value, ids: Value) => Value][] = [
    ['concat', (x) => I.concat([x, mul(x, 2)], 1)],
    ['split', (x) => I.split(x, [1, 3], 1)[1]],
    ['slice steps 2 and -2', (x) => I.slice(x, [1, 3], [4, -5], [0, 1], [2, -2])],
    ['slice step -1', (x) => I.slice(x, [2], [0], [1], [-1])],
    ['pad constant', (x) => I.pad(x, [1, 0, 0, 2], 0.5)],
    ['pad reflect', (x) => I.pad(x, [1, 1, 2, 3], 0, 'reflect')],
    ['tile', (x) => I.tile(x, [2, 3])],
    ['gather axis 1', (x) => I.gather(x, x.graph.constant(k([3, 1, 3])), 1)],
    [
      'gatherElements',
      (x) => I.gatherElements(x, x.graph.constant(i64([2, 4], [1, 3, 1, 0, 1, 1, 2, 3])), 0),
    ],
    ['embedding', (x, ids) => I.embedding(x, ids)],
    ['oneHot', (x, ids) => mul(I.oneHot(ids, 4), I.slice(x, [0], [1]))],
  ];
  for (const [name, f] of ops) {
    it(name, async () => {
      const g = new Graph();
      const x = g.input('x', 'float32', [4, 4]);
      const ids = g.input('ids', 'int64', [5]);
      const y = f(x, ids);
      const outs = { y, dx: grad(sum(cube(y)), [x])[0] };
      const feeds = {
        x: new Tensor(
          'float32',
          [4, 4],
          Float32Array.from({ length: 16 }, (_, j) => Math.sin(j + 1)),
        ),
        ids: k([1, 3, 1, 0, 1]),
      };
      // Only the small int64 index ops feeding ScatterND / Equal (Unsqueeze, Cast) stay on the CPU.
      // tol 5e-6 is expectTensor()'s toBeCloseTo(v, 5).
      await expectCpuWebGpuMatch(rt, g, outs, feeds, {
        tol: 5e-6,
        allowFallback: (node) => /^(Unsqueeze|Cast) /.test(node),
      });
    });
  }
});
