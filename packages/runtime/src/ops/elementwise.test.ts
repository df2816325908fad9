import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import type { Value } from '../graph/graph.js';
import { type GradcheckCase, gradcheckCases } from '../testing/cases.js';
import { type GradcheckInput, gradcheck } from '../testing/gradcheck.js';
import * as E from './elementwise.js';

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

const positive = (
  rng: { uniform: (n: number, lo: number, hi: number) => Float32Array },
  n: number,
) => rng.uniform(n, 0.5, 2);

const bin =
  (b: Partial<GradcheckInput> = {}, a: Partial<GradcheckInput> = {}) =>
  (sa: number[], sb: number[], da?: (string | number)[]): Record<string, GradcheckInput> => ({
    a: { shape: sa, dims: da, ...a },
    b: { shape: sb, ...b },
  });

const binaryCases: [
  string,
  (a: Value, b: Value) => Value,
  Partial<GradcheckInput>,
  Partial<GradcheckInput>,
][] = [
  ['add', E.add, {}, {}],
  ['sub', E.sub, {}, {}],
  ['mul', E.mul, {}, {}],
  ['div', E.div, { data: positive }, {}],
  ['pow', E.pow, {}, { data: positive }],
  ['maximum', E.maximum, {}, {}],
  ['minimum', E.minimum, {}, {}],
];
const shapes: [string, number[], number[], (string | number)[] | undefined][] = [
  ['same shape', [3, 4], [3, 4], undefined],
  ['broadcast row', [3, 4], [4], undefined],
  ['size-1 dims', [3, 1, 4], [1, 5, 1], undefined],
  ['symbolic batch', [3, 4], [1, 4], ['batch', 4]],
];

describe('elementwise binary gradients', () => {
  for (const [name, f, bSpec, aSpec] of binaryCases) {
    for (const [sname, sa, sb, da] of shapes) {
      it(`${name} ${sname}`, async () => {
        const r = await gradcheck(rt, bin(bSpec, aSpec)(sa, sb, da), (x) => f(x.a, x.b));
        expect(r.ok, r.message).toBe(true);
      });
    }
  }
});

const unaryCases: GradcheckCase[] = [
  ['neg', { x: { shape: [2, 3] } }, (x) => E.neg(x.x)],
  ['sqrt', { x: { shape: [2, 3], data: positive } }, (x) => E.sqrt(x.x)],
  ['exp', { x: { shape: [2, 3] } }, (x) => E.exp(x.x)],
  ['log', { x: { shape: [2, 3], data: positive } }, (x) => E.log(x.x)],
  ['abs', { x: { shape: [2, 3] } }, (x) => E.abs(x.x)],
  ['reciprocal', { x: { shape: [2, 3], data: positive } }, (x) => E.reciprocal(x.x)],
  ['sin', { x: { shape: [2, 3] } }, (x) => E.sin(x.x)],
  ['cos', { x: { shape: [2, 3] } }, (x) => E.cos(x.x)],
  ['clip', { x: { shape: [4, 5] } }, (x) => E.clip(x.x, -0.5, 0.7)],
  [
    'where',
    { x: { shape: [3, 4] }, y: { shape: [4] } },
    (x) => E.where(E.greater(x.x, 0), x.x, x.y),
  ],
  ['square symbolic', { x: { shape: [3, 2], dims: ['batch', 2] } }, (x) => E.square(x.x)],
  ['cast float->float', { x: { shape: [3] } }, (x) => E.mul(E.cast(x.x, 'float32'), x.x)],
];

gradcheckCases(() => rt, 'elementwise unary gradients', unaryCases);
