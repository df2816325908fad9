import { beforeAll, describe, expect, it } from 'vitest';
import { DivergenceError, GenmodelsError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { sgd } from '../optim/index.js';
import { cosine } from '../optim/schedule.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { initMlp, makeClassification, mlpLoss } from '../testing/mlp.js';
import { type Batch, fit as fitLoop, type ProgressEvent } from './fit.js';
import { compileTrainStep } from './train-step.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const inputs = {
  x: { dtype: 'float32', shape: ['batch', 10] },
  y: { dtype: 'int64', shape: ['batch'] },
} as const;
const newStep = () =>
  compileTrainStep(rt, {
    params: initMlp([10, 8, 4], new Rng(0)),
    inputs,
    loss: mlpLoss(2),
    optimizer: sgd(),
  });

/** n batches of 16 rows sliced from a seeded data set. */
function batches(n: number): Batch[] {
  const d = makeClassification(16 * n, 10, 4, 9);
  return Array.from({ length: n }, (_, i) => ({
    x: new Tensor('float32', [16, 10], (d.x.data as Float32Array).slice(i * 160, (i + 1) * 160)),
    y: new Tensor('int64', [16], (d.y.data as BigInt64Array).slice(i * 16, (i + 1) * 16)),
  }));
}

describe('fit', () => {
  it('runs epochs over a re-iterable source with progress events, schedules and evaluation', async () => {
    const step = await newStep();
    const events: ProgressEvent[] = [];
    const lrs: number[] = [];
    const schedule = cosine(0.1, { warmupSteps: 2, totalSteps: 12 });
    const r = await fitLoop(step, batches(4), {
      epochs: 3,
      lr: (s) => {
        lrs.push(schedule(s));
        return schedule(s);
      },
      onProgress: (e) => events.push(e),
      progressEvery: 2,
      evaluate: (s) => ({ at: s }),
      evalEvery: 5,
    });
    expect(r.steps).toBe(12);
    expect(r.epochs).toBe(3);
    expect(step.step).toBe(12);
    expect(events.map((e) => e.step)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(events.map((e) => e.epoch)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(events[0].eta).toBeGreaterThan(0);
    expect(events[5].eta).toBe(0);
    for (const e of events) expect(e.samplesPerSec).toBeGreaterThan(0);
    expect(lrs).toEqual(Array.from({ length: 12 }, (_, s) => schedule(s)));
    expect(r.evals.map((e) => e.step)).toEqual([5, 10, 12]);
    expect(Number.isFinite(r.lastLoss)).toBe(true);
  });

  it('stops after `steps`, also over an async source', async () => {
    const step = await newStep();
    async function* stream() {
      for (;;) yield* batches(2);
    }
    const r = await fitLoop(step, stream(), { steps: 7, lr: 0.05 });
    expect(r.steps).toBe(7);
    expect(step.step).toBe(7);
  });

  it('rejects a one-shot generator used for several epochs', async () => {
    const step = await newStep();
    function* once() {
      yield* batches(2);
    }
    await expect(fitLoop(step, once(), { epochs: 2, lr: 0.05 })).rejects.toThrow(GenmodelsError);
    await expect(fitLoop(step, once(), { epochs: 2, lr: 0.05 })).rejects.toThrow(
      'yielded no batches in epoch 1',
    );
  });

  it('cancels with an AbortSignal between steps, keeping the completed steps', async () => {
    const step = await newStep();
    const ctrl = new AbortController();
    const p = fitLoop(step, batches(8), {
      epochs: 5,
      lr: 0.05,
      onProgress: (e) => {
        if (e.step === 3) ctrl.abort();
      },
      signal: ctrl.signal,
    });
    await expect(p).rejects.toThrow(/abort/i);
    expect(step.step).toBe(3);
  });

  it('a NaN loss stops with an error naming the step', async () => {
    const step = await newStep();
    // Step 3 (lr index 2) blows the weights up; the loss of step 4 is then not finite.
    const p = fitLoop(step, batches(4), { epochs: 3, lr: (s) => (s === 2 ? 1e30 : 0.05) });
    await expect(p).rejects.toThrow(DivergenceError);
    await expect(p).rejects.toThrow(/at step 4; parameters were kept from step 3/);
    expect(step.step).toBe(3);
  });
});
