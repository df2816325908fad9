import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { bindModule, compileModule, gradcheckModule } from '../testing/module.js';
import { Flatten, Upsample } from './reshaping.js';
import { withTrace } from './trace.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

function shapeOf(m: Flatten | Upsample, shape: (number | string)[]) {
  const g = new Graph('shape');
  const x = g.input('x', 'float32', shape);
  return withTrace(bindModule(m, g, {}, false), () => m.call(x)).shape;
}

describe('Flatten', () => {
  it('merges axes startDim..endDim (PyTorch defaults 1 and -1), keeping a symbolic batch', () => {
    expect(shapeOf(new Flatten(), ['batch', 16, 7, 7])).toEqual(['batch', 784]);
    expect(shapeOf(new Flatten(1, 2), ['batch', 4, 3, 5])).toEqual(['batch', 12, 5]);
    expect(shapeOf(new Flatten(0), [2, 3, 4])).toEqual([24]);
    expect(shapeOf(new Flatten(-2), [2, 3, 4])).toEqual([2, 12]);
    expect(() => shapeOf(new Flatten(0), ['batch', 3])).toThrow(ShapeError);
    expect(new Flatten().namedTensors()).toEqual([]);
  });

  it('keeps the row-major element order and passes gradcheck', async () => {
    const f = new Flatten();
    const c = await compileModule(rt, f, { x: { dtype: 'float32', shape: [2, 2, 3] } }, (v) => ({
      y: f.call(v.x),
    }));
    const x = new Tensor(
      'float32',
      [2, 2, 3],
      Float32Array.from({ length: 12 }, (_, i) => i),
    );
    const y = (await c.run({ x })).y;
    expect(y.shape).toEqual([2, 6]);
    expect(y.toArray()).toEqual(x.toArray());
    await c.exe.dispose();
    const r = await gradcheckModule(rt, f, { x: { shape: [2, 3, 2] } }, (v) => f.call(v.x));
    expect(r.ok, r.message).toBe(true);
  });
});

describe('Upsample', () => {
  it("repeats each pixel scaleFactor x scaleFactor times ('nearest')", async () => {
    const up = new Upsample(2);
    expect(shapeOf(up, ['batch', 4, 3, 5])).toEqual(['batch', 4, 6, 10]);
    const c = await compileModule(
      rt,
      up,
      { x: { dtype: 'float32', shape: [1, 1, 2, 2] } },
      (v) => ({
        y: up.call(v.x),
      }),
    );
    const y = (
      await c.run({
        x: Tensor.from([
          [
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ]),
      })
    ).y;
    expect(y.toArray()).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    await c.exe.dispose();
    const r = await gradcheckModule(rt, up, { x: { shape: [1, 2, 2, 3] } }, (v) => up.call(v.x), {
      seed: new Rng(1).nextUint32(),
    });
    expect(r.ok, r.message).toBe(true);
    expect(() => new Upsample(2, 'bilinear' as never)).toThrow(/not supported/);
  });
});
