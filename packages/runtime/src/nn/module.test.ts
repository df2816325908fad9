import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import type { Value } from '../graph/graph.js';
import { relu } from '../ops/activation.js';
import { add, mul } from '../ops/elementwise.js';
import { crossEntropy } from '../ops/loss.js';
import { adam } from '../optim/index.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { initMlp, makeClassification, mlpLoss } from '../testing/mlp.js';
import { compileTrainStep } from '../train/train-step.js';
import { compileInference } from './inference.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { noise } from './trace.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(sizes: [number, number, number], rng: Rng) {
    super();
    this.fc1 = new Linear(sizes[0], sizes[1], { rng });
    this.fc2 = new Linear(sizes[1], sizes[2], { rng });
  }
  forward(x: Value): Value {
    return this.fc2.call(relu(this.fc1.call(x)));
  }
}

/** A model whose forward adds host-fed Gaussian noise to its input. */
class NoisyMlp extends Module {
  readonly net: Mlp;
  readonly blocks: Linear[];
  constructor(rng: Rng) {
    super();
    this.net = new Mlp([10, 16, 4], rng);
    this.blocks = [new Linear(4, 4, { rng }), new Linear(4, 4, { rng, bias: false })];
  }
  forward(x: Value): Value {
    const eps = noise('input', 'normal', x.shape);
    let h = this.net.call(add(x, mul(eps, 0.1)));
    for (const b of this.blocks) h = b.call(h);
    return h;
  }
}

const inputs = {
  x: { dtype: 'float32', shape: ['batch', 10] },
  y: { dtype: 'int64', shape: ['batch'] },
} as const;
const bits = (ps: Record<string, Tensor>) =>
  Object.fromEntries(
    Object.entries(ps).map(([k, t]) => [
      k,
      Array.from(new Uint32Array((t.data as Float32Array).slice().buffer)),
    ]),
  );

describe('Module', () => {
  it('walks fields into PyTorch state_dict keys, arrays as name.i', () => {
    const m = new NoisyMlp(new Rng(0));
    expect(Object.keys(m.stateDict())).toEqual([
      'net.fc1.weight',
      'net.fc1.bias',
      'net.fc2.weight',
      'net.fc2.bias',
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.1.weight',
    ]);
    expect(m.stateDict()['net.fc1.weight'].shape).toEqual([16, 10]);
    expect(m.numParameters()).toBe(10 * 16 + 16 + 16 * 4 + 4 + 16 + 4 + 16);
    expect(m.summary()).toContain('net.fc2.weight');
    expect(m.summary()).toContain('trainable parameters: 280');
  });

  it('initializes Linear as PyTorch: U(-1/sqrt(in), 1/sqrt(in))', () => {
    const fc = new Linear(400, 30, { rng: new Rng(1) });
    const w = fc.weight.data.toArray();
    const bound = 1 / Math.sqrt(400);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w)).toBeGreaterThan(0.95 * bound); // fills the interval
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(variance).toBeCloseTo((bound * bound) / 3, 4);
  });

  it('loadStateDict names missing, unexpected and mis-shaped tensors', () => {
    const m = new Mlp([3, 4, 2], new Rng(0));
    const sd = m.stateDict();
    const partial = { ...sd };
    delete partial['fc2.bias'];
    expect(() => m.loadStateDict(partial)).toThrow(CheckpointError);
    expect(() => m.loadStateDict(partial)).toThrow('missing fc2.bias');
    expect(() => m.loadStateDict({ ...sd, 'fc3.weight': sd['fc1.weight'] })).toThrow(
      'unexpected fc3.weight',
    );
    expect(() => m.loadStateDict({ ...sd, 'fc1.weight': Tensor.zeros([4, 4]) })).toThrow(
      ShapeError,
    );
    expect(() => m.loadStateDict({ ...sd, 'fc1.weight': Tensor.zeros([4, 4]) })).toThrow(
      "tensor 'fc1.weight' is float32[4,4] in the state dict but float32[4,3] in the module",
    );
    m.loadStateDict(partial, false); // non-strict: missing keys are allowed
  });

  it('trains through compileTrainStep bit-identically to the same parameters given by name', async () => {
    const data = makeClassification(64, 10, 4, 2);
    const m = new Mlp([10, 32, 4], new Rng(0));
    const byModule = await compileTrainStep(rt, {
      module: m,
      inputs,
      loss: (_p, b) => crossEntropy(m.call(b.x), b.y),
      optimizer: adam(),
    });
    const byName = await compileTrainStep(rt, {
      params: initMlp([10, 32, 4], new Rng(0)),
      inputs,
      loss: mlpLoss(2),
      optimizer: adam(),
    });
    for (let i = 0; i < 5; i++) {
      await byModule.run(data, { lr: 1e-2 });
      await byName.run(data, { lr: 1e-2 });
    }
    expect(bits(await byModule.parameters())).toEqual(bits(await byName.parameters()));
    await byModule.syncTo(m);
    expect(bits(m.stateDict())).toEqual(bits(await byName.parameters()));
  });

  it('feeds seeded host noise: same seed same run, resume continues bit for bit', async () => {
    const data = makeClassification(32, 10, 4, 3);
    const make = (seed: number) => {
      const m = new NoisyMlp(new Rng(0));
      return compileTrainStep(rt, {
        module: m,
        inputs,
        loss: (_p, b) => crossEntropy(m.call(b.x), b.y),
        optimizer: adam(),
        seed,
      });
    };
    const a = await make(5);
    const b = await make(5);
    const c = await make(6);
    for (let i = 0; i < 4; i++) {
      await a.run(data, { lr: 1e-2 });
      await b.run(data, { lr: 1e-2 });
      await c.run(data, { lr: 1e-2 });
    }
    expect(bits(await a.parameters())).toEqual(bits(await b.parameters()));
    expect(bits(await a.parameters())).not.toEqual(bits(await c.parameters()));

    const first = await make(5);
    for (let i = 0; i < 2; i++) await first.run(data, { lr: 1e-2 });
    const resumed = await make(99);
    resumed.setState(await first.getState());
    for (let i = 0; i < 2; i++) await resumed.run(data, { lr: 1e-2 });
    expect(bits(await resumed.parameters())).toEqual(bits(await a.parameters()));
  });

  it('builds an inference graph from the same forward, in eval mode, matching host math', async () => {
    const m = new Mlp([3, 4, 2], new Rng(0));
    const exe = await compileInference(
      rt,
      m,
      { x: { dtype: 'float32', shape: ['batch', 3] } },
      (x) => m.call(x.x),
    );
    const x = Tensor.from([
      [1, -2, 0.5],
      [0, 0, 0],
    ]);
    const { output } = await exe.runHost({ x });
    const sd = m.stateDict();
    const lin = (v: number[], w: Tensor, b: Tensor) =>
      Array.from({ length: w.shape[0] }, (_, o) =>
        v.reduce((s, vi, i) => s + vi * Number(w.data[o * w.shape[1] + i]), Number(b.data[o])),
      );
    const rows = [x.toArray().slice(0, 3), x.toArray().slice(3)];
    const want = rows.flatMap((r) =>
      lin(
        lin(r, sd['fc1.weight'], sd['fc1.bias']).map((v) => Math.max(v, 0)),
        sd['fc2.weight'],
        sd['fc2.bias'],
      ),
    );
    for (const [i, v] of output.toArray().entries()) expect(v).toBeCloseTo(want[i], 5);
    expect(() => m.call(x as never)).toThrow('no active trace');
  });
});
