import { beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { DTypeError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import type { Dim } from '../graph/shape.js';
import type { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { expectNear } from '../testing/cases.js';
import { type GradcheckInput, gradcheck } from '../testing/gradcheck.js';
import * as A from './activation.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

/** Normal samples pushed at least 0.1 away from 0, the kink of relu, leakyRelu and elu. */
const awayFromZero = (rng: Rng, n: number): Float32Array =>
  rng.normal(n).map((v) => (v < 0 ? v - 0.1 : v + 0.1));

type Act = (x: Value) => Value;
const acts: [string, Act][] = [
  ['relu', A.relu],
  ['leakyRelu default alpha', (x) => A.leakyRelu(x)],
  ['leakyRelu alpha 0.2', (x) => A.leakyRelu(x, 0.2)],
  ['elu default alpha', (x) => A.elu(x)],
  ['elu alpha 0.5', (x) => A.elu(x, 0.5)],
  ['sigmoid', A.sigmoid],
  ['tanh', A.tanh],
  ['softplus', A.softplus],
  ['silu', A.silu],
  ['erf', A.erf],
  ['gelu erf', (x) => A.gelu(x)],
  ['gelu tanh', (x) => A.gelu(x, 'tanh')],
  ['softmax last axis', (x) => A.softmax(x)],
  ['softmax axis 0', (x) => A.softmax(x, 0)],
  ['logSoftmax last axis', (x) => A.logSoftmax(x)],
  ['logSoftmax axis 0', (x) => A.logSoftmax(x, 0)],
];

const shapes: [string, number[], Dim[] | undefined][] = [
  ['[2,3]', [2, 3], undefined],
  ['size-1 dim [3,1,4]', [3, 1, 4], undefined],
  ['symbolic batch [batch,5]', [4, 5], ['batch', 5]],
];

describe('activation gradients', () => {
  for (const [name, f] of acts) {
    for (const [sname, shape, dims] of shapes) {
      it(`${name} ${sname}`, async () => {
        const r = await gradcheck(rt, { x: { shape, dims, data: awayFromZero } }, (v) => f(v.x));
        expect(r.ok, r.message).toBe(true);
      });
    }
  }
});

describe('activation second-order gradients (grad of grad)', () => {
  for (const [name, f] of acts) {
    for (const [sname, shape, dims] of [shapes[0], shapes[2]]) {
      it(`${name} ${sname}`, async () => {
        const inputs: Record<string, GradcheckInput> = {
          x: { shape, dims, data: awayFromZero },
          w: { shape, dims },
        };
        const r = await gradcheck(rt, inputs, (v) => grad(sum(mul(f(v.x), v.w)), [v.x])[0]);
        expect(r.ok, r.message).toBe(true);
      });
    }
  }

  it('second derivative of sigmoid is nonzero and matches s(1-s)(1-2s)', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3]);
    const [d1] = grad(sum(A.sigmoid(x)), [x]);
    const [d2] = grad(sum(d1), [x]);
    const exe = await rt.compile(g, { d2 });
    const xs = [-1.5, 0.3, 2];
    const out = await exe.runHost({ x: Tensor.from(xs) });
    expectNear(
      out.d2.data as Float32Array,
      xs.map((v) => {
        const s = 1 / (1 + Math.exp(-v));
        return s * (1 - s) * (1 - 2 * s);
      }),
    );
    await exe.dispose();
  });
});

/** erf by its Maclaurin series (plenty accurate in double precision for |x| <= 4). */
function erfRef(x: number): number {
  let term = x;
  let s = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    s += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

const sigmoidRef = (v: number) => 1 / (1 + Math.exp(-v));
const refs: [string, Act, (v: number) => number][] = [
  ['relu', A.relu, (v) => Math.max(v, 0)],
  ['leakyRelu', (x) => A.leakyRelu(x, 0.1), (v) => (v > 0 ? v : 0.1 * v)],
  ['elu', (x) => A.elu(x, 0.7), (v) => (v > 0 ? v : 0.7 * Math.expm1(v))],
  ['sigmoid', A.sigmoid, sigmoidRef],
  ['tanh', A.tanh, Math.tanh],
  ['softplus', A.softplus, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))],
  ['silu', A.silu, (v) => v * sigmoidRef(v)],
  ['erf', A.erf, erfRef],
  ['gelu erf', (x) => A.gelu(x), (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2))],
  [
    'gelu tanh',
    (x) => A.gelu(x, 'tanh'),
    (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  ],
];

describe('activation forward values', () => {
  const xs = [-3.5, -2, -1.2, -0.5, -0.1, 0.05, 0.3, 0.9, 1.7, 3.2];
  for (const [name, f, ref] of refs) {
    it(`${name} matches a JS reference`, async () => {
      const g = new Graph();
      const x = g.input('x', 'float32', ['batch', 5]);
      const exe = await rt.compile(g, { y: f(x) });
      const out = await exe.runHost({ x: new Tensor('float32', [2, 5], Float32Array.from(xs)) });
      expect(out.y.shape).toEqual([2, 5]);
      expectNear(
        out.y.data as Float32Array,
        xs.map((v) => ref(Math.fround(v))),
      );
      await exe.dispose();
    });
  }

  it('softplus, sigmoid and silu stay finite for |x| = 1000', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [4]);
    const exe = await rt.compile(g, { sp: A.softplus(x), s: A.sigmoid(x), si: A.silu(x) });
    const out = await exe.runHost({ x: Tensor.from([1000, -1000, 30, -30]) });
    expectNear(out.sp.data as Float32Array, [1000, 0, 30, 0]);
    expectNear(out.s.data as Float32Array, [1, 0, 1, 0]);
    expectNear(out.si.data as Float32Array, [1000, 0, 30, 0]);
    await exe.dispose();
  });

  it('softmax rows sum to 1 and match a naive softmax, on either axis', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 3]);
    const exe = await rt.compile(g, {
      last: A.softmax(x),
      first: A.softmax(x, 0),
      logLast: A.logSoftmax(x, -1),
    });
    const rows = [
      [0.5, -1, 2],
      [3, 3.5, -0.25],
    ];
    const out = await exe.runHost({ x: Tensor.from(rows) });
    const naiveSoftmax = (r: number[]) => {
      const e = r.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const want = rows.flatMap(naiveSoftmax);
    expectNear(out.last.data as Float32Array, want);
    expectNear(out.logLast.data as Float32Array, want.map(Math.log));
    const last = out.last.toArray();
    expect(Math.abs(last[0] + last[1] + last[2] - 1)).toBeLessThan(1e-6);
    expect(Math.abs(last[3] + last[4] + last[5] - 1)).toBeLessThan(1e-6);
    const cols = [0, 1, 2].map((j) => naiveSoftmax([rows[0][j], rows[1][j]]));
    expectNear(
      out.first.data as Float32Array,
      [0, 1].flatMap((i) => cols.map((c) => c[i])),
    );
    await exe.dispose();
  });

  it('softmax and logSoftmax stay finite for logits of 1000', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const ls = A.logSoftmax(x);
    const [dls] = grad(
      sum(
        mul(
          ls,
          g.constant(
            Tensor.from([
              [1, 0, 0],
              [0, 0, 1],
            ]),
          ),
        ),
      ),
      [x],
    );
    const exe = await rt.compile(g, { s: A.softmax(x), ls, dls });
    const out = await exe.runHost({
      x: Tensor.from([
        [1000, 0, -1000],
        [1000, 1000, 999],
      ]),
    });
    const e = Math.exp(-1);
    const z = 2 + e;
    expectNear(out.s.data as Float32Array, [1, 0, 0, 1 / z, 1 / z, e / z]);
    expectNear(out.ls.data as Float32Array, [
      0,
      -1000,
      -2000,
      -Math.log(z),
      -Math.log(z),
      -1 - Math.log(z),
    ]);
    // d/dx of log_softmax(x)[t] = onehot(t) - softmax(x)
    expectNear(out.dls.data as Float32Array, [0, 0, 0, -1 / z, -1 / z, 1 - e / z]);
    await exe.dispose();
  });
});

describe('activation trace-time errors', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 3]);
  const i = g.input('i', 'int64', ['batch', 3]);

  it('softmax and logSoftmax reject an out-of-range axis, naming op, shape and module path', () => {
    expect(() => g.scope('head', () => A.softmax(x, 2))).toThrow(ShapeError);
    expect(() => g.scope('head', () => A.softmax(x, 2))).toThrow(
      'head: softmax: axis 2 is out of range for input [batch,3] (rank 2)',
    );
    expect(() => A.logSoftmax(x, -3)).toThrow(
      /logSoftmax: axis -3 is out of range for input \[batch,3\]/,
    );
  });

  for (const [name, f] of acts) {
    it(`${name} rejects an int64 input`, () => {
      expect(() => g.scope('mlp', () => f(i))).toThrow(DTypeError);
      expect(() => g.scope('mlp', () => f(i))).toThrow(
        /mlp: \w+: got int64\[batch,3\], expected float32/,
      );
    });
  }

  it('gelu rejects an unknown approximation', () => {
    expect(() => A.gelu(x, 'fast' as 'tanh')).toThrow(
      /gelu: approximate must be 'none' or 'tanh', got 'fast'/,
    );
  });
});

describe('activation gradients at kinks', () => {
  it('softplus has gradient sigmoid(0) = 0.5 at exactly 0', async () => {
    const g = new Graph('softplus0');
    const x = g.input('x', 'float32', [3]);
    const [dx] = grad(sum(A.softplus(x)), [x]);
    const exe = await rt.compile(g, { dx });
    const out = await exe.runHost({ x: Tensor.from([0, 30, -30]) });
    expect(out.dx.toArray()[0]).toBe(0.5);
    expect(out.dx.toArray()[1]).toBeCloseTo(1, 6);
    expect(out.dx.toArray()[2]).toBeCloseTo(0, 6);
  });
});
