import { beforeAll, describe, expect, it } from 'vitest';
import { DTypeError, GraphError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import type { Dim } from '../graph/shape.js';
import { add, mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Rng } from '../rng.js';
import { sizeOf, Tensor } from '../tensor.js';
import { gradcheck } from '../testing/gradcheck.js';
import { clipGradNorm } from './clip.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

interface GradCase {
  shape: number[];
  dims?: Dim[];
  data: Float32Array;
}

/** Clip in the graph; returns the norm and the clipped gradients as flat arrays. */
async function clipInGraph(gs: GradCase[], maxNorm: number) {
  const g = new Graph('clip');
  const vals = gs.map((c, i) => g.input(`g${i}`, 'float32', c.dims ?? c.shape));
  const c = clipGradNorm(vals, maxNorm);
  const exe = await rt.compile(g, {
    norm: c.norm,
    ...Object.fromEntries(c.grads.map((v, i) => [`c${i}`, v])),
  });
  const r = await exe.runHost(
    Object.fromEntries(gs.map((x, i) => [`g${i}`, new Tensor('float32', x.shape, x.data)])),
  );
  await exe.dispose();
  expect(r.norm.shape).toEqual([]);
  return { norm: r.norm.item(), grads: gs.map((_, i) => r[`c${i}`].toArray()) };
}

/** torch.nn.utils.clip_grad_norm_ in float64. */
function reference(gs: GradCase[], maxNorm: number) {
  const norm = Math.sqrt(gs.reduce((s, c) => s + c.data.reduce((a, x) => a + x * x, 0), 0));
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  return { norm, grads: gs.map((c) => Array.from(c.data, (x) => x * scale)) };
}

const rand = (seed: number, shape: number[], dims?: Dim[]): GradCase => ({
  shape,
  dims,
  data: new Rng(seed).normal(sizeOf(shape)),
});

describe('clipGradNorm matches torch.nn.utils.clip_grad_norm_ to 1e-6', () => {
  const cases: [string, GradCase[], number][] = [
    [
      '[3,4] norm 5 clipped to 1',
      [
        { shape: [2], data: Float32Array.of(3, 0) },
        { shape: [2], data: Float32Array.of(0, 4) },
      ],
      1,
    ],
    ['[2,3] + [4] + [1,1] clipped to 0.5', [rand(1, [2, 3]), rand(2, [4]), rand(3, [1, 1])], 0.5],
    [
      '[2,3] + [4] + [1,1] under maxNorm 100',
      [rand(1, [2, 3]), rand(2, [4]), rand(3, [1, 1])],
      100,
    ],
    ['symbolic [batch,3] + [5] clipped to 1', [rand(4, [4, 3], ['batch', 3]), rand(5, [5])], 1],
    ['one scalar [] clipped to 0.1', [{ shape: [], data: Float32Array.of(-2) }], 0.1],
  ];
  for (const [name, gs, maxNorm] of cases) {
    it(name, async () => {
      const got = await clipInGraph(gs, maxNorm);
      const want = reference(gs, maxNorm);
      expect(Math.abs(got.norm - want.norm)).toBeLessThanOrEqual(1e-6 * Math.max(1, want.norm));
      want.grads.forEach((row, i) => {
        row.forEach((x, j) => {
          const err = Math.abs(got.grads[i][j] - x);
          expect(err, `grad ${i}[${j}]: ${got.grads[i][j]} vs ${x}`).toBeLessThanOrEqual(1e-6);
        });
      });
    });
  }
  it('hand-computed: [3, 0], [0, 4] -> norm 5, grads * 1 / (5 + 1e-6)', async () => {
    const got = await clipInGraph(cases[0][1], 1);
    expect(got.norm).toBe(5);
    expect(got.grads[0][0]).toBeCloseTo(0.6, 6);
    expect(got.grads[1][1]).toBeCloseTo(0.8, 6);
    expect(Math.hypot(...got.grads.flat())).toBeCloseTo(1, 6);
  });
  it('leaves gradients under the limit bit-identical', async () => {
    const got = await clipInGraph([{ shape: [2], data: Float32Array.of(0.3, 0.4) }], 1);
    expect(got.grads[0]).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
});

describe('clipGradNorm is differentiable (gradcheck, clipping active)', () => {
  const shapes: [string, number[], Dim[] | undefined][] = [
    ['[3]', [3], undefined],
    ['[2,3]', [2, 3], undefined],
    ['size-1 dims [1,3,1]', [1, 3, 1], undefined],
    ['symbolic [batch,3]', [2, 3], ['batch', 3]],
  ];
  for (const [name, shape, dims] of shapes) {
    it(`clipGradNorm ${name} with a [4] second gradient`, async () => {
      const r = await gradcheck(rt, { a: { shape, dims }, b: { shape: [4] } }, (x) => {
        const c = clipGradNorm([x.a, x.b], 0.5);
        // Mix both clipped gradients and the norm into one output of a's shape.
        return add(add(c.grads[0], sum(mul(c.grads[1], c.grads[1]))), c.norm);
      });
      expect(r.ok, r.message).toBe(true);
    });
  }
});

describe('clipGradNorm errors', () => {
  it('no gradients is a GraphError; maxNorm <= 0 a RangeError; int64 a DTypeError', () => {
    expect(() => clipGradNorm([], 1)).toThrow(GraphError);
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [2]);
    expect(() => g.scope('train', () => clipGradNorm([x], 0))).toThrow(
      'train: clipGradNorm: maxNorm must be a finite number > 0, got 0',
    );
    const i = g.input('i', 'int64', [2]);
    expect(() => clipGradNorm([x, i], 1)).toThrow(DTypeError);
    expect(() => clipGradNorm([x, i], 1)).toThrow('clipGradNorm: got int64[2], expected float32');
  });
});
