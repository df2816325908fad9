import { beforeAll, describe, expect, it } from 'vitest';
import { GraphError, NotDifferentiableError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, primitive, type Value } from '../graph/graph.js';
import { gelu, relu, sigmoid, tanh } from '../ops/activation.js';
import { emit1 } from '../ops/core.js';
import { add, cast, exp, mul, square, stopGradient } from '../ops/elementwise.js';
import { linear } from '../ops/matmul.js';
import { mean, sum } from '../ops/reduce.js';
import { Tensor } from '../tensor.js';
import { gradcheck } from '../testing/gradcheck.js';
import { grad, vjp } from './grad.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const mlpInputs = {
  x: { shape: [4, 3], dims: ['batch', 3] },
  w1: { shape: [5, 3] },
  b1: { shape: [5] },
  w2: { shape: [2, 5] },
  b2: { shape: [2] },
} as const;

function mlpLoss(x: Record<string, Value>, act: (v: Value) => Value): Value {
  const h = act(linear(x.x, x.w1, x.b1));
  return mean(square(linear(h, x.w2, x.b2)));
}

describe('second-order gradients', () => {
  for (const [name, act] of [
    ['tanh', tanh],
    ['sigmoid', sigmoid],
    ['gelu', (v: Value) => gelu(v)],
    ['relu', relu],
  ] as const) {
    it(`grad of ||d loss / d x||^2 for a small ${name} MLP matches finite differences`, async () => {
      const r = await gradcheck(rt, mlpInputs, (x) => {
        const [dx] = grad(mlpLoss(x, act), [x.x]);
        return sum(square(dx));
      });
      expect(r.ok, r.message).toBe(true);
    });
  }
});

describe('grad and vjp', () => {
  it('accumulates fan-out: d/dx of x*x + x = 2x + 1', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3]);
    const [dx] = grad(sum(add(mul(x, x), x)), [x]);
    const exe = await rt.compile(g, { dx });
    const out = await exe.runHost({ x: Tensor.from([1, 2, -3]) });
    expect(out.dx.toArray()).toEqual([3, 5, -5]);
  });

  it('stopGradient blocks the flow; unconnected wrt gets zeros', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2]);
    const y = g.input('y', 'float32', [2]);
    const [dx, dy] = grad(sum(mul(x, stopGradient(x))), [x, y]);
    const exe = await rt.compile(g, { dx, dy });
    const out = await exe.runHost({ x: Tensor.from([2, 3]), y: Tensor.from([1, 1]) });
    expect(out.dx.toArray()).toEqual([2, 3]);
    expect(out.dy.toArray()).toEqual([0, 0]);
  });

  it('no gradient flows into integer tensors, and wrt must be float', () => {
    const g = new Graph();
    const i = g.input('i', 'int64', [2]);
    const x = g.input('x', 'float32', [2]);
    const [dx] = grad(sum(mul(x, cast(i, 'float32'))), [x]);
    expect(dx.shape).toEqual([2]);
    expect(() => grad(sum(x), [i])).toThrow(GraphError);
  });

  it('a primitive without a VJP rule throws, naming op and module path', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2]);
    const erfP = primitive('Erf');
    const y = g.scope('block', () => emit1(g, erfP, [x], { dtype: 'float32', shape: [2] }));
    expect(() => grad(sum(y), [x])).toThrow(NotDifferentiableError);
    expect(() => grad(sum(y), [x])).toThrow('block: Erf: no gradient rule for input 0');
  });

  it('grad requires a scalar loss; vjp takes matching cotangents', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 2]);
    expect(() => grad(exp(x), [x])).toThrow(ShapeError);
    const u = g.input('u', 'float32', [2, 2]);
    const [dx] = vjp([exp(x)], [u], [x]);
    expect(() => vjp([exp(x)], [g.input('v', 'float32', [2])], [x])).toThrow(
      'cotangent [2] does not match output [2,2]',
    );
    const exe = await rt.compile(g, { dx });
    const out = await exe.runHost({
      x: Tensor.from([
        [0, 0],
        [0, 0],
      ]),
      u: Tensor.from([
        [1, 2],
        [3, 4],
      ]),
      v: Tensor.from([0, 0]),
    });
    expect(out.dx.toArray()).toEqual([1, 2, 3, 4]);
  });
});
