import { beforeAll, describe, expect, it } from 'vitest';
import { DTypeError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import type { Dim } from '../graph/shape.js';
import { add } from '../ops/elementwise.js';
import { Rng } from '../rng.js';
import { sizeOf, Tensor } from '../tensor.js';
import { gradcheck } from '../testing/gradcheck.js';
import { adam, adamw } from './adam.js';
import {
  noDecayOnBiasAndNorm,
  type Optimizer,
  type ParamGroupOptions,
  paramGroups,
} from './optimizer.js';
import { sgd } from './sgd.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const LRS = [0.1, 0.05, 0.02];

// ---- Plain float64 re-implementations of torch.optim's per-element updates. ----

interface RefOpts {
  kind: 'sgd' | 'adam' | 'adamw';
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  wd?: number;
  b1?: number;
  b2?: number;
  eps?: number;
  /** Group lr multiplier. */
  lrMul?: number;
}

/** Parameters and state after each step: out[t].p, out[t].state[name], flat float64. */
type Trace = { p: number[]; state: Record<string, number[]> }[];

function reference(o: RefOpts, p0: ArrayLike<number>, grads: ArrayLike<number>[]): Trace {
  const { momentum = 0, dampening = 0, nesterov = false, wd = 0, lrMul = 1 } = o;
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8 } = o;
  const p = Array.from(p0);
  const buf = p.map(() => 0);
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  return grads.map((gs, t) => {
    const lr = Math.fround(LRS[t]) * lrMul;
    const step = t + 1;
    for (let i = 0; i < p.length; i++) {
      let g = gs[i];
      if (o.kind === 'sgd') {
        g += wd * p[i];
        if (momentum > 0) {
          buf[i] = step === 1 ? g : momentum * buf[i] + (1 - dampening) * g;
          g = nesterov ? g + momentum * buf[i] : buf[i];
        }
        p[i] -= lr * g;
        continue;
      }
      if (o.kind === 'adamw') p[i] *= 1 - lr * wd;
      else g += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const mHat = m[i] / (1 - b1 ** step);
      const vHat = v[i] / (1 - b2 ** step);
      p[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
    const state: Record<string, number[]> =
      o.kind === 'sgd'
        ? momentum > 0
          ? { momentum_buffer: [...buf] }
          : {}
        : { exp_avg: [...m], exp_avg_sq: [...v] };
    return { p: [...p], state };
  });
}

// ---- The traced update, run three times with outputs fed back as inputs. ----

interface ParamCase {
  name: string;
  shape: number[];
  dims?: Dim[];
  p0: Float32Array;
  /** One gradient per step. */
  grads: Float32Array[];
}

function randomParam(name: string, shape: number[], seed: number, dims?: Dim[]): ParamCase {
  const rng = new Rng(seed);
  const n = sizeOf(shape);
  return { name, shape, dims, p0: rng.normal(n), grads: LRS.map(() => rng.normal(n, 0, 0.5)) };
}

async function runGraph(
  opt: Optimizer,
  params: ParamCase[],
  groups: (name: string, rank: number) => ParamGroupOptions = () => ({}),
): Promise<Record<string, Trace>> {
  const g = new Graph('opt');
  const lr = g.input('lr', 'float32', []);
  const step = g.input('step', 'float32', []);
  const specs = opt.stateSpecs();
  const outputs: Record<string, Value> = {};
  for (const c of params) {
    const dims = c.dims ?? c.shape;
    const value = g.input(c.name, 'float32', dims);
    const grad = g.input(`${c.name}.grad`, 'float32', dims);
    const state = Object.fromEntries(
      specs.map((s) => [s.name, g.input(`${c.name}:${s.name}`, 'float32', dims)]),
    );
    const group = groups(c.name, dims.length);
    const u = opt.update({ name: c.name, value, grad, group }, state, { lr, step });
    outputs[`next:${c.name}`] = u.param;
    for (const s of specs) outputs[`next:${c.name}:${s.name}`] = u.state[s.name];
  }
  const exe = await rt.compile(g, outputs);
  const feeds: Record<string, Tensor> = {};
  for (const c of params) {
    feeds[c.name] = new Tensor('float32', c.shape, c.p0);
    for (const s of specs) feeds[`${c.name}:${s.name}`] = Tensor.zeros(c.shape);
  }
  const traces: Record<string, Trace> = Object.fromEntries(params.map((c) => [c.name, []]));
  for (let t = 0; t < LRS.length; t++) {
    for (const c of params) feeds[`${c.name}.grad`] = new Tensor('float32', c.shape, c.grads[t]);
    const r = await exe.runHost({
      ...feeds,
      lr: Tensor.scalar(LRS[t]),
      step: Tensor.scalar(t + 1),
    });
    for (const c of params) {
      feeds[c.name] = r[`next:${c.name}`];
      for (const s of specs) feeds[`${c.name}:${s.name}`] = r[`next:${c.name}:${s.name}`];
      traces[c.name].push({
        p: r[`next:${c.name}`].toArray(),
        state: Object.fromEntries(
          specs.map((s) => [s.name, feeds[`${c.name}:${s.name}`].toArray()]),
        ),
      });
    }
  }
  await exe.dispose();
  return traces;
}

/** |got - want| <= tol * max(1, |want|) for parameters; state relative to its own scale. */
function expectTrace(got: Trace, want: Trace, tol = 1e-6): void {
  want.forEach((w, t) => {
    w.p.forEach((x, i) => {
      const err = Math.abs(got[t].p[i] - x);
      expect(err, `step ${t + 1} param[${i}]: ${got[t].p[i]} vs ${x}`).toBeLessThanOrEqual(
        tol * Math.max(1, Math.abs(x)),
      );
    });
    expect(Object.keys(got[t].state).sort()).toEqual(Object.keys(w.state).sort());
    for (const [k, xs] of Object.entries(w.state)) {
      const scale = Math.max(...xs.map(Math.abs));
      xs.forEach((x, i) => {
        const err = Math.abs(got[t].state[k][i] - x);
        expect(err, `step ${t + 1} ${k}[${i}]: ${got[t].state[k][i]} vs ${x}`).toBeLessThanOrEqual(
          tol * scale,
        );
      });
    }
  });
}

// ---- The references themselves, against numbers worked out by hand. ----

const P0 = Float32Array.of(0.5, -1.25, 2);
const G = [Float32Array.of(0.1, -0.2, 0.3), Float32Array.of(-0.05, 0.4, 0.25)];
const f = Math.fround;

describe('the float64 references match hand-computed updates', () => {
  it('adam step 1 moves each weight by lr * g / (|g| + eps), about lr * sign(g)', () => {
    const [s1] = reference({ kind: 'adam' }, P0, G);
    expect(s1.p[0]).toBeCloseTo(0.5 - f(0.1) * (f(0.1) / (f(0.1) + 1e-8)), 12);
    expect(s1.p[0]).toBeCloseTo(0.4, 6);
    expect(s1.p[1]).toBeCloseTo(-1.15, 6);
    expect(s1.p[2]).toBeCloseTo(1.9, 6);
  });
  it('adam step 2: m = 0.004, v = 1.249e-5, p = 0.40000001 - 0.05 * (0.004/0.19) / sqrt(1.249e-5/0.001999)', () => {
    const [, s2] = reference({ kind: 'adam' }, P0, G);
    expect(s2.state.exp_avg[0]).toBeCloseTo(0.004, 8);
    expect(s2.state.exp_avg_sq[0]).toBeCloseTo(1.249e-5, 10);
    expect(s2.p[0]).toBeCloseTo(0.38668316, 7);
  });
  it('adamw step 1: p = -1.25 * (1 - 0.1 * 0.1) + 0.1 = -1.1375', () => {
    const [s1] = reference({ kind: 'adamw', wd: 0.1 }, P0, G);
    expect(s1.p[1]).toBeCloseTo(-1.1375, 6);
  });
  it('sgd momentum 0.9 step 2: p = 0.5 - 0.1 * 0.1 - 0.05 * (0.9 * 0.1 - 0.05) = 0.488', () => {
    expect(reference({ kind: 'sgd', momentum: 0.9 }, P0, G)[1].p[0]).toBeCloseTo(0.488, 8);
  });
  it('sgd momentum 0.8, dampening 0.3, wd 0.1 step 2: buf = 0.8 * 0.15 + 0.7 * -0.0015, p = 0.4790525', () => {
    const [, s2] = reference({ kind: 'sgd', momentum: 0.8, dampening: 0.3, wd: 0.1 }, P0, G);
    expect(s2.state.momentum_buffer[0]).toBeCloseTo(0.11895, 8);
    expect(s2.p[0]).toBeCloseTo(0.4790525, 8);
  });
  it('sgd nesterov 0.9 step 2: p = 0.481 - 0.05 * (-0.05 + 0.9 * 0.04) = 0.4817', () => {
    expect(reference({ kind: 'sgd', momentum: 0.9, nesterov: true }, P0, G)[1].p[0]).toBeCloseTo(
      0.4817,
      8,
    );
  });
});

// ---- The traced optimizers against the references: optimizer x shape. ----

const optimizers: [string, () => Optimizer, RefOpts][] = [
  ['sgd', () => sgd(), { kind: 'sgd' }],
  ['sgd weightDecay 0.1', () => sgd({ weightDecay: 0.1 }), { kind: 'sgd', wd: 0.1 }],
  ['sgd momentum 0.9', () => sgd({ momentum: 0.9 }), { kind: 'sgd', momentum: 0.9 }],
  [
    'sgd momentum 0.8 dampening 0.3 weightDecay 0.1',
    () => sgd({ momentum: 0.8, dampening: 0.3, weightDecay: 0.1 }),
    { kind: 'sgd', momentum: 0.8, dampening: 0.3, wd: 0.1 },
  ],
  [
    'sgd nesterov momentum 0.9 weightDecay 0.01',
    () => sgd({ momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
    { kind: 'sgd', momentum: 0.9, nesterov: true, wd: 0.01 },
  ],
  ['adam', () => adam(), { kind: 'adam' }],
  [
    'adam betas [0.5, 0.999] weightDecay 0.05 (L2)',
    () => adam({ betas: [0.5, 0.999], weightDecay: 0.05 }),
    { kind: 'adam', b1: 0.5, wd: 0.05 },
  ],
  [
    'adam betas [0.9, 0.9999] eps 1e-6 (bias correction near 1)',
    () => adam({ betas: [0.9, 0.9999], eps: 1e-6 }),
    { kind: 'adam', b2: 0.9999, eps: 1e-6 },
  ],
  ['adam betas [0, 0.99]', () => adam({ betas: [0, 0.99] }), { kind: 'adam', b1: 0, b2: 0.99 }],
  ['adamw (default weightDecay 0.01)', () => adamw(), { kind: 'adamw', wd: 0.01 }],
  [
    'adamw betas [0.9, 0.99] weightDecay 0.1',
    () => adamw({ betas: [0.9, 0.99], weightDecay: 0.1 }),
    { kind: 'adamw', b2: 0.99, wd: 0.1 },
  ],
];

const shapes: [string, number[], Dim[] | undefined][] = [
  ['[3]', [3], undefined],
  ['[2,3]', [2, 3], undefined],
  ['size-1 dims [1,4,1]', [1, 4, 1], undefined],
  ['symbolic [batch,3]', [2, 3], ['batch', 3]],
];

describe('optimizers match the float64 PyTorch references over 3 steps to 1e-6', () => {
  for (const [name, make, ref] of optimizers) {
    for (const [sname, shape, dims] of shapes) {
      it(`${name} ${sname}`, async () => {
        const c = randomParam('w', shape, shape.length * 7 + 1, dims);
        const got = await runGraph(make(), [c]);
        expectTrace(got.w, reference(ref, c.p0, c.grads));
      });
    }
  }
  it('the fixed hand-checked data through the graph: adam step 2 = 0.38668316', async () => {
    const c: ParamCase = { name: 'w', shape: [3], p0: P0, grads: [...G, G[0]] };
    const got = await runGraph(adam(), [c]);
    expect(got.w[1].p[0]).toBeCloseTo(0.38668316, 6);
  });
});

describe('parameter groups', () => {
  it('noDecayOnBiasAndNorm: adamw decays the [3,2] weight but not the [3] bias', async () => {
    const w = randomParam('fc.weight', [3, 2], 1);
    const b = randomParam('fc.bias', [3], 2);
    const got = await runGraph(adamw({ weightDecay: 0.1 }), [w, b], noDecayOnBiasAndNorm);
    expectTrace(got['fc.weight'], reference({ kind: 'adamw', wd: 0.1 }, w.p0, w.grads));
    expectTrace(got['fc.bias'], reference({ kind: 'adamw', wd: 0 }, b.p0, b.grads));
  });
  it('a group lr multiplier and weight decay override the optimizer defaults', async () => {
    const groups = paramGroups([
      { match: (n) => n.startsWith('embed'), options: { lr: 0.5, weightDecay: 0.2 } },
    ]);
    const e = randomParam('embed.weight', [4, 2], 3);
    const h = randomParam('head.weight', [2, 4], 4);
    const opt = () => sgd({ momentum: 0.9, weightDecay: 0.01 });
    const got = await runGraph(opt(), [e, h], groups);
    const base = { kind: 'sgd', momentum: 0.9 } as const;
    expectTrace(got['embed.weight'], reference({ ...base, wd: 0.2, lrMul: 0.5 }, e.p0, e.grads));
    expectTrace(got['head.weight'], reference({ ...base, wd: 0.01 }, h.p0, h.grads));
  });
  it('paramGroups: first matching rule wins, unmatched parameters get {}', () => {
    const pick = paramGroups([
      { match: (n) => n.endsWith('.bias'), options: { weightDecay: 0 } },
      { match: (_n, rank) => rank < 2, options: { lr: 2 } },
    ]);
    expect(pick('fc.bias', 1)).toEqual({ weightDecay: 0 });
    expect(pick('ln.weight', 1)).toEqual({ lr: 2 });
    expect(pick('fc.weight', 2)).toEqual({});
    expect(noDecayOnBiasAndNorm('norm.weight', 1)).toEqual({ weightDecay: 0 });
    expect(noDecayOnBiasAndNorm('conv.weight', 4)).toEqual({});
  });
});

describe('optimizer updates are differentiable (gradcheck of the update)', () => {
  const inputs = (dims: Dim[], shape: number[], names: string[]) => ({
    p: { shape, dims },
    g: { shape, dims },
    ...Object.fromEntries(
      names.map((n) => [n, { shape, dims, data: (r: Rng, k: number) => r.uniform(k, 0.5, 2) }]),
    ),
    lr: { shape: [], data: Tensor.scalar(0.1), check: false },
    step: { shape: [], data: Tensor.scalar(3), check: false },
  });
  const cases: [string, () => Optimizer][] = [
    [
      'sgd nesterov weightDecay 0.1',
      () => sgd({ momentum: 0.9, nesterov: true, weightDecay: 0.1 }),
    ],
    ['adam weightDecay 0.05', () => adam({ weightDecay: 0.05 })],
    ['adamw', () => adamw({ weightDecay: 0.1 })],
  ];
  for (const [name, make] of cases) {
    for (const [sname, shape, dims] of shapes) {
      it(`${name} ${sname}`, async () => {
        const opt = make();
        const names = opt.stateSpecs().map((s) => s.name);
        const r = await gradcheck(rt, inputs(dims ?? shape, shape, names), (x) => {
          const state = Object.fromEntries(names.map((n) => [n, x[n]]));
          const u = opt.update({ name: 'p', value: x.p, grad: x.g, group: {} }, state, {
            lr: x.lr,
            step: x.step,
          });
          return names.reduce((acc, n) => add(acc, u.state[n]), u.param);
        });
        expect(r.ok, r.message).toBe(true);
      });
    }
  }
});

describe('errors', () => {
  const slot = (shapes: { p?: number[]; g?: number[]; m?: number[]; lr?: number[] }) => {
    const g = new Graph('bad');
    const value = g.input('p', 'float32', shapes.p ?? [3]);
    const grad = g.input('g', 'float32', shapes.g ?? [3]);
    const m = g.input('m', 'float32', shapes.m ?? [3]);
    const v = g.input('v', 'float32', [3]);
    const lr = g.input('lr', 'float32', shapes.lr ?? []);
    const step = g.input('step', 'float32', []);
    return () =>
      g.scope('fc', () =>
        adam().update(
          { name: 'fc.weight', value, grad, group: {} },
          { exp_avg: m, exp_avg_sq: v },
          {
            lr,
            step,
          },
        ),
      );
  };
  it('a gradient of another shape is a ShapeError naming the parameter and both shapes', () => {
    const run = slot({ g: [1, 3] });
    expect(run).toThrow(ShapeError);
    expect(run).toThrow("fc: adam: parameter 'fc.weight' is [3] but its gradient is [1,3]");
  });
  it('a state of another shape, or a missing state, is a ShapeError', () => {
    expect(slot({ m: [4] })).toThrow("its state 'exp_avg' is [4]");
    const g = new Graph('missing');
    const p = g.input('p', 'float32', [2]);
    const s = g.input('s', 'float32', []);
    expect(() =>
      sgd({ momentum: 0.9 }).update(
        { name: 'b', value: p, grad: p, group: {} },
        {},
        { lr: s, step: s },
      ),
    ).toThrow("sgd: parameter 'b' has no state 'momentum_buffer'");
  });
  it('a non-scalar lr is a ShapeError; an int64 gradient a DTypeError', () => {
    expect(slot({ lr: [1] })).toThrow('adam: lr must be a scalar [], got [1]');
    const g = new Graph('int');
    const p = g.input('p', 'float32', [2]);
    const gi = g.input('g', 'int64', [2]);
    const s = g.input('s', 'float32', []);
    expect(() =>
      sgd().update({ name: 'b', value: p, grad: gi, group: {} }, {}, { lr: s, step: s }),
    ).toThrow(DTypeError);
  });
  it('bad hyper-parameters and group options are RangeErrors', () => {
    expect(() => sgd({ nesterov: true })).toThrow('Nesterov momentum requires momentum > 0');
    expect(() => sgd({ momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow('dampening 0');
    expect(() => sgd({ momentum: -1 })).toThrow('momentum must be >= 0');
    expect(() => adam({ betas: [1, 0.9] })).toThrow('betas must be two numbers in [0, 1)');
    expect(() => adamw({ eps: -1 })).toThrow('eps (-1)');
    const g = new Graph('grp');
    const p = g.input('p', 'float32', [2]);
    const s = g.input('s', 'float32', []);
    expect(() =>
      sgd().update({ name: 'b', value: p, grad: p, group: { lr: -1 } }, {}, { lr: s, step: s }),
    ).toThrow(RangeError);
  });
  it('config is serializable and kind names the optimizer', () => {
    expect(sgd({ momentum: 0.9 }).config).toEqual({
      momentum: 0.9,
      dampening: 0,
      nesterov: false,
      weightDecay: 0,
    });
    expect(adamw().kind).toBe('adamw');
    expect(JSON.parse(JSON.stringify(adamw().config))).toEqual({
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
    });
    expect(adam().stateSpecs()).toEqual([
      { name: 'exp_avg', init: 'zeros' },
      { name: 'exp_avg_sq', init: 'zeros' },
    ]);
    expect(sgd().stateSpecs()).toEqual([]);
  });
});
