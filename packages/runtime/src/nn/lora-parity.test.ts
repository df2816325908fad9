/**
 * LoRA step parity with PyTorch: scripts/lora_parity.py (PyTorch 1.13, LoRA written out as
 * PEFT defines it) takes 3 Adam steps on the adapters of two small models (Conv2d + Linear
 * layers; a MultiheadAttention whose fused in_proj carries an adapter, like GPT-2's c_attn,
 * plus out_proj) and saves the adapters after each step. The same steps here, with the
 * frozen weights outside the step's state (`frozen: 'fixed'`), must agree to float32
 * round-off; the base weights must come back bit for bit.
 *
 * Round-off is judged against the script's float64 run of the same steps (the exact
 * answer): elementwise errors are measured as in parity.test.ts (relative, with a floor of
 * 0.1 x max|tensor|), and ours must be within RTOL = 1e-5 of float64, or no further from it
 * than twice PyTorch float32's own error. Adam divides each gradient entry by its own
 * magnitude, so entries whose gradient is itself at round-off level (attention's key
 * projection) move by round-off-sized amounts of lr, in both frameworks alike.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import type { Value } from '../graph/graph.js';
import { relu, tanh } from '../ops/activation.js';
import { square, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { flatten } from '../ops/shape.js';
import { adam } from '../optim/adam.js';
import { Rng } from '../rng.js';
import { sameTensor, Tensor } from '../tensor.js';
import { compileTrainStep } from '../train/train-step.js';
import { MultiheadAttention } from './attention.js';
import { Conv2d } from './conv.js';
import { Linear } from './linear.js';
import { addLora } from './lora.js';
import { Module } from './module.js';

const RTOL = 1e-5;
const FLOOR = 0.1;

interface Encoded {
  dtype: 'float32' | 'float64';
  shape: number[];
  data: string;
}

interface LoraFixture {
  rank: number;
  alpha: number;
  lr: number;
  state_dict: Record<string, Encoded>;
  inputs: Record<string, Encoded>;
  steps: {
    loss: number;
    adapters: Record<string, Encoded>;
    adapters_float64: Record<string, Encoded>;
  }[];
}

const decode = (t: Encoded) =>
  new Tensor(
    'float32',
    t.shape,
    new Float32Array(Uint8Array.from(Buffer.from(t.data, 'base64')).buffer),
  );
const decodeAll = (r: Record<string, Encoded>) =>
  Object.fromEntries(Object.entries(r).map(([k, t]) => [k, decode(t)]));

function fixture(name: string): LoraFixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
}

const float64 = (t: Encoded): number[] => [
  ...new Float64Array(Uint8Array.from(Buffer.from(t.data, 'base64')).buffer),
];

/** Largest |x - y| / max(|y|, FLOOR * max|y|), as parity.test.ts. */
function relError(x: ArrayLike<number>, y: number[]): number {
  const floor = FLOOR * Math.max(...y.map(Math.abs), Number.MIN_VALUE);
  return Math.max(...y.map((v, i) => Math.abs(x[i] - v) / Math.max(Math.abs(v), floor)));
}

class ConvMlp extends Module {
  readonly conv: Conv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(rng: Rng) {
    super();
    this.conv = new Conv2d(3, 4, 3, { stride: 2, padding: 1, rng });
    this.fc1 = new Linear(36, 16, { rng });
    this.fc2 = new Linear(16, 5, { rng });
  }
  forward(x: Value): Value {
    const h = flatten(relu(this.conv.call(x)), 1);
    return this.fc2.call(tanh(this.fc1.call(h)));
  }
}

class Attention extends MultiheadAttention {
  constructor(rng: Rng) {
    super(8, 2, { rng });
  }
}

const cases: {
  name: string;
  make: () => Module;
  targets: (string | RegExp)[];
  forward: (m: Module, x: Value) => Value;
}[] = [
  {
    name: 'lora_conv_mlp',
    make: () => new ConvMlp(new Rng(0)),
    targets: ['conv.weight', 'fc1.weight', 'fc2.weight'],
    forward: (m, x) => (m as ConvMlp).call(x),
  },
  {
    name: 'lora_attention',
    make: () => new Attention(new Rng(0)),
    targets: [/in_proj_weight$/, 'out_proj.weight'],
    forward: (m, x) => (m as Attention).call(x).output,
  },
];

let rt: Runtime;
/** Per case: max relative difference ours vs torch float32, ours vs float64, torch float32 vs float64. */
const report: Record<string, [number, number, number]> = {};
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});
afterAll(() => {
  console.info(
    `LoRA parity over 3 steps, max relative difference (ours-torch32, ours-float64, torch32-float64):\n${Object.entries(
      report,
    )
      .map(([k, v]) => `  ${k.padEnd(16)} ${v.map((e) => e.toExponential(2)).join('  ')}`)
      .join('\n')}`,
  );
});

describe('LoRA step parity with PyTorch (3 Adam steps)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const fx = fixture(c.name);
      const sd = decodeAll(fx.state_dict);
      const model = c.make();
      const lora = addLora(model, {
        rank: fx.rank,
        alpha: fx.alpha,
        targets: c.targets,
        rng: new Rng(1),
      });
      const adapterKeys = Object.keys(lora.stateDict());
      model.loadStateDict(sd);
      const base = Object.fromEntries(Object.entries(sd).filter(([k]) => !adapterKeys.includes(k)));
      const { x, y } = decodeAll(fx.inputs);
      const step = await compileTrainStep(rt, {
        module: model,
        trainable: lora.trainable,
        frozen: 'fixed',
        inputs: {
          x: { dtype: 'float32', shape: x.shape },
          y: { dtype: 'float32', shape: y.shape },
        },
        loss: (_, b) => mean(square(sub(c.forward(model, b.x), b.y))),
        optimizer: adam(),
      });
      let worst = 0;
      let worstExact = 0;
      let worstTorch = 0;
      for (const [i, want] of fx.steps.entries()) {
        const { loss } = await step.run({ x, y }, { lr: fx.lr });
        expect(Math.abs(loss - want.loss)).toBeLessThanOrEqual(RTOL * Math.abs(want.loss));
        const got = await step.parameters();
        expect(Object.keys(got).sort()).toEqual(Object.keys(want.adapters).sort());
        for (const [k, t] of Object.entries(want.adapters)) {
          expect(got[k].shape).toEqual(t.shape);
          const exact = float64(want.adapters_float64[k]);
          const ours = relError(got[k].toArray(), exact);
          const torch = relError(decode(t).toArray(), exact);
          worst = Math.max(worst, relError(got[k].toArray(), decode(t).toArray()));
          worstExact = Math.max(worstExact, ours);
          worstTorch = Math.max(worstTorch, torch);
          expect(ours, `step ${i + 1} ${k}: torch float32 ${torch}`).toBeLessThanOrEqual(
            Math.max(RTOL, 2 * torch),
          );
        }
      }
      report[c.name] = [worst, worstExact, worstTorch];
      // The step's state is the adapters and their Adam moments, nothing of the base model.
      const state = await step.getState();
      expect(Object.keys(state.params).sort()).toEqual([...adapterKeys].sort());
      for (const k of Object.keys(state.optimizer))
        expect(adapterKeys).toContain(k.slice(0, k.lastIndexOf(':')));
      await step.syncTo(model);
      for (const [k, t] of Object.entries(base))
        expect(sameTensor(model.stateDict()[k], t), k).toBe(true);
      await step.dispose();
    });
  }
});
