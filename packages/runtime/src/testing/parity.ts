/**
 * The cross-backend parity case: three Adam steps of a seeded 2-layer MLP on one fixed
 * batch, run the same way on Node.js (cpu) and in a browser (wasm, webgpu) by
 * browser.test.ts. Plain arrays come back so that results cross `page.evaluate`.
 */
import type { Runtime } from '../exec/runtime.js';
import { adam } from '../optim/adam.js';
import { Rng } from '../rng.js';
import { compileTrainStep } from '../train/train-step.js';
import { initMlp, makeClassification, mlpLoss } from './mlp.js';

/** Losses of each step and the parameters after the last, by PyTorch-style name. */
export interface ParityResult {
  losses: number[];
  params: Record<string, number[]>;
  /** Where the live training state (parameters, Adam moments) sits between steps. */
  stateLocations: string[];
}

/**
 * Static shapes and int32 labels keep every node on the WebGPU provider (it has no int64
 * Equal/Cast kernels), so the three devices run the same kernels' math.
 */
export async function threeAdamSteps(rt: Runtime): Promise<ParityResult> {
  const batch = makeClassification(32, 10, 4, 5, 'int32');
  const step = await compileTrainStep(rt, {
    params: initMlp([10, 16, 4], new Rng(0)),
    inputs: { x: { dtype: 'float32', shape: [32, 10] }, y: { dtype: 'int32', shape: [32] } },
    loss: mlpLoss(2, { accuracy: false }),
    optimizer: adam(),
  });
  try {
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push((await step.run(batch, { lr: 1e-2 })).loss);
    const stateLocations = [...new Set(Object.values(step.store).map((t) => t.location))].sort();
    const params = await step.parameters();
    return {
      losses,
      params: Object.fromEntries(Object.entries(params).map(([k, t]) => [k, t.toArray()])),
      stateLocations,
    };
  } finally {
    await step.dispose();
  }
}
