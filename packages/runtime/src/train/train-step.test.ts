import { beforeAll, describe, expect, it } from 'vitest';
import { DivergenceError, FeedError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { adam, adamw, sgd } from '../optim/index.js';
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

describe('flat optimizer groups (elementwise optimizers)', () => {
  // fc1.weight [300, 1024] has 307,200 elements: above the flat limit, updated on its own;
  // the other three parameters form one flat group (two option sets with `groups`).
  const sizes = [1024, 300, 4];
  const wide = {
    x: { dtype: 'float32', shape: ['batch', 1024] },
    y: { dtype: 'int64', shape: ['batch'] },
  } as const;
  const data = makeClassification(64, 1024, 4, 7);
  const perTensor = (o: ReturnType<typeof adam>) => {
    const { elementwise: _e, ...rest } = o;
    return rest;
  };
  async function run(optimizer: ReturnType<typeof adam>, groups?: boolean) {
    const step = await compileTrainStep(rt, {
      params: initMlp(sizes, new Rng(3)),
      inputs: wide,
      loss: mlpLoss(2),
      optimizer,
      groups: groups ? (k) => (k.endsWith('bias') ? { weightDecay: 0 } : {}) : undefined,
    });
    for (let i = 0; i < 3; i++) await step.run(data, { lr: 1e-2 });
    return step;
  }
  const stateBits = async (step: Awaited<ReturnType<typeof run>>) => {
    const s = await step.getState();
    return { params: bits(s.params), optimizer: bits(s.optimizer) };
  };

  for (const [name, make, groups] of [
    ['adam', () => adam(), false],
    ['adamw with per-parameter decay', () => adamw({ weightDecay: 0.1 }), true],
    ['sgd with momentum', () => sgd({ momentum: 0.9 }), false],
  ] as const) {
    it(`${name}: the same parameters and optimizer state, bit for bit, as one update per tensor`, async () => {
      const flat = await run(make(), groups);
      const single = await run(perTensor(make()), groups);
      expect(flat.executable.model.length).toBeLessThan(single.executable.model.length);
      const [a, b] = [await stateBits(flat), await stateBits(single)];
      expect(Object.keys(a.optimizer).sort()).toEqual(Object.keys(b.optimizer).sort());
      expect(a).toEqual(b);
    });
  }

  it('getState names the state per parameter, and setState restores a flat group exactly', async () => {
    const step = await run(adam());
    const keys = Object.keys(locations(step));
    expect(keys.filter((k) => k.includes('@flat-'))).toHaveLength(2);
    const saved = await step.getState();
    expect(Object.keys(saved.optimizer).sort()).toEqual(
      ['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight'].flatMap((k) => [
        `${k}:exp_avg`,
        `${k}:exp_avg_sq`,
      ]),
    );
    const r1 = await step.run(data, { lr: 1e-2 });
    step.setState(saved);
    const r2 = await step.run(data, { lr: 1e-2 });
    expect(r2.loss).toBe(r1.loss);
    const { 'fc2.bias:exp_avg': _dropped, ...missing } = saved.optimizer;
    expect(() => step.setState({ ...saved, optimizer: missing })).toThrow(
      "state is missing optimizer state 'fc2.bias:exp_avg'",
    );
    expect(() =>
      step.setState({
        ...saved,
        optimizer: { ...saved.optimizer, 'fc2.bias:exp_avg': saved.optimizer['fc1.bias:exp_avg'] },
      }),
    ).toThrow("optimizer state 'fc2.bias:exp_avg' has shape [300], expected [4]");
  });
});

const locations = (step: { locations(): Record<string, string> }) => step.locations();

describe('train-step threads on the CPU', () => {
  it('a small model without convolutions trains on one thread unless threads were given', async () => {
    const spec = {
      params: initMlp([10, 32, 4], new Rng(0)),
      inputs,
      loss: mlpLoss(2),
      optimizer: adam(),
    };
    const auto = await Runtime.create({ device: 'cpu' });
    const small = await compileTrainStep(auto, spec);
    expect(small.executable.threads).toBe(1);
    const big = await compileTrainStep(auto, {
      ...spec,
      params: initMlp([10, 600, 600], new Rng(0)),
    });
    expect(big.executable.threads).toBe(auto.threads);
    const given = await Runtime.create({ device: 'cpu', threads: 2 });
    expect((await compileTrainStep(given, spec)).executable.threads).toBe(2);
  });
});
