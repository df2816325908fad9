import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoraError, StateDictKeyError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import type { Value } from '../graph/graph.js';
import { defineKeyFormat, renameKey, transposeKey } from '../io/key-format.js';
import {
  decodeLoraAdapters,
  encodeLoraAdapters,
  LORA_CONFIG_FILE,
  loadLoraAdapters,
  saveLoraAdapters,
} from '../io/lora-files.js';
import { decodeSafetensors } from '../io/safetensors.js';
import { relu } from '../ops/activation.js';
import { square, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { adam } from '../optim/adam.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { compileTrainStep } from '../train/train-step.js';
import { MultiheadAttention } from './attention.js';
import { Conv2d } from './conv.js';
import { Embedding } from './embedding.js';
import { compileInference } from './inference.js';
import { Linear } from './linear.js';
import { addLora, freeze, freezeExcept, type LoraAdapters } from './lora.js';
import { Module } from './module.js';
import { LayerNorm } from './normalization.js';

class Net extends Module {
  readonly conv: Conv2d;
  readonly attn: MultiheadAttention;
  readonly ln: LayerNorm;
  readonly fc: Linear;
  constructor(rng: Rng) {
    super();
    this.conv = new Conv2d(2, 4, 3, { padding: 1, stride: 2, rng });
    this.attn = new MultiheadAttention(4, 2, { rng });
    this.ln = new LayerNorm(4);
    this.fc = new Linear(4, 3, { rng });
  }
  /** x: [B, 2, 4, 4] -> conv [B, 4, 2, 2] -> tokens [B, 4, 4] -> attention -> fc [B, 4, 3]. */
  forward(x: Value): Value {
    const h = relu(this.conv.call(x));
    const t = reshape(h, [2, 4, 4]); // [B, 4 channels, 4 positions]
    return this.fc.call(this.ln.call(this.attn.call(t).output));
  }
}

const TARGETS = ['conv.weight', /in_proj_weight$/, 'out_proj.weight', 'fc.weight'];
const x = new Tensor('float32', [2, 2, 4, 4], new Rng(3).normal(64));

/** Random B (addLora starts it at zero), so the adapters change the function. */
function randomize(lora: LoraAdapters, seed: number): void {
  const rng = new Rng(seed);
  const sd = lora.stateDict();
  lora.loadStateDict(
    Object.fromEntries(
      Object.entries(sd).map(([k, t]) => [
        k,
        new Tensor('float32', t.shape, rng.normal(t.size, 0, 0.3)),
      ]),
    ),
  );
}

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

async function forward(
  net: Net,
  training = false,
  noise: Record<string, Tensor> = {},
): Promise<Float32Array> {
  const exe = await compileInference(
    rt,
    net,
    { x: { dtype: 'float32', shape: x.shape } },
    (i) => net.call(i.x),
    { training },
  );
  const out = await exe.run({ x, ...noise });
  await exe.dispose();
  return (Object.values(out)[0] as Tensor).data as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('addLora', () => {
  it('names adapters after their weights, PEFT layouts, B = 0 (the base function)', async () => {
    const net = new Net(new Rng(0)).eval();
    const before = await forward(net);
    const lora = addLora(net, { rank: 2, alpha: 4, targets: TARGETS, rng: new Rng(1) });
    expect(lora.targets).toEqual([
      'conv.weight',
      'attn.in_proj_weight',
      'attn.out_proj.weight',
      'fc.weight',
    ]);
    const shapes = Object.fromEntries(
      Object.entries(lora.stateDict()).map(([k, t]) => [k, t.shape]),
    );
    expect(shapes).toEqual({
      'conv.weight.lora_A': [2, 2, 3, 3],
      'conv.weight.lora_B': [4, 2, 1, 1],
      'attn.in_proj_weight.lora_A': [2, 4],
      'attn.in_proj_weight.lora_B': [12, 2],
      'attn.out_proj.weight.lora_A': [2, 4],
      'attn.out_proj.weight.lora_B': [4, 2],
      'fc.weight.lora_A': [2, 4],
      'fc.weight.lora_B': [3, 2],
    });
    // The adapters are parameters of the module tree.
    expect(net.namedParameters().map(([k]) => k)).toContain('attn.in_proj_weight.lora_B');
    expect(lora.trainable('fc.weight.lora_A')).toBe(true);
    expect(lora.trainable('fc.weight')).toBe(false);
    // kaiming-uniform(a = sqrt(5)) A: bound 1/sqrt(fan_in).
    const a = lora.stateDict()['conv.weight.lora_A'].toArray();
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(18));
    expect(maxDiff(await forward(net), before)).toBe(0);
  });

  it('merge() folds W += (alpha/r) B·A in and leaves a plain module computing the same', async () => {
    const net = new Net(new Rng(0)).eval();
    const base = await forward(net);
    const lora = addLora(net, { rank: 3, alpha: 5, targets: TARGETS, rng: new Rng(1) });
    randomize(lora, 7);
    const adapted = await forward(net);
    expect(maxDiff(adapted, base)).toBeGreaterThan(1e-2);
    lora.merge();
    expect(net.namedTensors().some(([k]) => k.includes('lora'))).toBe(false);
    const merged = await forward(net);
    expect(maxDiff(merged, adapted)).toBeLessThan(1e-5);
    expect(() => lora.stateDict()).toThrow(LoraError);
    // Plain again: it can be adapted anew.
    expect(addLora(net, { rank: 1, targets: ['fc.weight'], rng: new Rng(2) }).targets).toEqual([
      'fc.weight',
    ]);
  });

  it('dropout applies to the adapter input only, in train mode only', async () => {
    const net = new Net(new Rng(0));
    const base = await forward(net.eval());
    const lora = addLora(net, {
      rank: 2,
      dropout: 0.5,
      targets: ['fc.weight', 'conv.weight'],
      rng: new Rng(1),
    });
    randomize(lora, 5);
    const adapted = await forward(net.eval());
    expect(maxDiff(adapted, base)).toBeGreaterThan(1e-2);
    // Masks of zeros drop the adapters' whole input: the base function is left, untouched.
    const dropAll = {
      'noise:conv.weight.lora_dropout': Tensor.zeros([2, 2, 4, 4]),
      'noise:fc.weight.lora_dropout': Tensor.zeros([2, 4, 4]),
    };
    expect(maxDiff(await forward(net.train(), true, dropAll), base)).toBeLessThan(1e-6);
    // Masks of ones keep it, scaled by 1 / (1 - p).
    const keepAll = Object.fromEntries(
      Object.entries(dropAll).map(([k, t]) => [k, Tensor.full(t.shape, 1)]),
    );
    const kept = await forward(net.train(), true, keepAll);
    expect(maxDiff(kept, adapted)).toBeGreaterThan(1e-2);
    // A use of the weight that reads it merged cannot drop the adapter's input.
    const attn = new MultiheadAttention(4, 2, { rng: new Rng(0) });
    addLora(attn, { rank: 2, dropout: 0.1, targets: [/in_proj_weight$/], rng: new Rng(1) });
    const q = { dtype: 'float32' as const, shape: [1, 2, 4] };
    await expect(
      compileInference(rt, attn, { q, k: q }, (i) => attn.call(i.q, i.k).output, {
        training: true,
      }),
    ).rejects.toThrow(/in_proj_weight.*dropout/);
  });

  it('errors name the patterns, the key and what was wrong', () => {
    const make = () => new Net(new Rng(0));
    const rng = new Rng(0);
    expect(() => addLora(make(), { rank: 2, targets: ['nope', /zzz/], rng })).toThrow(
      /no parameter of Net matches the targets nope, \/zzz\//,
    );
    expect(() => addLora(make(), { rank: 2, targets: ['ln.weight'], rng })).toThrow(
      /'ln.weight' \[4\].*2-D linear weight/,
    );
    expect(() => addLora(make(), { rank: 0, targets: ['fc.weight'], rng })).toThrow(/rank/);
    expect(() => addLora(make(), { rank: 1.5, targets: ['fc.weight'], rng })).toThrow(LoraError);
    expect(() => addLora(make(), { rank: 2, dropout: 1, targets: ['fc.weight'], rng })).toThrow(
      /dropout/,
    );
    const net = make();
    addLora(net, { rank: 2, targets: ['fc.weight'], rng });
    expect(() => addLora(net, { rank: 2, targets: ['fc.weight'], rng })).toThrow(
      /already has a LoRA adapter/,
    );
    const dilated = new Conv2d(2, 2, 3, { dilation: 2, rng });
    expect(() => addLora(dilated, { rank: 1, targets: ['weight'], rng })).toThrow(/dilation/);
    expect(() =>
      addLora(new Embedding(5, 4, { rng }), { rank: 1, targets: ['weight'], rng }),
    ).toThrow(/Embedding/);
  });

  it('loadStateDict is strict: missing and unexpected keys listed, shapes checked', () => {
    const lora = addLora(new Net(new Rng(0)), { rank: 2, targets: ['fc.weight'], rng: new Rng(0) });
    const sd = lora.stateDict();
    let err: unknown;
    try {
      lora.loadStateDict({
        'fc.weight.lora_A': sd['fc.weight.lora_A'],
        'fc.weight.lora_C': sd['fc.weight.lora_B'],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictKeyError);
    expect((err as StateDictKeyError).missing).toEqual(['fc.weight.lora_B']);
    expect((err as StateDictKeyError).unexpected).toEqual(['fc.weight.lora_C']);
    expect(() => lora.loadStateDict({ ...sd, 'fc.weight.lora_B': Tensor.zeros([3, 3]) })).toThrow(
      /'fc.weight.lora_B' is float32\[3,3\]; expected float32\[3,2\]/,
    );
  });
});

describe('training only the adapters', () => {
  it('updates A and B only; the step state holds them and their moments', async () => {
    const net = new Net(new Rng(0));
    const lora = addLora(net, { rank: 2, targets: TARGETS, rng: new Rng(1) });
    const base = Object.fromEntries(
      Object.entries(net.stateDict())
        .filter(([k]) => !lora.trainable(k))
        .map(([k, t]) => [k, t.clone()]),
    );
    const y = new Tensor('float32', [2, 4, 3], new Rng(9).normal(24));
    const step = await compileTrainStep(rt, {
      module: net,
      trainable: lora.trainable,
      frozen: 'fixed',
      inputs: { x: { dtype: 'float32', shape: x.shape }, y: { dtype: 'float32', shape: y.shape } },
      loss: (_, b) => mean(square(sub(net.call(b.x), b.y))),
      optimizer: adam(),
    });
    for (let i = 0; i < 3; i++) await step.run({ x, y }, { lr: 1e-2 });
    const state = await step.getState();
    expect(Object.keys(state.params).sort()).toEqual(Object.keys(lora.stateDict()).sort());
    expect(Object.keys(state.buffers)).toEqual([]);
    expect(
      Object.keys(state.optimizer).every((k) => lora.trainable(k.slice(0, k.lastIndexOf(':')))),
    ).toBe(true);
    await step.syncTo(net);
    for (const [k, t] of Object.entries(base)) expect(net.stateDict()[k].data, k).toEqual(t.data);
    expect(
      maxDiff(lora.stateDict()['fc.weight.lora_B'].data as Float32Array, new Float32Array(6)),
    ).toBeGreaterThan(0);
    // setState needs no frozen weight.
    step.setState(state);
    await step.dispose();
  });

  it('freezeExcept / freeze select parameters by name pattern', () => {
    const keys = new Net(new Rng(0)).namedParameters().map(([k]) => k);
    expect(keys.filter(freezeExcept('attn', /^fc\./))).toEqual([
      'attn.in_proj_weight',
      'attn.in_proj_bias',
      'attn.out_proj.weight',
      'attn.out_proj.bias',
      'fc.weight',
      'fc.bias',
    ]);
    expect(keys.filter(freeze('attn', 'weight', 'bias'))).toEqual([]);
    expect(keys.filter(freeze('attn', 'bias'))).toEqual(['conv.weight', 'ln.weight', 'fc.weight']);
  });
});

describe('PEFT adapter files', () => {
  /** A GPT-2-like convention: our Linear-layout in_proj is a Conv1D [in, out] 'c_attn'. */
  const format = defineKeyFormat('test conv1d format', [
    transposeKey('transformer.attn.c_attn.weight', 'attn.in_proj_weight'),
    transposeKey('transformer.attn.c_proj.weight', 'attn.out_proj.weight'),
    renameKey('transformer.fc.weight', 'fc.weight'),
  ]);

  it('writes PEFT keys, nn.Linear layouts and the config; loads them back', async () => {
    const net = new Net(new Rng(0));
    const lora = addLora(net, {
      rank: 2,
      alpha: 8,
      targets: [/in_proj_weight$/, 'out_proj.weight'],
      rng: new Rng(1),
    });
    randomize(lora, 3);
    const files = encodeLoraAdapters(lora, { format, taskType: 'CAUSAL_LM' });
    const { tensors, metadata } = decodeSafetensors(files.model);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Object.keys(tensors).sort()).toEqual([
      'base_model.model.transformer.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.attn.c_proj.lora_A.weight',
      'base_model.model.transformer.attn.c_proj.lora_B.weight',
    ]);
    expect(tensors['base_model.model.transformer.attn.c_attn.lora_B.weight'].shape).toEqual([
      12, 2,
    ]);
    expect(JSON.parse(files.config)).toMatchObject({
      peft_type: 'LORA',
      r: 2,
      lora_alpha: 8,
      lora_dropout: 0,
      target_modules: ['c_attn', 'c_proj'],
      bias: 'none',
      fan_in_fan_out: true,
      task_type: 'CAUSAL_LM',
    });

    const dir = mkdtempSync(join(tmpdir(), 'lora-'));
    await saveLoraAdapters(dir, lora, { format });
    expect(JSON.parse(readFileSync(join(dir, LORA_CONFIG_FILE), 'utf8')).r).toBe(2);
    const other = addLora(new Net(new Rng(5)), {
      rank: 2,
      alpha: 8,
      targets: [/in_proj_weight$/, 'out_proj.weight'],
      rng: new Rng(6),
    });
    await loadLoraAdapters(dir, other, { format });
    for (const [k, t] of Object.entries(lora.stateDict()))
      expect(other.stateDict()[k].data, k).toEqual(t.data);
  });

  it('without a format our key minus .weight is the module path', () => {
    const lora = addLora(new Net(new Rng(0)), {
      rank: 1,
      targets: ['conv.weight', 'fc.weight'],
      rng: new Rng(1),
    });
    const files = encodeLoraAdapters(lora);
    expect(Object.keys(decodeSafetensors(files.model).tensors).sort()).toEqual([
      'base_model.model.conv.lora_A.weight',
      'base_model.model.conv.lora_B.weight',
      'base_model.model.fc.lora_A.weight',
      'base_model.model.fc.lora_B.weight',
    ]);
    expect(JSON.parse(files.config)).toMatchObject({
      target_modules: ['conv', 'fc'],
      fan_in_fan_out: false,
    });
  });

  it('loading checks keys and config', () => {
    const make = (targets: string[], rank = 2) =>
      addLora(new Net(new Rng(0)), { rank, targets, rng: new Rng(1) });
    const files = encodeLoraAdapters(make(['fc.weight', 'conv.weight']));
    let err: unknown;
    try {
      decodeLoraAdapters(make(['fc.weight', 'out_proj.weight']), { model: files.model });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictKeyError);
    expect((err as StateDictKeyError).missing).toEqual([
      'base_model.model.attn.out_proj.lora_A.weight',
      'base_model.model.attn.out_proj.lora_B.weight',
    ]);
    expect((err as StateDictKeyError).unexpected).toEqual([
      'base_model.model.conv.lora_A.weight',
      'base_model.model.conv.lora_B.weight',
    ]);
    expect(() => decodeLoraAdapters(make(['fc.weight', 'conv.weight'], 4), files)).toThrow(
      /has r 2.*the adapters have r 4/,
    );
    expect(() => encodeLoraAdapters(make(['conv.weight']), { format })).toThrow(
      /has no name for 'conv.weight'/,
    );
  });
});
