import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import { Graph } from '../graph/graph.js';
import { Tensor } from '../tensor.js';
import { webgpuAvailable } from '../testing/webgpu.js';
import { biasCorrection } from './adam.js';

// Adam's updates are checked against float64 references in optim.test.ts; this file
// checks the one piece with its own numerics: 1 - beta^t computed in float32.
const cases: [number, number[]][] = [
  [0, [1, 5]],
  [0.5, [1, 2, 30]],
  [0.9, [1, 2, 3, 10, 100]],
  [0.999, [1, 2, 7, 500, 2000]],
  [0.9999, [1, 3, 1000, 6000, 100000]],
];

async function checkOn(rt: Runtime, beta: number, steps: number[]): Promise<void> {
  const g = new Graph('bias_correction');
  const step = g.input('step', 'float32', []);
  const exe = await rt.compile(g, { c: biasCorrection(beta, step) });
  for (const t of steps) {
    const got = (await exe.runHost({ step: Tensor.scalar(t) })).c.item();
    const want = beta === 0 ? 1 : -Math.expm1(t * Math.log(beta));
    expect(Math.abs(got - want) / want, `step ${t}: ${got} vs ${want}`).toBeLessThan(1e-6);
  }
  await exe.dispose();
}

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

describe('biasCorrection: 1 - beta^t in float32 to 1e-6 relative (where float32 pow is off by up to 1e-4)', () => {
  for (const [beta, steps] of cases) {
    it(`cpu: beta ${beta} at steps ${steps.join(', ')}`, async () => {
      await checkOn(rt, beta, steps);
    });
  }
});

describe.runIf(webgpuAvailable())('biasCorrection on WebGPU (SwiftShader in CI)', () => {
  it('beta 0.9 and 0.9999 at several steps, with no node on the CPU', async () => {
    const gpu = await Runtime.create({ device: 'webgpu', strictDevice: true });
    await checkOn(gpu, 0.9, [1, 2, 3, 10, 100]);
    await checkOn(gpu, 0.9999, [1, 3, 1000, 6000, 100000]);
  });
});
