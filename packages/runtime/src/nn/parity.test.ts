/**
 * PyTorch parity: each fixture (written by scripts/make_parity_fixtures.py with
 * PyTorch 1.13) holds a module's state_dict, inputs, outputs and the gradients of
 * sum(output * u) for a fixed random u. The same genmodels module loads the state dict,
 * runs forward and backward through ONNX Runtime, and must agree.
 *
 * Tolerance, elementwise: |ours - torch| <= RTOL * max(|torch|, FLOOR * max|torch tensor|)
 * with RTOL = 1e-5 and FLOOR = 0.1: 1e-5 relative, and for entries below a tenth of their
 * tensor's largest magnitude an absolute floor of 1e-6 * that magnitude. Near-zero
 * entries are float32 sums that cancel (e.g. the key-bias gradient of attention is exactly
 * zero in exact arithmetic), so both frameworks only agree on them up to rounding of
 * the summands, ~1e-7 of the tensor's scale.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grad } from '../autodiff/grad.js';
import { Runtime } from '../exec/runtime.js';
import { Graph, type Value } from '../graph/graph.js';
import { add, mul } from '../ops/elementwise.js';
import { crossEntropy } from '../ops/loss.js';
import { sum } from '../ops/reduce.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { bindModule } from '../testing/module.js';
import { Tanh } from './activations.js';
import { MultiheadAttention } from './attention.js';
import { Sequential } from './containers.js';
import { Conv2d, ConvTranspose2d } from './conv.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import type { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm } from './normalization.js';
import { withTrace } from './trace.js';

const RTOL = 1e-5;
const FLOOR = 0.1;

interface EncodedTensor {
  dtype: 'float32' | 'int64' | 'bool';
  shape: number[];
  data: string;
}

interface Fixture {
  case: string;
  training: boolean;
  state_dict: Record<string, EncodedTensor>;
  inputs: Record<string, EncodedTensor>;
  outputs: Record<string, EncodedTensor>;
  cotangents: Record<string, EncodedTensor>;
  grads: Record<string, EncodedTensor>;
  buffers_after?: Record<string, EncodedTensor>;
}

function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
}

/** Decode base64 little-endian bytes (copied, so typed arrays are aligned). */
function decode(t: EncodedTensor): Tensor {
  const bytes = Uint8Array.from(Buffer.from(t.data, 'base64'));
  if (t.dtype === 'float32') return new Tensor('float32', t.shape, new Float32Array(bytes.buffer));
  if (t.dtype === 'int64') return new Tensor('int64', t.shape, new BigInt64Array(bytes.buffer));
  return new Tensor('bool', t.shape, bytes);
}

const decodeAll = (r: Record<string, EncodedTensor>) =>
  Object.fromEntries(Object.entries(r).map(([k, t]) => [k, decode(t)]));

/** Largest |a - b| / max(|b|, FLOOR * max|expected|) over the elements. */
function maxRelError(actual: Tensor, expected: Tensor): number {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.toArray();
  const b = expected.toArray();
  const floor = FLOOR * Math.max(...b.map(Math.abs), Number.MIN_VALUE);
  let worst = 0;
  for (let i = 0; i < b.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return worst;
}

type Forward = (m: Module, x: Record<string, Value>) => Record<string, Value>;

let rt: Runtime;
const report: Record<string, number> = {};
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});
afterAll(() => {
  const rows = Object.entries(report).map(([k, v]) => `  ${k.padEnd(26)} ${v.toExponential(2)}`);
  console.info(
    `PyTorch parity, max relative error per case (floor ${FLOOR} x max|tensor|):\n${rows.join('\n')}`,
  );
});

/**
 * Load the fixture's state dict into `module`, run forward and backward, and return the
 * relative error of every output, gradient and updated buffer by name.
 */
async function parity(
  fx: Fixture,
  module: Module,
  forward: Forward,
  loss?: string,
): Promise<Record<string, number>> {
  const state = decodeAll(fx.state_dict);
  module.loadStateDict(state);
  // Same keys in the same order as PyTorch's state_dict.
  expect(module.namedTensors().map(([k]) => k)).toEqual(Object.keys(fx.state_dict));
  module.train(fx.training);

  const g = new Graph(`parity_${fx.case}`);
  const inputs = decodeAll(fx.inputs);
  const x = Object.fromEntries(
    Object.entries(inputs).map(([k, t]) => [k, g.input(k, t.dtype, t.shape)]),
  );
  const params = Object.fromEntries(
    module.namedParameters().map(([k, p]) => [k, g.input(`param:${k}`, 'float32', p.shape)]),
  );
  const ctx = bindModule(module, g, params, fx.training);
  const outs = withTrace(ctx, () => forward(module, x));
  const cots = decodeAll(fx.cotangents);
  const cotValues = Object.fromEntries(
    Object.entries(cots).map(([k, t]) => [k, g.input(`cot:${k}`, 'float32', t.shape)]),
  );
  const objective = loss
    ? outs[loss]
    : Object.keys(cots)
        .map((k) => sum(mul(outs[k], cotValues[k])))
        .reduce((a, b) => add(a, b));
  const wrtNames = Object.keys(fx.grads);
  const wrt = wrtNames.map((k) =>
    k.startsWith('input:') ? x[k.slice('input:'.length)] : params[k.slice('param:'.length)],
  );
  const grads = grad(objective, wrt);
  const outputs: Record<string, Value> = {};
  for (const k of Object.keys(fx.outputs)) outputs[`out:${k}`] = outs[k];
  wrtNames.forEach((k, i) => {
    outputs[`grad:${k}`] = grads[i];
  });
  const bufferKeys = new Map(module.namedBuffers().map(([k, p]) => [p, k]));
  for (const [p, v] of ctx.updates) outputs[`buffer:${bufferKeys.get(p)}`] = v;
  const exe = await rt.compile(g, outputs);
  const feeds: Record<string, Tensor> = { ...inputs };
  for (const [k, p] of module.namedParameters()) feeds[`param:${k}`] = p.data;
  for (const [k, t] of Object.entries(cots)) feeds[`cot:${k}`] = t;
  const got = await exe.runHost(feeds);
  await exe.dispose();

  const errors: Record<string, number> = {};
  const expected = {
    ...Object.fromEntries(Object.entries(decodeAll(fx.outputs)).map(([k, t]) => [`out:${k}`, t])),
    ...Object.fromEntries(Object.entries(decodeAll(fx.grads)).map(([k, t]) => [`grad:${k}`, t])),
  };
  for (const [k, t] of Object.entries(expected)) errors[k] = maxRelError(got[k], t);
  if (fx.buffers_after) {
    const after = decodeAll(fx.buffers_after);
    expect(Object.keys(after).sort()).toEqual(
      [...ctx.updates.keys()].map((p) => bufferKeys.get(p)!).sort(),
    );
    for (const [k, t] of Object.entries(after)) {
      if (t.dtype === 'int64') expect(got[`buffer:${k}`].toArray()).toEqual(t.toArray());
      else errors[`buffer:${k}`] = maxRelError(got[`buffer:${k}`], t);
    }
  }
  report[fx.case] = Math.max(...Object.values(errors));
  return errors;
}

/** Assert every error is within tolerance (the message names the worst tensor). */
function expectClose(errors: Record<string, number>): void {
  const [worst, err] = Object.entries(errors).reduce((a, b) => (b[1] > a[1] ? b : a));
  expect(err, `worst: ${worst}`).toBeLessThanOrEqual(RTOL);
  expect(Object.keys(errors).length).toBeGreaterThan(1);
}

const rng = () => new Rng(123);
const one: Forward = (m, x) => ({ y: (m as Linear).call(x.x) });

describe('PyTorch parity (fixtures from scripts/make_parity_fixtures.py)', () => {
  it('Linear', async () => {
    expectClose(await parity(loadFixture('linear'), new Linear(5, 4, { rng: rng() }), one));
  });

  it('Conv2d (stride 2, padding 1, groups 2)', async () => {
    const m = new Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, rng: rng() });
    expectClose(await parity(loadFixture('conv2d'), m, one));
  });

  it('Conv2d (non-square kernel, per-axis stride/padding, dilation 2, no bias)', async () => {
    const m = new Conv2d(3, 2, [3, 2], {
      stride: [1, 2],
      padding: [2, 1],
      dilation: 2,
      bias: false,
      rng: rng(),
    });
    expectClose(await parity(loadFixture('conv2d_dilated'), m, one));
  });

  it('ConvTranspose2d (stride 2, padding 1, outputPadding 1, groups 2)', async () => {
    const m = new ConvTranspose2d(4, 6, 3, {
      stride: 2,
      padding: 1,
      outputPadding: 1,
      groups: 2,
      rng: rng(),
    });
    expectClose(await parity(loadFixture('conv_transpose2d'), m, one));
  });

  it('LayerNorm over [3, 5]', async () => {
    expectClose(await parity(loadFixture('layer_norm'), new LayerNorm([3, 5]), one));
  });

  it('GroupNorm(2, 6)', async () => {
    expectClose(await parity(loadFixture('group_norm'), new GroupNorm(2, 6), one));
  });

  it('BatchNorm2d train mode: output, gradients and running stats after one step', async () => {
    const fx = loadFixture('batch_norm2d_train');
    expect(fx.training).toBe(true);
    const errors = await parity(fx, new BatchNorm2d(3), one);
    expect(Object.keys(errors)).toContain('buffer:running_var');
    expectClose(errors);
  });

  it('BatchNorm2d eval mode (running stats from the train step)', async () => {
    const fx = loadFixture('batch_norm2d_eval');
    expect(fx.training).toBe(false);
    expect(decode(fx.state_dict.num_batches_tracked).toArray()).toEqual([1]);
    expectClose(await parity(fx, new BatchNorm2d(3), one));
  });

  it('BatchNorm1d with momentum null (cumulative average)', async () => {
    const fx = loadFixture('batch_norm1d_cumulative');
    expectClose(await parity(fx, new BatchNorm1d(4, { momentum: null }), one));
  });

  it('Embedding with paddingIdx (no gradient into the padding row)', async () => {
    const fx = loadFixture('embedding');
    const errors = await parity(
      fx,
      new Embedding(10, 4, { paddingIdx: 0, rng: rng() }),
      (m, x) => ({
        y: (m as Embedding).call(x.ids),
      }),
    );
    expectClose(errors);
  });

  const mha = (opts: { kdim?: number; vdim?: number } = {}) =>
    new MultiheadAttention(8, 2, { rng: rng(), ...opts });

  it('MultiheadAttention, causal self-attention', async () => {
    const fx = loadFixture('mha_causal');
    const errors = await parity(fx, mha(), (m, x) => ({
      y: (m as MultiheadAttention).call(x.x, undefined, undefined, { causal: true }).output,
    }));
    expectClose(errors);
  });

  it('MultiheadAttention with a key padding mask', async () => {
    const fx = loadFixture('mha_padding');
    const errors = await parity(fx, mha(), (m, x) => ({
      y: (m as MultiheadAttention).call(x.x, x.x, x.x, { keyPaddingMask: x.keyPaddingMask }).output,
    }));
    expectClose(errors);
  });

  it('MultiheadAttention cross-attention with kdim/vdim (q/k/v_proj_weight)', async () => {
    const fx = loadFixture('mha_cross');
    const errors = await parity(fx, mha({ kdim: 6, vdim: 5 }), (m, x) => ({
      y: (m as MultiheadAttention).call(x.query, x.key, x.value).output,
    }));
    expect(Object.keys(errors)).toContain('grad:input:value');
    expectClose(errors);
  });

  it('MLP (Sequential Linear-Tanh-Linear): cross-entropy loss and its gradient', async () => {
    const fx = loadFixture('mlp');
    const r = rng();
    const m = new Sequential(
      new Linear(4, 8, { rng: r }),
      new Tanh(),
      new Linear(8, 3, { rng: r }),
    );
    const errors = await parity(
      fx,
      m,
      (mod, x) => {
        const logits = (mod as Sequential).call(x.x);
        return { logits, loss: crossEntropy(logits, x.target) };
      },
      'loss',
    );
    expect(Object.keys(errors)).toContain('grad:param:2.bias');
    expectClose(errors);
  });
});
