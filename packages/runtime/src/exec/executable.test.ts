import { beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, DTypeError } from '../errors.js';
import { Graph } from '../graph/graph.js';
import { add } from '../ops/elementwise.js';
import { Tensor } from '../tensor.js';
import { Runtime } from './runtime.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

async function compileAdd() {
  const g = new Graph('adder');
  const a = g.input('a', 'float32', ['batch', 2]);
  const b = g.input('b', 'float32', ['batch', 2]);
  return rt.compile(g, { c: add(a, b) });
}

describe('Executable feeds', () => {
  it('runs with consistent symbolic dims', async () => {
    const exe = await compileAdd();
    const out = await exe.runHost({
      a: Tensor.from([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      b: Tensor.full([3, 2], 1),
    });
    expect(out.c.toArray()).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('names missing, unknown, mis-shaped and mis-typed inputs', async () => {
    const exe = await compileAdd();
    const a = Tensor.full([3, 2], 1);
    await expect(exe.run({ a })).rejects.toThrow("adder: missing input 'b' (float32[batch,2])");
    await expect(exe.run({ a, b: a, z: a })).rejects.toThrow("adder: unknown input 'z'");
    await expect(exe.run({ a, b: Tensor.full([3, 3], 1) })).rejects.toThrow(
      "input 'b' has shape [3,3], expected [batch,2]",
    );
    await expect(exe.run({ a, b: Tensor.full([4, 2], 1) })).rejects.toThrow(
      "dim 'batch' is 3 in input 'a' but 4 in input 'b'",
    );
    await expect(exe.run({ a, b: new Tensor('int32', [3, 2]) })).rejects.toThrow(DTypeError);
    await expect(exe.run({ a, b: new Tensor('int32', [3, 2]) })).rejects.toThrow(
      "input 'b' has dtype int32, expected float32",
    );
  });
});

describe('Runtime devices', () => {
  it('rejects unknown devices with the list of valid ones', async () => {
    await expect(Runtime.create({ device: 'tpu' as never })).rejects.toThrow(
      "unknown device 'tpu'; on Node.js use one of cpu, cuda, webgpu",
    );
  });
  it("'cuda' without the provider libraries says how to get them", async () => {
    await expect(Runtime.create({ device: 'cuda' })).rejects.toThrow(DeviceError);
    await expect(Runtime.create({ device: 'cuda' })).rejects.toThrow(
      'ONNXRUNTIME_NODE_INSTALL=cuda12',
    );
  });
  it('rejects a bad thread count', async () => {
    await expect(Runtime.create({ threads: 0 })).rejects.toThrow(
      'threads must be a positive integer',
    );
  });
});
