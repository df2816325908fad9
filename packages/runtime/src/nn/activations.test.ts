import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import { Tensor } from '../tensor.js';
import { compileModule, gradcheckModule } from '../testing/module.js';
import { GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh } from './activations.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const erf = (x: number) => {
  // Abramowitz-Stegun 7.1.26 is too coarse; integrate exp(-t^2) by Simpson's rule.
  const n = 2000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
};

type Activation = ReLU | LeakyReLU | GELU | SiLU | Sigmoid | Tanh | Softplus;

const cases: [string, () => Activation, (x: number) => number][] = [
  ['ReLU', () => new ReLU(), (x) => Math.max(x, 0)],
  ['LeakyReLU(0.2)', () => new LeakyReLU(0.2), (x) => (x > 0 ? x : 0.2 * x)],
  ['LeakyReLU()', () => new LeakyReLU(), (x) => (x > 0 ? x : 0.01 * x)],
  ['GELU()', () => new GELU(), (x) => 0.5 * x * (1 + erf(x / Math.SQRT2))],
  [
    "GELU('tanh')",
    () => new GELU('tanh'),
    (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  ],
  ['SiLU', () => new SiLU(), (x) => x / (1 + Math.exp(-x))],
  ['Sigmoid', () => new Sigmoid(), (x) => 1 / (1 + Math.exp(-x))],
  ['Tanh', () => new Tanh(), Math.tanh],
  ['Softplus()', () => new Softplus(), (x) => (x > 20 ? x : Math.log1p(Math.exp(x)))],
  [
    'Softplus(2, 5)',
    () => new Softplus(2, 5),
    (x) => (2 * x > 5 ? x : Math.log1p(Math.exp(2 * x)) / 2),
  ],
];

const xs = [-30, -4, -1.3, -0.2, 0.1, 0.7, 2.4, 2.6, 9, 25];

describe('activation modules', () => {
  for (const [name, make, ref] of cases) {
    it(`${name} matches its formula, has no tensors, and passes gradcheck`, async () => {
      const m = make();
      expect(m.namedTensors()).toEqual([]);
      const c = await compileModule(
        rt,
        m,
        { x: { dtype: 'float32', shape: [xs.length] } },
        (v) => ({ y: m.call(v.x) }),
      );
      const y = (await c.run({ x: Tensor.from(xs) })).y.toArray();
      y.forEach((v, i) => {
        expect(Math.abs(v - ref(xs[i]))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v)));
      });
      await c.exe.dispose();
      const r = await gradcheckModule(
        rt,
        m,
        {
          x: {
            shape: [3, 4],
            data: (rng, n) => rng.uniform(n, 0.2, 2).map((v, i) => (i % 2 ? v : -v)),
          },
        },
        (v) => m.call(v.x),
      );
      expect(r.ok, r.message).toBe(true);
    });
  }

  it('Softplus rejects beta <= 0', () => {
    expect(() => new Softplus(0)).toThrow(/beta must be > 0/);
  });
});
