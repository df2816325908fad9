import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import { sizeOf, Tensor } from '../tensor.js';
import { expectTensor, type GradcheckCase, gradcheckCases, runGraph } from '../testing/cases.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';
import * as S from './shape.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const iota = (shape: number[]) =>
  new Tensor(
    'float32',
    shape,
    Float32Array.from({ length: sizeOf(shape) }, (_, i) => i),
  );
// gradcheck contracts the output with a random u, so a VJP that routes an entry to the wrong
// place fails even for these linear ops; no extra nonlinearity is needed (and in float32 it
// only adds finite-difference noise).

const gradCases: GradcheckCase[] = [
  ['reshape static', { x: { shape: [2, 6] } }, (x) => S.reshape(x.x, [3, 4])],
  ['reshape with -1', { x: { shape: [2, 3, 4] } }, (x) => S.reshape(x.x, [-1, 4])],
  [
    'reshape symbolic batch',
    { x: { shape: [3, 2, 4], dims: ['batch', 2, 4] } },
    (x) => S.reshape(x.x, ['batch', 8]),
  ],
  [
    'reshape symbolic batch with -1',
    { x: { shape: [3, 2, 4], dims: ['batch', 2, 4] } },
    (x) => S.reshape(x.x, ['batch', -1, 2]),
  ],
  [
    'reshape merging the symbolic batch (-1)',
    { x: { shape: [3, 2, 4], dims: ['batch', 2, 4] } },
    (x) => S.reshape(x.x, [-1, 4]),
  ],
  [
    'reshapeLike symbolic',
    {
      x: { shape: [3, 4], dims: ['batch', 4] },
      y: { shape: [3, 2, 2], dims: ['batch', 2, 2], check: false },
    },
    (x) => S.reshapeLike(x.x, x.y),
  ],
  ['expand static', { x: { shape: [3, 1] } }, (x) => S.expand(x.x, [2, 3, 4])],
  [
    'expand bidirectional size-1 dims',
    { x: { shape: [1, 4, 1] } },
    (x) => S.expand(x.x, [3, 1, 2]),
  ],
  [
    'expandAs symbolic batch',
    { x: { shape: [1, 4] }, y: { shape: [3, 4], dims: ['batch', 4], check: false } },
    (x) => mul(S.expandAs(x.x, x.y), x.y),
  ],
  [
    'expandAs adding leading axes',
    { x: { shape: [4] }, y: { shape: [2, 3, 4], check: false } },
    (x) => mul(S.expandAs(x.x, x.y), x.y),
  ],
  ['squeeze given axes', { x: { shape: [1, 3, 1, 2] } }, (x) => S.squeeze(x.x, [0, -2])],
  [
    'squeeze all size-1 axes, symbolic batch',
    { x: { shape: [3, 1, 2], dims: ['batch', 1, 2] } },
    (x) => S.squeeze(x.x),
  ],
  [
    'unsqueeze negative axes, symbolic batch',
    { x: { shape: [3, 2], dims: ['batch', 2] } },
    (x) => S.unsqueeze(x.x, [-1, 1]),
  ],
  ['transpose reverse', { x: { shape: [2, 3, 4] } }, (x) => S.transpose(x.x)],
  [
    'transpose perm, symbolic batch',
    { x: { shape: [3, 2, 4], dims: ['batch', 2, 4] } },
    (x) => S.transpose(x.x, [2, 0, 1]),
  ],
  ['transposeLast2', { x: { shape: [2, 1, 3] } }, (x) => S.transposeLast2(x.x)],
  [
    'sumToShape leading and size-1 axes',
    { g: { shape: [2, 3, 4] }, t: { shape: [3, 1], check: false } },
    (x) => S.sumToShape(x.g, x.t),
  ],
  [
    'sumToShape over a symbolic batch',
    { g: { shape: [3, 4], dims: ['batch', 4] }, t: { shape: [4], check: false } },
    (x) => S.sumToShape(x.g, x.t),
  ],
];

gradcheckCases(() => rt, 'shape op gradients', gradCases);

describe('shape op forward values (naive references)', () => {
  it('reshape, squeeze and unsqueeze keep row-major order; symbolic dims resolve at run time', async () => {
    const x = iota([3, 2, 4]);
    const flat = Array.from(x.data);
    const out = await runGraph(
      rt,
      (g) => {
        const v = g.input('x', 'float32', ['batch', 2, 4]);
        const r = S.reshape(v, ['batch', -1]);
        expect(r.shape).toEqual(['batch', 8]);
        const m = S.reshape(v, [-1, 4]);
        expect(m.shape).toEqual(['batch*2', 4]);
        const u = S.unsqueeze(v, [0, -1]);
        expect(u.shape).toEqual([1, 'batch', 2, 4, 1]);
        return { r, m, u, s: S.squeeze(u), shape: S.shapeOf(v) };
      },
      { x },
    );
    expectTensor(out.r, flat, [3, 8]);
    expectTensor(out.m, flat, [6, 4]);
    expectTensor(out.u, flat, [1, 3, 2, 4, 1]);
    expectTensor(out.s, flat, [3, 2, 4]);
    expect(out.shape.toArray()).toEqual([3, 2, 4]);
  });

  it('transpose matches a naive permutation', async () => {
    const x = iota([2, 3, 4]);
    const out = await runGraph(
      rt,
      (g) => ({ y: S.transpose(g.input('x', 'float32', [2, 3, 4]), [2, 0, 1]) }),
      { x },
    );
    const want: number[] = [];
    for (let k = 0; k < 4; k++)
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(x.data[i * 12 + j * 4 + k]);
    expectTensor(out.y, want, [4, 2, 3]);
  });

  it('expand and expandAs broadcast like NumPy', async () => {
    const x = iota([3, 1]);
    const out = await runGraph(
      rt,
      (g) => {
        const v = g.input('x', 'float32', [3, 1]);
        const like = g.input('like', 'float32', ['batch', 3, 2]);
        return { e: S.expand(v, [2, 3, 2]), a: S.expandAs(v, like) };
      },
      { x, like: Tensor.zeros([2, 3, 2]) },
    );
    const want = [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2];
    expectTensor(out.e, want, [2, 3, 2]);
    expectTensor(out.a, want, [2, 3, 2]);
  });

  it('sumToShape sums broadcast axes; reshape gradient is the inverse reshape', async () => {
    const gv = iota([2, 3, 4]);
    const out = await runGraph(
      rt,
      (g) => {
        const x = g.input('g', 'float32', [2, 3, 4]);
        const t = g.input('t', 'float32', [3, 1]);
        const w = g.input('w', 'float32', ['batch', 6]);
        const [dw] = grad(sum(mul(S.reshape(w, ['batch', 2, 3]), g.constant(iota([2, 3])))), [w]);
        return { s: S.sumToShape(x, t), dw };
      },
      { g: gv, t: Tensor.zeros([3, 1]), w: Tensor.zeros([2, 6]) },
    );
    const want = [0, 1, 2].map((j) => {
      let s = 0;
      for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) s += gv.data[i * 12 + j * 4 + k];
      return s;
    });
    expectTensor(out.s, want, [3, 1]);
    expectTensor(out.dw, [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5], [2, 6]);
  });
});

describe('shape op trace-time errors', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 2, 3]);
  const y = g.input('y', 'float32', [2, 3]);
  const at = (f: () => unknown) => () => g.scope('enc', () => g.scope('proj', f));

  it('reshape names both shapes', () => {
    expect(at(() => S.reshape(y, [4, 2]))).toThrow(ShapeError);
    expect(at(() => S.reshape(y, [4, 2]))).toThrow(
      'enc.proj: reshape: cannot reshape [2,3] to [4,2] (element counts differ)',
    );
    expect(() => S.reshape(y, [-1, -1])).toThrow(/at most one -1 in target \[-1,-1\]/);
    expect(() => S.reshape(y, [-1, 4])).toThrow(/cannot reshape \[2,3\] to \[-1,4\]/);
    expect(() => S.reshape(x, ['time', 6])).toThrow(/cannot reshape \[batch,2,3\] to \[time,6\]/);
    expect(() => S.reshape(x, [6, 'batch'])).toThrow(
      /symbolic dim 'batch' must stay at axis 1 \(input \[batch,2,3\]\)/,
    );
  });
  it('expand and expandAs', () => {
    expect(at(() => S.expand(y, [4, 3, 4]))).toThrow(
      'enc.proj: expand: cannot broadcast [2,3] to [4,3,4]',
    );
    expect(() => S.expandAs(x, y)).toThrow(/expand: cannot broadcast \[batch,2,3\] to \[2,3\]/);
  });
  it('squeeze, unsqueeze and transpose axes', () => {
    expect(at(() => S.squeeze(y, 0))).toThrow('enc.proj: squeeze: axis 0 of [2,3] is not 1');
    expect(() => S.squeeze(y, 2)).toThrow(/squeeze: bad axes \[2\] for rank 2 \(input \[2,3\]\)/);
    expect(() => S.unsqueeze(y, [0, 0])).toThrow(/unsqueeze: bad axes \[0,0\] for rank 4/);
    expect(() => S.unsqueeze(y, 3)).toThrow(/unsqueeze: bad axes \[3\] for rank 3/);
    expect(at(() => S.transpose(x, [0, 0, 1]))).toThrow(
      'enc.proj: transpose: perm [0,0,1] is not a permutation of the axes of [batch,2,3]',
    );
    expect(() => S.transpose(x, [0, 1])).toThrow(ShapeError);
    expect(() => S.transpose(x, [3, 1, 0])).toThrow(ShapeError);
  });
});
