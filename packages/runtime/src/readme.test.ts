import { describe, expect, it } from 'vitest';
import { Graph, grad, ops, Runtime, Tensor } from './index.js';

// The root README's "A first look" snippet, kept runnable.
describe('README example', () => {
  it('traces, differentiates and runs a linear least-squares loss', async () => {
    const g = new Graph('demo');
    const x = g.input('x', 'float32', ['batch', 3]);
    const w = g.input('w', 'float32', [2, 3]);
    const loss = ops.mean(ops.square(ops.linear(x, w)));
    const [dw] = grad(loss, [w]);
    const rt = await Runtime.create({ device: 'cpu' });
    const exe = await rt.compile(g, { loss, dw });
    const out = await exe.runHost({ x: Tensor.from([[1, 2, 3]]), w: Tensor.full([2, 3], 0.1) });
    // y = [0.6, 0.6]; loss = mean(y^2) = 0.36; dW = (2 y / 2) x^T = 0.6 * [1, 2, 3] per row.
    expect(out.loss.item()).toBeCloseTo(0.36, 6);
    const dwv = out.dw.toArray();
    for (const [i, v] of [0.6, 1.2, 1.8, 0.6, 1.2, 1.8].entries()) expect(dwv[i]).toBeCloseTo(v, 6);
  });
});
