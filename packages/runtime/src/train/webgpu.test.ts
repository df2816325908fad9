import { describe, expect, it } from 'vitest';
import { DeviceError } from '../errors.js';
import { DeviceTensor } from '../exec/device-tensor.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, primitive } from '../graph/graph.js';
import { emit1 } from '../ops/core.js';
import { adam } from '../optim/index.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { initMlp, makeClassification, mlpLoss } from '../testing/mlp.js';
import { expectAllClose, webgpuAvailable } from '../testing/webgpu.js';
import { compileTrainStep } from './train-step.js';

// Static shapes keep ORT's shape-op placement out of the picture, and int32 labels keep
// the one-hot on the GPU (WebGPU has no int64 Equal/Cast kernels: they would run on the
// CPU provider). SwiftShader is slow, so the MLP is tiny.
const inputs = {
  x: { dtype: 'float32', shape: [32, 10] },
  y: { dtype: 'int32', shape: [32] },
} as const;

async function fiveSteps(rt: Runtime) {
  const data = makeClassification(32, 10, 4, 5, 'int32');
  const step = await compileTrainStep(rt, {
    params: initMlp([10, 16, 4], new Rng(0)),
    inputs,
    loss: mlpLoss(2, { accuracy: false }),
    optimizer: adam(),
  });
  const losses: number[] = [];
  for (let i = 0; i < 5; i++) losses.push((await step.run(data, { lr: 1e-2 })).loss);
  return { step, losses, params: await step.parameters() };
}

describe.runIf(webgpuAvailable())('WebGPU train step (SwiftShader in CI)', () => {
  it('matches CPU to 1e-4 over 5 steps with the state kept on the device, and no node falls back to CPU', async () => {
    const cpu = await fiveSteps(await Runtime.create({ device: 'cpu', threads: 1 }));
    const gpuRt = await Runtime.create({ device: 'webgpu', strictDevice: true });
    const gpu = await fiveSteps(gpuRt);

    // State stayed on the device between steps.
    expect(new Set(Object.values(gpu.step.locations()))).toEqual(new Set(['gpu-buffer']));

    for (let i = 0; i < 5; i++) expect(Math.abs(gpu.losses[i] - cpu.losses[i])).toBeLessThan(1e-4);
    expectAllClose(gpu.params, cpu.params, { tol: 1e-4 });
    expect(gpuRt.cpuFallbacks(gpu.step.executable)).toEqual([]);
  });

  it('lists nodes that fell back to CPU, and strictDevice turns a fallback into an error', async () => {
    // ORT 1.30 has no WebGPU kernel for LogSoftmax: it silently runs on the CPU.
    const g = new Graph('fallback');
    const x = g.input('x', 'float32', [2, 3]);
    const h = emit1(g, primitive('Neg'), [x], { dtype: 'float32', shape: [2, 3] });
    const y = emit1(
      g,
      primitive('LogSoftmax'),
      [h],
      { dtype: 'float32', shape: [2, 3] },
      { axis: { i: -1 } },
    );
    const loose = await Runtime.create({ device: 'webgpu' });
    const exe = await loose.compile(g, { y });
    const fallbacks = loose.cpuFallbacks(exe);
    expect(fallbacks.some((n) => n.startsWith('LogSoftmax'))).toBe(true);
    expect(fallbacks.some((n) => n.startsWith('Neg'))).toBe(false);
    const out = await exe.runHost({
      x: Tensor.from([
        [1, 2, 3],
        [0, 0, 0],
      ]),
    });
    expect(out.y.toArray()[5]).toBeCloseTo(-Math.log(3), 5);
    const strict = await Runtime.create({ device: 'webgpu', strictDevice: true });
    await expect(strict.compile(g, { y })).rejects.toThrow(DeviceError);
  });

  it('refuses to feed a WebGPU buffer to a CPU executable', async () => {
    const gpuRt = await Runtime.create({ device: 'webgpu' });
    const g = new Graph('id');
    const x = g.input('x', 'float32', [2]);
    const exe = await gpuRt.compile(
      g,
      { y: emit1(g, primitive('Neg'), [x], { dtype: 'float32', shape: [2] }) },
      { deviceOutputs: ['y'] },
    );
    const { y } = await exe.run({ x: Tensor.from([1, 2]) });
    expect(y).toBeInstanceOf(DeviceTensor);
    expect((y as DeviceTensor).location).toBe('gpu-buffer');
    expect((await gpuRt.download(y)).toArray()).toEqual([-1, -2]);
    const cpuRt = await Runtime.create({ device: 'cpu' });
    const cg = new Graph('cpu');
    const cx = cg.input('x', 'float32', [2]);
    const cexe = await cpuRt.compile(cg, {
      y: emit1(cg, primitive('Neg'), [cx], { dtype: 'float32', shape: [2] }),
    });
    await expect(cexe.run({ x: y })).rejects.toThrow(
      "lives in a WebGPU buffer but this executable runs on 'cpu'",
    );
  });
});
