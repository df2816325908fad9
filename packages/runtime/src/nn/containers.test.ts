import { beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import { relu } from '../ops/activation.js';
import { linear } from '../ops/matmul.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { bindModule, gradcheckModule, stateDictLayout, torchLayout } from '../testing/module.js';
import { ReLU } from './activations.js';
import { ModuleList, Sequential } from './containers.js';
import { Conv2d } from './conv.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { BatchNorm2d } from './normalization.js';
import { Flatten } from './reshaping.js';
import { withTrace } from './trace.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

describe('Sequential', () => {
  it("has PyTorch's keys: children by index at the container's own level", () => {
    const rng = new Rng(0);
    const mlp = new Sequential(new Linear(4, 8, { rng }), new ReLU(), new Linear(8, 3, { rng }));
    expect(stateDictLayout(mlp)).toEqual(
      torchLayout('Sequential(Linear(4, 8), ReLU(), Linear(8, 3))'),
    );
    const cnn = new Sequential(
      new Conv2d(1, 4, 3, { rng }),
      new BatchNorm2d(4),
      new ReLU(),
      new Flatten(),
      new Dropout(0.1),
    );
    expect(stateDictLayout(cnn)).toEqual(
      torchLayout('Sequential(Conv2d(1, 4, 3), BatchNorm2d(4), ReLU(), Flatten(), Dropout(0.1))'),
    );
    expect(mlp.length).toBe(3);
    expect([...mlp].map((m) => m.constructor.name)).toEqual(['Linear', 'ReLU', 'Linear']);
    expect(mlp[2]).toBeInstanceOf(Linear);
  });

  it('nests under a parent field (net.0.weight) and round-trips its state dict', () => {
    class Model extends Module {
      readonly net = new Sequential(new Linear(2, 3, { rng: new Rng(1) }), new ReLU());
      forward(x: Value): Value {
        return this.net.call(x);
      }
    }
    const a = new Model();
    expect(Object.keys(a.stateDict())).toEqual(['net.0.weight', 'net.0.bias']);
    a.setPaths();
    expect((a.net[1] as Module).path).toBe('net.1');
    const b = new Model();
    b.loadStateDict({ 'net.0.weight': Tensor.full([3, 2], 0.5), 'net.0.bias': Tensor.zeros([3]) });
    a.loadStateDict(b.stateDict());
    expect(a.net[0]).toBeInstanceOf(Linear);
    expect((a.net[0] as Linear).weight.data.toArray()).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('chains its modules in order', async () => {
    const rng = new Rng(2);
    const [l1, l2] = [new Linear(3, 4, { rng }), new Linear(4, 2, { rng })];
    const seq = new Sequential(l1, new ReLU(), l2);
    const g = new Graph('seq');
    const x = g.input('x', 'float32', ['batch', 3]);
    const ctx = bindModule(seq, g, {}, false);
    const y = withTrace(ctx, () => seq.call(x));
    const w = (t: Tensor) => g.constant(t);
    const manual = linear(
      relu(linear(x, w(l1.weight.data), w(l1.bias!.data))),
      w(l2.weight.data),
      w(l2.bias!.data),
    );
    const exe = await rt.compile(g, { y, manual });
    const out = await exe.runHost({ x: new Tensor('float32', [5, 3], new Rng(3).normal(15)) });
    expect(out.y.shape).toEqual([5, 2]);
    expect(out.y.toArray()).toEqual(out.manual.toArray());
    await exe.dispose();
  });

  it('passes gradcheck w.r.t. input and every parameter', async () => {
    const rng = new Rng(4);
    const seq = new Sequential(new Linear(3, 5, { rng }), new ReLU(), new Linear(5, 2, { rng }));
    const r = await gradcheckModule(rt, seq, { x: { shape: [4, 3] } }, (v) => seq.call(v.x));
    expect(r.ok, r.message).toBe(true);
  });

  it('rejects entries that are not modules', () => {
    expect(() => new Sequential({} as never)).toThrow(/entry 0 is not a Module/);
  });
});

describe('ModuleList', () => {
  it("has PyTorch's keys, grows with push, and has no forward", () => {
    const rng = new Rng(0);
    const list = new ModuleList([new Linear(2, 3, { rng })]);
    list.push(new Linear(3, 1, { rng }));
    expect(stateDictLayout(list)).toEqual(torchLayout('ModuleList([Linear(2, 3), Linear(3, 1)])'));
    expect(list.length).toBe(2);
    expect([...list].map((l) => l.outFeatures)).toEqual([3, 1]);
    expect(list[1].inFeatures).toBe(3);
    expect(() => list.forward()).toThrow(GraphError);
  });
});
