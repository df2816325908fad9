import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import type { Value } from '../graph/graph.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { sgd } from '../optim/sgd.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { compileModule, gradcheckModule } from '../testing/module.js';
import { compileTrainStep } from '../train/train-step.js';
import { Sequential } from './containers.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const spec = (shape: (number | string)[]) => ({ x: { dtype: 'float32' as const, shape } });

describe('Dropout', () => {
  it('is the identity in eval mode and declares no noise', async () => {
    const drop = new Dropout(0.5).eval();
    const x = new Tensor('float32', [4, 8], new Rng(0).normal(32));
    const c = await compileModule(rt, drop, spec([4, 8]), (v) => ({ y: drop.call(v.x) }));
    expect(c.ctx.noise.size).toBe(0);
    expect(c.exe.inputs.map((i) => i.name)).toEqual(['x']);
    expect((await c.run({ x })).y.toArray()).toEqual(x.toArray());
    await c.exe.dispose();
  });

  it('in train mode multiplies by a host-fed Bernoulli(1 - p) mask / (1 - p), named by path', async () => {
    const net = new Sequential(new Linear(3, 3, { rng: new Rng(0) }), new Dropout(0.25));
    const drop = net[1] as Dropout;
    const n = 40_000;
    const c = await compileModule(rt, drop, spec([n]), (v) => ({ y: drop.call(v.x) }), true);
    // A root module has no path: the noise falls back to 'dropout'.
    expect([...c.ctx.noise.keys()]).toEqual(['dropout']);
    const declared = c.ctx.noise.get('dropout')!;
    expect(declared.kind).toBe('bernoulli');
    expect(declared.p).toBe(0.75);
    const mask = Float32Array.from(new Rng(5).bernoulli(n, 0.75));
    const x = Tensor.full([n], 2);
    const y = (await c.run({ x, 'noise:dropout': new Tensor('float32', [n], mask) })).y.toArray();
    const worst = y.reduce((w, v, i) => Math.max(w, Math.abs(v - (mask[i] ? 2 / 0.75 : 0))), 0);
    expect(worst).toBeLessThan(1e-6);
    const zeros = y.filter((v) => v === 0).length / n;
    expect(Math.abs(zeros - 0.25)).toBeLessThan(0.01);
    // E[output] = input.
    expect(Math.abs(y.reduce((s, v) => s + v, 0) / n - 2)).toBeLessThan(0.03);
    await c.exe.dispose();

    class Autoencoder extends Module {
      readonly decoder = net;
      forward(x: Value): Value {
        return this.decoder.call(x);
      }
    }
    const model = new Autoencoder();
    const twice = await compileModule(rt, model, spec([2, 3]), (v) => ({
      a: model.call(v.x),
      b: drop.call(v.x),
    }));
    // Named by module path; the same module run twice in one trace gets a second mask.
    expect([...twice.ctx.noise.keys()]).toEqual(['decoder.1', 'decoder.1#1']);
    await twice.exe.dispose();
  });

  it('draws its mask from the train step seed: same seed, same run; other seed, other run', async () => {
    const losses = async (seed: number) => {
      const r = new Rng(1);
      const net = new Sequential(new Linear(8, 8, { rng: r }), new Dropout(0.5));
      const step = await compileTrainStep(rt, {
        module: net,
        seed,
        inputs: spec(['batch', 8]),
        loss: (_p, b) => sum(mul(net.call(b.x), 0.1)),
        optimizer: sgd(),
      });
      const x = new Tensor('float32', [4, 8], new Rng(2).normal(32));
      const out = [];
      for (let i = 0; i < 3; i++) out.push((await step.run({ x }, { lr: 0.01 })).loss);
      await step.dispose();
      return out;
    };
    const a = await losses(7);
    expect(await losses(7)).toEqual(a);
    expect(await losses(8)).not.toEqual(a);
    expect(new Set(a).size).toBe(3); // a fresh mask every step
  });

  it('passes gradcheck with a fixed mask', async () => {
    const drop = new Dropout(0.3);
    const r = await gradcheckModule(
      rt,
      drop,
      {
        x: { shape: [3, 5] },
        mask: {
          shape: [3, 5],
          check: false,
          data: (rng, n) => Float32Array.from(rng.bernoulli(n, 0.7)),
        },
      },
      (v) => drop.call(v.x),
      { training: true, noise: { dropout: 'mask' } },
    );
    expect(r.ok, r.message).toBe(true);
    expect(Math.abs(r.analytic[0])).toBeGreaterThan(0.1);
  });

  it('p = 0 is the identity and p = 1 gives zeros; p outside [0, 1] is rejected', async () => {
    const x = Tensor.from([1, -2, 3]);
    for (const [p, want] of [
      [0, [1, -2, 3]],
      [1, [0, 0, 0]],
    ] as const) {
      const d = new Dropout(p);
      const c = await compileModule(rt, d, spec([3]), (v) => ({ y: d.call(v.x) }), true);
      expect(c.ctx.noise.size).toBe(0);
      expect((await c.run({ x })).y.toArray().map((v) => v + 0)).toEqual(want);
      await c.exe.dispose();
    }
    expect(() => new Dropout(1.5)).toThrow(/\[0, 1\]/);
  });
});
