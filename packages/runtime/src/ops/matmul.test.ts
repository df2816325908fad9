import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import { Tensor } from '../tensor.js';
import { type GradcheckInput, gradcheck } from '../testing/gradcheck.js';
import { linear, matmul } from './matmul.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const matmulCases: [string, Record<string, GradcheckInput>][] = [
  ['2-D', { a: { shape: [3, 4] }, b: { shape: [4, 5] } }],
  ['batched', { a: { shape: [2, 3, 4] }, b: { shape: [2, 4, 5] } }],
  ['broadcast batch', { a: { shape: [2, 3, 4] }, b: { shape: [4, 5] } }],
  ['size-1 batch dims', { a: { shape: [2, 1, 3, 4] }, b: { shape: [1, 3, 4, 2] } }],
  ['symbolic batch', { a: { shape: [3, 4], dims: ['batch', 4] }, b: { shape: [4, 2] } }],
  [
    'rank-4 symbolic batch times a matrix (weight gradient as one GEMM)',
    { a: { shape: [2, 3, 2, 4], dims: ['batch', 3, 2, 4] }, b: { shape: [4, 3] } },
  ],
];

describe('matmul gradients', () => {
  for (const [name, inputs] of matmulCases) {
    it(`matmul ${name}`, async () => {
      const r = await gradcheck(rt, inputs, (x) => matmul(x.a, x.b));
      expect(r.ok, r.message).toBe(true);
    });
  }
  it('linear (Gemm) with bias', async () => {
    const r = await gradcheck(
      rt,
      { x: { shape: [3, 4], dims: ['batch', 4] }, w: { shape: [5, 4] }, b: { shape: [5] } },
      (x) => linear(x.x, x.w, x.b),
    );
    expect(r.ok, r.message).toBe(true);
  });
  it('linear on rank-3 input', async () => {
    const r = await gradcheck(
      rt,
      { x: { shape: [2, 3, 4] }, w: { shape: [5, 4] }, b: { shape: [5] } },
      (x) => linear(x.x, x.w, x.b),
    );
    expect(r.ok, r.message).toBe(true);
  });
  it('linear without bias', async () => {
    const r = await gradcheck(rt, { x: { shape: [3, 4] }, w: { shape: [2, 4] } }, (x) =>
      linear(x.x, x.w),
    );
    expect(r.ok, r.message).toBe(true);
  });
});

describe('matmul forward', () => {
  it('matches a naive product, PyTorch Linear layout', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 3]);
    const w = g.input('w', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [2]);
    const exe = await rt.compile(g, {
      y: linear(x, w, b),
      z: matmul(
        x,
        g.constant(
          Tensor.from([
            [1, 0],
            [0, 1],
            [1, 1],
          ]),
        ),
      ),
    });
    const out = await exe.runHost({
      x: Tensor.from([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      w: Tensor.from([
        [1, 0, -1],
        [0.5, 0.5, 0.5],
      ]),
      b: Tensor.from([10, 20]),
    });
    expect(out.y.shape).toEqual([2, 2]);
    expect(out.y.toArray()).toEqual([8, 23, 8, 27.5]);
    expect(out.z.toArray()).toEqual([4, 5, 10, 11]);
  });
});
