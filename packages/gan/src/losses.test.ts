import { Graph, ops, Runtime, Tensor, type Value } from '@genmodels/runtime';
import { gradcheck } from '@genmodels/runtime/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { discriminatorLoss, generatorLoss, gradientPenalty, r1Penalty } from './losses.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

/** A tiny smooth critic with its weights as traced inputs: x [B, 3] -> [B, 1]. */
const critic = (p: Record<string, Value>) => (x: Value) =>
  ops.matmul(ops.tanh(ops.add(ops.matmul(x, p.w1), p.b1)), p.w2);

async function evalScalar(fn: (g: Graph) => Value): Promise<number> {
  const g = new Graph('t');
  const out = fn(g);
  const exe = await rt.compile(g, { out });
  return (await exe.runHost({})).out.data[0] as number;
}

describe('WGAN-GP gradient penalty', () => {
  it('its gradient w.r.t. the critic weights and the inputs matches finite differences', async () => {
    const r = await gradcheck(
      rt,
      {
        w1: { shape: [3, 4] },
        b1: { shape: [4] },
        w2: { shape: [4, 1] },
        real: { shape: [5, 3] },
        fake: { shape: [5, 3] },
        eps: { shape: [5, 1], data: (rng, n) => rng.uniform(n) },
      },
      (x) => gradientPenalty(critic(x), x.real, x.fake, x.eps),
      { seed: 1, directions: 4 },
    );
    expect(r.ok, r.message).toBe(true);
  });

  it('equals (||w|| - 1)^2 for a linear critic D(x) = x w', async () => {
    const w = [0.3, -1.2, 2.0];
    const norm = Math.hypot(...w);
    const gp = await evalScalar((g) => {
      const wv = g.constant(new Tensor('float32', [3, 1], Float32Array.from(w)));
      const real = g.constant(new Tensor('float32', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6)));
      const fake = g.constant(new Tensor('float32', [2, 3], Float32Array.of(0, 1, 0, 1, 0, 1)));
      const eps = g.constant(new Tensor('float32', [2, 1], Float32Array.of(0.25, 0.75)));
      return gradientPenalty((x) => ops.matmul(x, wv), real, fake, eps);
    });
    expect(gp).toBeCloseTo((norm - 1) ** 2, 5);
  });

  it('R1 equals ||w||^2 for a linear critic and its gradient checks', async () => {
    const r1 = await evalScalar((g) => {
      const wv = g.constant(new Tensor('float32', [2, 1], Float32Array.of(3, 4)));
      const real = g.constant(new Tensor('float32', [2, 2], Float32Array.of(1, 2, 3, 4)));
      return r1Penalty((x) => ops.matmul(x, wv), real);
    });
    expect(r1).toBeCloseTo(25, 4);
    const r = await gradcheck(
      rt,
      { w1: { shape: [3, 4] }, b1: { shape: [4] }, w2: { shape: [4, 1] }, real: { shape: [5, 3] } },
      (x) => r1Penalty(critic(x), x.real),
      { seed: 2 },
    );
    expect(r.ok, r.message).toBe(true);
  });
});

describe('adversarial losses', () => {
  const logits = (g: Graph, v: number[]) =>
    g.constant(new Tensor('float32', [v.length, 1], Float32Array.from(v)));
  const real = [2, -1];
  const fake = [0.5, -3];
  const softplus = (x: number) => Math.log1p(Math.exp(x));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

  it.each([
    ['nonsaturating', mean(real.map((x) => softplus(-x))) + mean(fake.map(softplus))],
    [
      'hinge',
      mean(real.map((x) => Math.max(0, 1 - x))) + mean(fake.map((x) => Math.max(0, 1 + x))),
    ],
    ['wgan-gp', mean(fake) - mean(real)],
  ] as const)('D loss %s', async (loss, want) => {
    const got = await evalScalar((g) => discriminatorLoss(loss, logits(g, real), logits(g, fake)));
    expect(got).toBeCloseTo(want, 5);
  });

  it.each([
    ['nonsaturating', mean(fake.map((x) => softplus(-x)))],
    ['hinge', -mean(fake)],
  ] as const)('G loss %s', async (loss, want) => {
    expect(await evalScalar((g) => generatorLoss(loss, logits(g, fake)))).toBeCloseTo(want, 5);
  });
});
