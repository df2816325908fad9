import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ShapeError, StateDictKeyError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import type { Value } from '../graph/graph.js';
import { mean, square } from '../ops/index.js';
import { sgd } from '../optim/index.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { compileTrainStep } from '../train/train-step.js';
import { Embedding } from './embedding.js';
import { compileInference } from './inference.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

/** A one-layer language model whose output layer shares the token embedding (or not). */
class TinyLm extends Module {
  readonly wte: Embedding;
  readonly lm_head: Linear;
  constructor(tied: boolean, rng: Rng) {
    super();
    this.wte = new Embedding(5, 3, { rng });
    this.lm_head = new Linear(3, 5, {
      bias: false,
      rng,
      weight: tied ? this.wte.weight : undefined,
    });
  }
  forward(ids: Value): Value {
    return this.lm_head.call(this.wte.call(ids));
  }
}

const ids = new Tensor('int64', [2, 3], BigInt64Array.from([0n, 1n, 4n, 2n, 2n, 3n]));

describe('tied (shared) parameters', () => {
  it('are one tensor: listed, saved and counted once under the first name', () => {
    const m = new TinyLm(true, new Rng(0));
    expect(m.lm_head.weight).toBe(m.wte.weight);
    expect(m.namedTensors().map(([k]) => k)).toEqual(['wte.weight']);
    expect(Object.keys(m.stateDict())).toEqual(['wte.weight']);
    expect(m.tiedKeys()).toEqual({ 'lm_head.weight': 'wte.weight' });
    expect(m.numParameters()).toBe(15);
    expect(new TinyLm(false, new Rng(0)).tiedKeys()).toEqual({});
  });

  it('load from either name (PyTorch state_dict() has both) and must agree when both are given', () => {
    const m = new TinyLm(true, new Rng(0));
    const w = Tensor.full([5, 3], 0.5);
    m.loadStateDict({ 'lm_head.weight': w });
    expect(m.wte.weight.data.toArray()).toEqual(w.toArray());
    m.loadStateDict({
      'wte.weight': Tensor.full([5, 3], 1),
      'lm_head.weight': Tensor.full([5, 3], 1),
    });
    expect(m.lm_head.weight.data.toArray()[0]).toBe(1);
    expect(() =>
      m.loadStateDict({ 'wte.weight': w, 'lm_head.weight': Tensor.full([5, 3], 2) }),
    ).toThrow(
      "TinyLm.loadStateDict: 'wte.weight' and 'lm_head.weight' are one shared (tied) parameter but differ in the state dict",
    );
    expect(() =>
      m.loadStateDict({ 'wte.weight': w, 'lm_head.weight': Tensor.full([3, 5], 2) }),
    ).toThrow(ShapeError);
    const err = (() => {
      try {
        m.loadStateDict({ 'head.weight': w });
      } catch (e) {
        return e as StateDictKeyError;
      }
    })();
    expect(err).toBeInstanceOf(StateDictKeyError);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err?.missing).toEqual(['wte.weight']);
    expect(err?.unexpected).toEqual(['head.weight']);
    expect(err?.message).toBe('TinyLm.loadStateDict: missing wte.weight; unexpected head.weight');
  });

  it('rejects a shared weight of the wrong shape', () => {
    const p = new Parameter(Tensor.zeros([3, 5]));
    expect(() => new Linear(3, 5, { rng: new Rng(0), weight: p })).toThrow(
      'Linear(3, 5): the shared weight is [3,5]; expected [5,3] ([out, in])',
    );
  });

  it('get the sum of the gradients of every use, and one optimizer update', async () => {
    const loss = (m: TinyLm) => (_p: unknown, b: Record<string, Value>) =>
      mean(square(m.call(b.ids)));
    const train = async (m: TinyLm) => {
      const step = await compileTrainStep(rt, {
        module: m,
        inputs: { ids: { dtype: 'int64', shape: [2, 3] } },
        loss: loss(m),
        optimizer: sgd(),
      });
      await step.run({ ids }, { lr: 0.5 });
      await step.syncTo(m);
      return m;
    };
    const before = new TinyLm(true, new Rng(1)).wte.weight.data.toArray();
    const tied = await train(new TinyLm(true, new Rng(1)));
    const untied = new TinyLm(false, new Rng(1));
    untied.lm_head.weight.data = untied.wte.weight.data.clone();
    await train(untied);
    // Tied: w - lr (g_embedding + g_head); untied: w - lr g_embedding and w - lr g_head.
    const a = untied.wte.weight.data.toArray();
    const b = untied.lm_head.weight.data.toArray();
    const got = tied.wte.weight.data.toArray();
    expect(tied.lm_head.weight).toBe(tied.wte.weight);
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(a[i] + b[i] - before[i], 6);
    expect(got.some((v, i) => Math.abs(v - before[i]) > 1e-3)).toBe(true);
  });

  it('are one constant of an inference graph', async () => {
    const m = new TinyLm(true, new Rng(2));
    const exe = await compileInference(rt, m, { ids: { dtype: 'int64', shape: [2, 3] } }, (i) =>
      m.call(i.ids),
    );
    const out = (await exe.runHost({ ids })).output;
    expect(out.shape).toEqual([2, 3, 5]);
    // Logit of token j at a position holding token t: <w_t, w_j>.
    const w = m.wte.weight.data.toArray();
    const dot = (t: number, j: number) =>
      [0, 1, 2].reduce((s, k) => s + w[t * 3 + k] * w[j * 3 + k], 0);
    expect(out.toArray()[2 * 5 + 1]).toBeCloseTo(dot(4, 1), 5);
  });
});
