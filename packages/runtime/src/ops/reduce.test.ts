import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { DTypeError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import type { Dim } from '../graph/shape.js';
import type { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { expectNear } from '../testing/cases.js';
import { gradcheck } from '../testing/gradcheck.js';
import { mul } from './elementwise.js';
import { argmax, argmin, logSumExp, max, mean, min, sum, variance } from './reduce.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

type Axes = number | number[] | undefined;
type Reducer = (x: Value, axes?: number | readonly number[], keepdims?: boolean) => Value;

/** Distinct values 0.3 apart in random order: no ties, and no argmax switch under a 1e-3 perturbation. */
const distinct = (rng: Rng, n: number): Float32Array => {
  const v = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.3);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextUint32() % (i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
};

const reducers: [string, Reducer, boolean][] = [
  ['sum', sum, false],
  ['mean', mean, false],
  ['max', max, true],
  ['min', min, true],
  ['logSumExp', logSumExp, false],
  ['variance', variance, false],
  ['variance (correction 1)', (x, a, k) => variance(x, a, k, 1), false],
];

// [case name, data shape, traced dims, axes, keepdims]
const axisCases: [string, number[], Dim[] | undefined, Axes, boolean][] = [
  ['single axis', [3, 4], undefined, 1, false],
  ['single axis keepdims', [3, 4], undefined, 0, true],
  ['several axes', [2, 3, 4], undefined, [0, 2], false],
  ['several axes keepdims', [2, 3, 4], undefined, [2, 0], true],
  ['negative axis', [2, 3, 4], undefined, -1, false],
  ['all axes', [3, 4], undefined, undefined, false],
  ['all axes keepdims', [2, 3], undefined, undefined, true],
  ['size-1 dim', [3, 1, 4], undefined, [1, 2], false],
  ['symbolic batch reduced over', [4, 3], ['batch', 3], 0, false],
  ['symbolic batch kept', [4, 3, 2], ['batch', 3, 2], [-1, 1], true],
];

describe('reduction gradients', () => {
  for (const [op, f, needsDistinct] of reducers) {
    for (const [name, shape, dims, axes, keepdims] of axisCases) {
      it(`${op} ${name} (axes ${JSON.stringify(axes)}, keepdims ${keepdims})`, async () => {
        const r = await gradcheck(
          rt,
          { x: { shape, dims, data: needsDistinct ? distinct : undefined } },
          (v) => f(v.x, axes, keepdims),
        );
        expect(r.ok, r.message).toBe(true);
      });
    }
  }
});

/** Naive reduction of a row-major array over `axes` (sorted, normalized), keepdims layout-free. */
function naive(
  data: ArrayLike<number>,
  shape: number[],
  axes: number[],
  fn: (xs: number[]) => number,
): number[] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < data.length; flat++) {
    let rem = flat;
    for (let i = shape.length - 1; i >= 0; i--) {
      idx[i] = rem % shape[i];
      rem = Math.floor(rem / shape[i]);
    }
    let key = 0;
    for (let i = 0; i < shape.length; i++)
      key = key * outShape[i] + (axes.includes(i) ? 0 : idx[i]);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(data[flat]);
  }
  return [...groups.keys()].sort((a, b) => a - b).map((k) => fn(groups.get(k)!));
}

const jsSum = (xs: number[]) => xs.reduce((s, v) => s + v, 0);
const jsMean = (xs: number[]) => jsSum(xs) / xs.length;
const jsVar = (c: number) => (xs: number[]) => {
  const m = jsMean(xs);
  return xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - c);
};
const jsLse = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, v) => s + Math.exp(v - m), 0));
};

const forwardOps: [string, Reducer, (xs: number[]) => number][] = [
  ['sum', sum, jsSum],
  ['mean', mean, jsMean],
  ['max', max, (xs) => Math.max(...xs)],
  ['min', min, (xs) => Math.min(...xs)],
  ['logSumExp', logSumExp, jsLse],
  ['variance', variance, jsVar(0)],
  ['variance (correction 1)', (x, a, k) => variance(x, a, k, 1), jsVar(1)],
];

const forwardCases: [string, number[], Dim[], number[]][] = [
  ['axis 1', [3, 4], [3, 4], [1]],
  ['axes [0, 2]', [2, 3, 4], [2, 3, 4], [0, 2]],
  ['all axes', [2, 3, 2], [2, 3, 2], [0, 1, 2]],
  ['symbolic batch over axis 0', [5, 3], ['batch', 3], [0]],
];

describe('reduction forward values', () => {
  for (const [op, f, ref] of forwardOps) {
    for (const [name, shape, dims, axes] of forwardCases) {
      it(`${op} ${name} matches a naive loop`, async () => {
        const g = new Graph();
        const x = g.input('x', 'float32', dims);
        const exe = await rt.compile(g, { y: f(x, axes), yk: f(x, axes, true) });
        const n = shape.reduce((p, d) => p * d, 1);
        const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2 + i * 0.01);
        const out = await exe.runHost({ x: new Tensor('float32', shape, data) });
        const want = naive(data, shape, axes, ref);
        expect(out.y.shape).toEqual(shape.filter((_, i) => !axes.includes(i)));
        expect(out.yk.shape).toEqual(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
        expectNear(out.y.data as Float32Array, want);
        expectNear(out.yk.data as Float32Array, want);
        await exe.dispose();
      });
    }
  }

  it('mean of a symbolic batch divides by the runtime count', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 2]);
    const exe = await rt.compile(g, { m: mean(x, 0), v: variance(x, 0, false, 1) });
    const a = await exe.runHost({
      x: Tensor.from([
        [1, 10],
        [3, 20],
      ]),
    });
    expect(a.m.toArray()).toEqual([2, 15]);
    expect(a.v.toArray()).toEqual([2, 50]);
    const b = await exe.runHost({
      x: Tensor.from([
        [1, 10],
        [3, 20],
        [8, 0],
        [0, 2],
      ]),
    });
    expect(b.m.toArray()).toEqual([3, 8]);
    await exe.dispose();
  });

  it('logSumExp stays finite for large inputs and its gradient is the softmax', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3, 2]);
    const y = logSumExp(x, -1);
    const [dx] = grad(sum(y), [x]);
    const exe = await rt.compile(g, { y, dx });
    const out = await exe.runHost({
      x: Tensor.from([
        [1000, 1000],
        [1000, 0],
        [-1000, -1001],
      ]),
    });
    expectNear(out.y.data as Float32Array, [
      1000 + Math.LN2,
      1000,
      -1000 + Math.log1p(Math.exp(-1)),
    ]);
    const s = 1 / (1 + Math.exp(-1));
    expectNear(out.dx.data as Float32Array, [0.5, 0.5, 1, 0, s, 1 - s]);
    await exe.dispose();
  });

  it('max and min split the gradient among ties', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.constant(Tensor.from([2, 4]));
    const [dmax] = grad(sum(mul(max(x, 1), w)), [x]);
    const [dmin] = grad(sum(min(x)), [x]);
    const exe = await rt.compile(g, { dmax, dmin });
    const out = await exe.runHost({
      x: Tensor.from([
        [1, 3, 3],
        [5, -1, -1],
      ]),
    });
    expect(out.dmax.toArray()).toEqual([0, 1, 1, 4, 0, 0]);
    expect(out.dmin.toArray()).toEqual([0, 0, 0, 0, 0.5, 0.5]);
    await exe.dispose();
  });

  it('argmax and argmin give int64 indices', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 3]);
    const exe = await rt.compile(g, { amax: argmax(x), amin: argmin(x, 0, true) });
    const out = await exe.runHost({
      x: Tensor.from([
        [1, 7, 3],
        [9, -1, 2],
      ]),
    });
    expect(out.amax.dtype).toBe('int64');
    expect(out.amax.toArray()).toEqual([1, 0]);
    expect(out.amin.shape).toEqual([1, 3]);
    expect(out.amin.toArray()).toEqual([0, 1, 1]);
    await exe.dispose();
  });
});

describe('reduction trace-time errors', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 3]);

  const badAxes: [string, () => Value, RegExp][] = [
    [
      'max axis out of range',
      () => max(x, 2),
      /encoder: max: bad axes \[2\] for input \[batch,3\]/,
    ],
    [
      'min repeated axis',
      () => min(x, [1, -1]),
      /encoder: min: bad axes \[1,-1\] for input \[batch,3\]/,
    ],
    [
      'logSumExp axis out of range',
      () => logSumExp(x, -3),
      /encoder: logSumExp: bad axes \[-3\] for input \[batch,3\]/,
    ],
    [
      'variance axis out of range',
      () => variance(x, [0, 5]),
      /encoder: variance: bad axes \[0,5\] for input \[batch,3\]/,
    ],
    ['sum axis out of range', () => sum(x, 2), /encoder: sum: bad axes \[2\]/],
    ['mean non-integer axis', () => mean(x, 0.5), /encoder: mean: bad axes \[0.5\]/],
    ['argmax axis out of range', () => argmax(x, 3), /encoder: argmax: bad axes \[3\]/],
  ];
  for (const [name, f, msg] of badAxes) {
    it(name, () => {
      expect(() => g.scope('encoder', f)).toThrow(ShapeError);
      expect(() => g.scope('encoder', f)).toThrow(msg);
    });
  }

  it('variance with too few elements for the correction', () => {
    const y = g.input('y', 'float32', [1, 3]);
    expect(() => variance(y, 0, false, 1)).toThrow(
      /variance: reducing 1 element\(s\) of \[1,3\] over axes \[0\] with correction 1/,
    );
  });

  it('logSumExp and variance need a float input', () => {
    const i = g.input('i', 'int64', [3]);
    expect(() => logSumExp(i)).toThrow(DTypeError);
    expect(() => variance(i)).toThrow(/variance: got int64\[3\], expected float32/);
    expect(() => max(g.input('b', 'bool', [2]))).toThrow(/max: got bool\[2\]/);
  });
});
