import { beforeAll, describe, expect, it } from 'vitest';
import { DivergenceError, FeedError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { adam, sgd } from '../optim/index.js';
import { Rng } from '../rng.js';
import type { Tensor } from '../tensor.js';
import { initMlp, makeClassification, mlpLoss } from '../testing/mlp.js';
import { compileTrainStep } from './train-step.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 2 });
});

const inputs = {
  x: { dtype: 'float32', shape: ['batch', 10] },
  y: { dtype: 'int64', shape: ['batch'] },
} as const;

async function trainMlp(seed: number, steps: number) {
  const data = makeClassification(512, 10, 4, 123);
  const step = await compileTrainStep(rt, {
    params: initMlp([10, 32, 4], new Rng(seed)),
    inputs,
    loss: mlpLoss(2),
    optimizer: adam(),
  });
  let last = { loss: Number.NaN, accuracy: 0 };
  for (let i = 0; i < steps; i++) {
    const r = await step.run(data, { lr: 1e-2 });
    last = { loss: r.loss, accuracy: r.metrics.accuracy };
  }
  return { step, last, params: await step.parameters() };
}

const bits = (ps: Record<string, Tensor>) =>
  Object.fromEntries(
    Object.entries(ps).map(([k, t]) => [
      k,
      Array.from(new Uint32Array((t.data as Float32Array).slice().buffer)),
    ]),
  );

describe('compiled train step (MLP, Adam)', () => {
  it('reaches >= 97% train accuracy on a seeded synthetic task', async () => {
    const { last, step } = await trainMlp(0, 150);
    expect(step.step).toBe(150);
    // The final accuracy is measured by the graph's own metric on the full training set.
    expect(last.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(last.loss).toBeLessThan(0.2);
  });

  it('gives bit-identical parameters for the same seed, different ones for another seed', async () => {
    const a = await trainMlp(7, 20);
    const b = await trainMlp(7, 20);
    const c = await trainMlp(8, 20);
    expect(bits(a.params)).toEqual(bits(b.params));
    expect(bits(a.params)).not.toEqual(bits(c.params));
  });

  it('continues bit for bit after getState / setState', async () => {
    const data = makeClassification(64, 10, 4, 1);
    const make = () =>
      compileTrainStep(rt, {
        params: initMlp([10, 16, 4], new Rng(3)),
        inputs,
        loss: mlpLoss(2),
        optimizer: adam(),
      });
    const ref = await make();
    for (let i = 0; i < 6; i++) await ref.run(data, { lr: 1e-2 });
    const first = await make();
    for (let i = 0; i < 3; i++) await first.run(data, { lr: 1e-2 });
    const resumed = await make();
    resumed.setState(await first.getState());
    expect(resumed.step).toBe(3);
    for (let i = 0; i < 3; i++) await resumed.run(data, { lr: 1e-2 });
    expect(bits(await resumed.parameters())).toEqual(bits(await ref.parameters()));
  });

  it('stops on a non-finite loss, naming the step and keeping the last good state', async () => {
    const data = makeClassification(64, 10, 4, 1);
    const step = await compileTrainStep(rt, {
      params: initMlp([10, 16, 4], new Rng(0)),
      inputs,
      loss: mlpLoss(2),
      optimizer: sgd(),
    });
    await step.run(data, { lr: 0.1 });
    const good = await step.parameters();
    await step.run(data, { lr: 1e30 }).catch(() => undefined); // parameters explode to inf
    await expect(step.run(data, { lr: 0.1 })).rejects.toThrow(DivergenceError);
    await expect(step.run(data, { lr: 0.1 })).rejects.toThrow(
      /loss is (NaN|Infinity|-Infinity) at step 3; parameters were kept from step 2/,
    );
    expect(Object.keys(good)).toEqual(Object.keys(await step.parameters()));
  });

  it('rejects unknown batch inputs and bad learning rates', async () => {
    const step = await compileTrainStep(rt, {
      params: initMlp([10, 4], new Rng(0)),
      inputs,
      loss: mlpLoss(1),
      optimizer: sgd(),
    });
    const data = makeClassification(8, 10, 4, 1);
    await expect(step.run({ ...data, z: data.x }, { lr: 0.1 })).rejects.toThrow(FeedError);
    await expect(step.run(data, { lr: Number.NaN })).rejects.toThrow(
      'learning rate must be a finite number',
    );
  });
});
