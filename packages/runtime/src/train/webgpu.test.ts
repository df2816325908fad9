import { describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import { adam } from '../optim/index.js';
import { Rng } from '../rng.js';
import { initMlp, makeClassification, mlpLoss } from '../testing/mlp.js';
import { webgpuAvailable } from '../testing/webgpu.js';
import { compileTrainStep } from './trainStep.js';

// Static shapes keep ORT's shape-op placement out of the picture; SwiftShader is slow, so the MLP is tiny.
const inputs = { x: { dtype: 'float32', shape: [32, 10] }, y: { dtype: 'int64', shape: [32] } } as const;

async function fiveSteps(rt: Runtime) {
  const data = makeClassification(32, 10, 4, 5);
  const step = await compileTrainStep(rt, { params: initMlp([10, 16, 4], new Rng(0)), inputs, loss: mlpLoss(2), optimizer: adam() });
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
    for (const [k, t] of Object.entries(cpu.params)) {
      const a = t.data as Float32Array;
      const b = gpu.params[k].data as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      expect(maxDiff, k).toBeLessThan(1e-4);
    }
    expect(gpuRt.cpuFallbacks(gpu.step.executable)).toEqual([]);
  });
});
