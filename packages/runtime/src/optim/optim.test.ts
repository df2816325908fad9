import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import { Tensor } from '../tensor.js';
import { adam, adamw } from './adam.js';
import { clipGradNorm } from './clip.js';
import { noDecayOnBiasAndNorm, type Optimizer, type ParamGroupOptions } from './optimizer.js';
import { constant, cosine, linearWarmup } from './schedule.js';
import { sgd } from './sgd.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const P0 = [0.5, -1.25, 2.0];
// A different gradient each step, so momentum and moment estimates matter.
const GRADS = [
  [0.1, -0.2, 0.3],
  [-0.05, 0.4, 0.25],
  [0.3, 0.1, -0.6],
];
const LRS = [0.1, 0.05, 0.02];

/** Run three in-graph updates, feeding outputs back as the next inputs. */
async function runGraph(opt: Optimizer, group: ParamGroupOptions = {}): Promise<number[][]> {
  const g = new Graph('opt');
  const p = g.input('p', 'float32', [3]);
  const grad = g.input('g', 'float32', [3]);
  const lr = g.input('lr', 'float32', []);
  const step = g.input('step', 'float32', []);
  const specs = opt.stateSpecs();
  const state: Record<string, Value> = Object.fromEntries(
    specs.map((s) => [s.name, g.input(s.name, 'float32', [3])]),
  );
  const u = opt.update({ name: 'p', value: p, grad, group }, state, { lr, step });
  const exe = await rt.compile(g, {
    p_next: u.param,
    ...Object.fromEntries(specs.map((s) => [`s_${s.name}`, u.state[s.name]])),
  });
  let feeds: Record<string, Tensor> = {
    p: Tensor.from(P0),
    ...Object.fromEntries(specs.map((s) => [s.name, Tensor.zeros([3])])),
  };
  const out: number[][] = [];
  for (let t = 0; t < 3; t++) {
    const r = await exe.runHost({
      ...feeds,
      g: Tensor.from(GRADS[t]),
      lr: Tensor.scalar(LRS[t]),
      step: Tensor.scalar(t + 1),
    });
    feeds = { p: r.p_next, ...Object.fromEntries(specs.map((s) => [s.name, r[`s_${s.name}`]])) };
    out.push(r.p_next.toArray());
  }
  return out;
}

// Plain float64 re-implementations of torch.optim's update rules.
function refSgd(o: {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  wd?: number;
}): number[][] {
  const { momentum = 0, dampening = 0, nesterov = false, wd = 0 } = o;
  const p = [...P0];
  let buf: number[] | null = null;
  return GRADS.map((g0, t) => {
    let g = g0.map((gi, i) => gi + wd * p[i]);
    if (momentum > 0) {
      buf = buf === null ? [...g] : buf.map((b, i) => momentum * b + (1 - dampening) * g[i]);
      g = nesterov ? g.map((gi, i) => gi + momentum * buf![i]) : [...buf];
    }
    for (let i = 0; i < 3; i++) p[i] -= LRS[t] * g[i];
    return [...p];
  });
}

function refAdam(o: {
  b1?: number;
  b2?: number;
  eps?: number;
  wd?: number;
  decoupled?: boolean;
}): number[][] {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0, decoupled = false } = o;
  const p = [...P0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  return GRADS.map((g0, t) => {
    const lr = LRS[t];
    const step = t + 1;
    for (let i = 0; i < 3; i++) {
      let g = g0[i];
      if (decoupled) p[i] *= 1 - lr * wd;
      else g += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const mHat = m[i] / (1 - b1 ** step);
      const vHat = v[i] / (1 - b2 ** step);
      p[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
    return [...p];
  });
}

function expectClose(a: number[][], b: number[][], tol = 1e-6) {
  for (const [t, row] of a.entries()) {
    for (const [i, x] of row.entries()) {
      expect(
        Math.abs(x - b[t][i]),
        `step ${t + 1} element ${i}: ${x} vs ${b[t][i]}`,
      ).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[t][i])));
    }
  }
}

describe('optimizers match hand-computed PyTorch updates to 1e-6', () => {
  it('the reference itself: Adam step 1 moves each weight by lr * sign(g)', () => {
    const first = refAdam({})[0];
    expect(first[0]).toBeCloseTo(0.5 - 0.1, 6);
    expect(first[1]).toBeCloseTo(-1.25 + 0.1, 6);
    expect(first[2]).toBeCloseTo(2.0 - 0.1, 6);
  });
  it('the reference itself: SGD momentum 0.9, step 2 = p1 - lr2 * (0.9 g1 + g2)', () => {
    const r = refSgd({ momentum: 0.9 });
    expect(r[1][0]).toBeCloseTo(0.5 - 0.1 * 0.1 - 0.05 * (0.9 * 0.1 - 0.05), 12);
  });
  it('sgd plain', async () => expectClose(await runGraph(sgd()), refSgd({})));
  it('sgd momentum', async () =>
    expectClose(await runGraph(sgd({ momentum: 0.9 })), refSgd({ momentum: 0.9 })));
  it('sgd momentum + dampening + weight decay', async () =>
    expectClose(
      await runGraph(sgd({ momentum: 0.8, dampening: 0.3, weightDecay: 0.1 })),
      refSgd({ momentum: 0.8, dampening: 0.3, wd: 0.1 }),
    ));
  it('sgd nesterov', async () =>
    expectClose(
      await runGraph(sgd({ momentum: 0.9, nesterov: true })),
      refSgd({ momentum: 0.9, nesterov: true }),
    ));
  it('adam with bias correction', async () => expectClose(await runGraph(adam()), refAdam({})));
  it('adam betas (0.5, 0.999) + L2 weight decay', async () =>
    expectClose(
      await runGraph(adam({ betas: [0.5, 0.999], weightDecay: 0.05 })),
      refAdam({ b1: 0.5, wd: 0.05 }),
    ));
  it('adamw decoupled decay with bias correction', async () =>
    expectClose(
      await runGraph(adamw({ weightDecay: 0.1, betas: [0.9, 0.99] })),
      refAdam({ wd: 0.1, b2: 0.99, decoupled: true }),
    ));
  it('parameter group overrides decay and scales lr', async () => {
    expectClose(
      await runGraph(adamw({ weightDecay: 0.1 }), { weightDecay: 0 }),
      refAdam({ decoupled: true }),
    );
    const halfLr = await runGraph(sgd(), { lr: 0.5 });
    const ref = refSgd({}).map((row) => row.map((x, i) => P0[i] + (x - P0[i]) * 0.5));
    expectClose(halfLr, ref);
  });
  it('noDecayOnBiasAndNorm picks rank < 2', () => {
    expect(noDecayOnBiasAndNorm('fc1.bias', 1)).toEqual({ weightDecay: 0 });
    expect(noDecayOnBiasAndNorm('fc1.weight', 2)).toEqual({});
  });
  it('rejects bad hyper-parameters', () => {
    expect(() => sgd({ nesterov: true })).toThrow('Nesterov momentum requires momentum > 0');
    expect(() => adam({ betas: [1, 0.9] })).toThrow('betas must be in [0, 1)');
  });
});

describe('clipGradNorm', () => {
  async function clip(gs: number[][], maxNorm: number) {
    const g = new Graph('clip');
    const vals = gs.map((x, i) => g.input(`g${i}`, 'float32', [x.length]));
    const c = clipGradNorm(vals, maxNorm);
    const exe = await rt.compile(g, {
      norm: c.norm,
      ...Object.fromEntries(c.grads.map((v, i) => [`c${i}`, v])),
    });
    return exe.runHost(Object.fromEntries(gs.map((x, i) => [`g${i}`, Tensor.from(x)])));
  }
  it('scales by maxNorm / (norm + 1e-6) when the norm is larger', async () => {
    const r = await clip(
      [
        [3, 0],
        [0, 4],
      ],
      1,
    );
    expect(r.norm.item()).toBeCloseTo(5, 6);
    const s = 1 / (5 + 1e-6);
    expect(r.c0.toArray()[0]).toBeCloseTo(3 * s, 6);
    expect(r.c1.toArray()[1]).toBeCloseTo(4 * s, 6);
  });
  it('leaves small gradients unchanged', async () => {
    const r = await clip([[0.3, 0.4]], 1);
    expect(r.c0.toArray()).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
});

describe('learning-rate schedules', () => {
  it('constant', () => expect(constant(0.1)(1234)).toBe(0.1));
  it('linear warmup', () => {
    const f = linearWarmup(1e-3, 9);
    expect(f(0)).toBeCloseTo(1e-4, 12);
    expect(f(8)).toBeCloseTo(9e-4, 12);
    expect(f(9)).toBe(1e-3);
    expect(f(500)).toBe(1e-3);
  });
  it('cosine with warmup (nanoGPT get_lr)', () => {
    const f = cosine(1e-3, { warmupSteps: 100, totalSteps: 1100, minLr: 1e-4 });
    expect(f(0)).toBeCloseTo(1e-3 / 101, 12);
    expect(f(100)).toBeCloseTo(1e-3, 12);
    expect(f(600)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 12); // halfway: cos(pi/2) = 0
    expect(f(1100)).toBeCloseTo(1e-4, 12);
    expect(f(5000)).toBe(1e-4);
    expect(() => cosine(1, { warmupSteps: 10, totalSteps: 10 })).toThrow('must exceed warmupSteps');
  });
});
