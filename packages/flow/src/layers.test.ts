import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActNorm } from './actnorm.js';
import { AffineCoupling, couplingSplits } from './coupling.js';
import { FlowError } from './errors.js';
import type { FlowLayer } from './layer.js';
import { invert, luDecompose, matmul, randomOrthogonal } from './linalg.js';
import { LogitTransform } from './logit.js';
import { LuMixing } from './mixing.js';
import { finiteDifferenceLogdet, jacobianLogdet, perturb } from './testing.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
});

const D = 5;
const points = (n: number, seed: number) =>
  new Tensor('float32', [n, D], new Rng(seed).normal([n, D]));
const unit = (n: number, seed: number) =>
  new Tensor('float32', [n, D], new Rng(seed).uniform([n, D], 0.02, 0.98));

const cases: [string, () => FlowLayer, () => Tensor<'float32'>][] = [
  [
    'affine coupling (alternating)',
    () => {
      const c = new AffineCoupling(D, couplingSplits(D, 2, 'alternating', 0, new Rng(0))[1], {
        hidden: 8,
        depth: 2,
        rng: new Rng(1),
      });
      perturb(c, 2);
      return c;
    },
    () => points(6, 3),
  ],
  [
    'affine coupling (permuted)',
    () => {
      const c = new AffineCoupling(D, couplingSplits(D, 1, 'permuted', 0, new Rng(4))[0], {
        hidden: 8,
        depth: 1,
        rng: new Rng(5),
      });
      perturb(c, 6, 0.5);
      return c;
    },
    () => points(6, 7),
  ],
  [
    'ActNorm',
    () => {
      const a = new ActNorm(D);
      perturb(a, 8, 0.5);
      return a;
    },
    () => points(6, 9),
  ],
  [
    'LU 1x1 mixing',
    () => {
      const m = new LuMixing(D, new Rng(10));
      perturb(m, 11, 0.2);
      return m;
    },
    () => points(6, 12),
  ],
  ['logit transform (alpha 1e-6)', () => new LogitTransform(1e-6), () => unit(6, 13)],
  ['logit transform (alpha 0.05)', () => new LogitTransform(0.05), () => unit(6, 14)],
];

describe('log-determinants against the Jacobian', () => {
  for (const [name, make, data] of cases) {
    it(`${name}: exact (autograd) and finite-difference Jacobians`, async () => {
      const layer = make();
      const x = data();
      const { fromJacobian, reported } = await jacobianLogdet(rt, layer, x);
      for (let n = 0; n < fromJacobian.length; n++)
        expect(Math.abs(reported[n] - fromJacobian[n])).toBeLessThan(
          1e-4 * (1 + Math.abs(fromJacobian[n])),
        );
      const fd = await finiteDifferenceLogdet(rt, layer, x, name.startsWith('logit') ? 1e-3 : 1e-2);
      for (let n = 0; n < fd.length; n++) expect(Math.abs(reported[n] - fd[n])).toBeLessThan(2e-2);
      // Not trivially zero: every case has a non-identity Jacobian.
      expect(reported.some((v) => Math.abs(v) > 1e-2)).toBe(true);
    });
  }
});

describe('AffineCoupling', () => {
  it('starts as the identity (zero-initialized last layer)', async () => {
    const c = new AffineCoupling(D, couplingSplits(D, 1, 'alternating', 0, new Rng(0))[0], {
      hidden: 8,
      depth: 2,
      rng: new Rng(1),
    });
    const x = points(4, 0);
    const { reported } = await jacobianLogdet(rt, c, x);
    expect(reported).toEqual([0, 0, 0, 0]);
  });

  it('masks: alternating flips, checkerboard for images, permuted halves; bad splits refused', () => {
    const alt = couplingSplits(4, 2, 'alternating', 0, new Rng(0));
    expect(alt).toEqual([
      { keep: [0, 2], change: [1, 3] },
      { keep: [1, 3], change: [0, 2] },
    ]);
    const img = couplingSplits(4, 1, 'alternating', 2, new Rng(0))[0];
    expect(img).toEqual({ keep: [0, 3], change: [1, 2] }); // 2x2 checkerboard
    const perm = couplingSplits(6, 3, 'permuted', 0, new Rng(0));
    for (const s of perm) {
      expect(s.keep.length).toBe(3);
      expect([...s.keep, ...s.change].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    }
    expect(
      () =>
        new AffineCoupling(
          3,
          { keep: [0, 0], change: [2] },
          { hidden: 2, depth: 1, rng: new Rng(0) },
        ),
    ).toThrow(FlowError);
  });
});

describe('host linear algebra', () => {
  it('random orthogonal, LU with pivoting and the inverse', () => {
    const d = 6;
    const q = randomOrthogonal(d, new Rng(0));
    const qqt = matmul(
      q,
      Float64Array.from({ length: d * d }, (_, i) => q[(i % d) * d + Math.floor(i / d)]),
      d,
    );
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) expect(qqt[i * d + j]).toBeCloseTo(i === j ? 1 : 0, 12);
    const a = Float64Array.from(new Rng(1).normal(d * d));
    const { lu, perm } = luDecompose(a, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k <= Math.min(i, j); k++)
          s += (k === i ? 1 : lu[i * d + k]) * lu[k * d + j];
        expect(s).toBeCloseTo(a[perm[i] * d + j], 12);
      }
    const ai = matmul(a, invert(a, d), d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) expect(ai[i * d + j]).toBeCloseTo(i === j ? 1 : 0, 10);
  });
});
