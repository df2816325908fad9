import { beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import type { Value } from '../graph/graph.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { tanh } from '../ops/activation.js';
import { onesLike, zerosLike } from '../ops/creation.js';
import { add } from '../ops/elementwise.js';
import { bceWithLogitsLoss } from '../ops/loss.js';
import { adam } from '../optim/index.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { compileTrainStep, type TrainStep } from './train-step.js';

/** A two-player toy: g maps noise to points, d scores points. */
class Toy extends Module {
  readonly g: Linear;
  readonly d: Linear;
  constructor(rng: Rng) {
    super();
    this.g = new Linear(2, 2, { rng });
    this.d = new Linear(2, 1, { rng });
  }
  forward(x: Value): Value {
    return this.d.call(tanh(x));
  }
}

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const data = new Rng(3);
const batch = {
  z: new Tensor('float32', [8, 2], data.normal(16)),
  real: new Tensor('float32', [8, 2], data.normal(16, 2, 0.1)),
};
const inputs = {
  z: { dtype: 'float32', shape: ['batch', 2] },
  real: { dtype: 'float32', shape: ['batch', 2] },
} as const;

/** Discriminator step (trains d.*) and generator step (trains g.*, reads d.*). */
async function ganSteps(m: Toy, shareStateWith?: TrainStep) {
  const dStep = await compileTrainStep(rt, {
    module: m,
    inputs,
    trainable: (k) => k.startsWith('d.'),
    optimizer: adam(),
    shareStateWith,
    loss: (_p, b) => {
      const real = m.call(b.real);
      const fake = m.call(m.g.call(b.z));
      return add(bceWithLogitsLoss(real, onesLike(real)), bceWithLogitsLoss(fake, zerosLike(fake)));
    },
  });
  const gStep = await compileTrainStep(rt, {
    module: m,
    inputs: { z: inputs.z },
    trainable: (k) => k.startsWith('g.'),
    optimizer: adam(),
    shareStateWith: dStep,
    loss: (_p, b) => {
      const fake = m.call(m.g.call(b.z));
      return bceWithLogitsLoss(fake, onesLike(fake));
    },
  });
  return { dStep, gStep };
}

const bits = (t: Tensor) => Array.from(new Uint32Array((t.data as Float32Array).slice().buffer));

describe('steps sharing parameters (GAN-style)', () => {
  it('each step updates only its parameters and reads the other step’s latest ones', async () => {
    const m = new Toy(new Rng(0));
    const { dStep, gStep } = await ganSteps(m);
    const p0 = await dStep.parameters();
    await dStep.run(batch, { lr: 0.05 });
    const p1 = await dStep.parameters();
    expect(bits(p1['g.weight'])).toEqual(bits(p0['g.weight'])); // D step leaves G alone
    expect(bits(p1['d.weight'])).not.toEqual(bits(p0['d.weight']));
    const seenByG = await gStep.parameters();
    expect(bits(seenByG['d.weight'])).toEqual(bits(p1['d.weight'])); // shared, no copy
    await gStep.run({ z: batch.z }, { lr: 0.05 });
    const p2 = await dStep.parameters();
    expect(bits(p2['d.weight'])).toEqual(bits(p1['d.weight'])); // G step leaves D alone
    expect(bits(p2['g.weight'])).not.toEqual(bits(p1['g.weight']));
    expect(Object.keys((await gStep.getState()).optimizer).every((k) => k.startsWith('g.'))).toBe(
      true,
    );
  });

  it('the G step’s update equals one computed from a separately restored copy of the updated D', async () => {
    const { dStep, gStep } = await ganSteps(new Toy(new Rng(0)));
    await dStep.run(batch, { lr: 0.05 });
    const updatedD = await dStep.getState();
    await gStep.run({ z: batch.z }, { lr: 0.05 });

    const { gStep: lone } = await ganSteps(new Toy(new Rng(0)));
    const s = await lone.getState();
    lone.setState({
      ...s,
      params: {
        ...s.params,
        'd.weight': updatedD.params['d.weight'],
        'd.bias': updatedD.params['d.bias'],
      },
    });
    await lone.run({ z: batch.z }, { lr: 0.05 });
    expect(bits((await lone.parameters())['g.weight'])).toEqual(
      bits((await gStep.parameters())['g.weight']),
    );
  });

  it('a step must train something', async () => {
    const m = new Toy(new Rng(0));
    await expect(
      compileTrainStep(rt, {
        module: m,
        inputs,
        trainable: () => false,
        optimizer: adam(),
        loss: (_p, b) => m.call(b.real),
      }),
    ).rejects.toThrow(GraphError);
  });
});
