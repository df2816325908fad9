import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ShapeError } from '../errors.js';
import { Runtime } from '../exec/runtime.js';
import type { Value } from '../graph/graph.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { noise } from '../nn/trace.js';
import { relu } from '../ops/activation.js';
import { add, mul } from '../ops/elementwise.js';
import { crossEntropy } from '../ops/loss.js';
import { adam, sgd } from '../optim/index.js';
import { Rng } from '../rng.js';
import type { Tensor } from '../tensor.js';
import { makeClassification } from '../testing/mlp.js';
import { compileTrainStep } from '../train/train-step.js';
import {
  loadCheckpoint,
  optimizerPath,
  resumeTrainStep,
  saveCheckpoint,
  saveModule,
} from './checkpoint.js';
import { encodeSafetensors } from './safetensors.js';

class Net extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(hidden: number, rng: Rng) {
    super();
    this.fc1 = new Linear(10, hidden, { rng });
    this.fc2 = new Linear(hidden, 4, { rng });
  }
  forward(x: Value): Value {
    // Host noise makes the RNG state part of what a resume must restore.
    const jitter = mul(noise('jitter', 'normal', x.shape), 0.05);
    return this.fc2.call(relu(this.fc1.call(add(x, jitter))));
  }
}

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'genmodels-ckpt-'));
});

const inputs = {
  x: { dtype: 'float32', shape: ['batch', 10] },
  y: { dtype: 'int64', shape: ['batch'] },
} as const;
const data = makeClassification(32, 10, 4, 4);
const newStep = (net: Net) =>
  compileTrainStep(rt, {
    module: net,
    inputs,
    loss: (_p, b) => crossEntropy(net.call(b.x), b.y),
    optimizer: adam(),
    seed: 11,
  });
const bits = (ps: Record<string, Tensor>) =>
  Object.fromEntries(
    Object.entries(ps).map(([k, t]) => [
      k,
      Array.from(new Uint32Array((t.data as Float32Array).slice().buffer)),
    ]),
  );

describe('checkpoints', () => {
  it('resume: 20 steps straight equal 10 steps, save, load into a fresh model, 10 more — bit for bit', async () => {
    const straight = await newStep(new Net(16, new Rng(0)));
    for (let i = 0; i < 20; i++) await straight.run(data, { lr: 1e-2 });

    const first = await newStep(new Net(16, new Rng(0)));
    for (let i = 0; i < 10; i++) await first.run(data, { lr: 1e-2 });
    const path = join(dir, 'net.safetensors');
    await saveCheckpoint(path, first, { family: 'test-mlp', config: { hidden: 16 } });

    const ckpt = await loadCheckpoint(path, { family: 'test-mlp' });
    expect(ckpt.step).toBe(10);
    expect(ckpt.config).toEqual({ hidden: 16 });
    const second = await newStep(new Net(16, new Rng(123))); // other init: everything must come from the file
    resumeTrainStep(second, ckpt);
    for (let i = 0; i < 10; i++) await second.run(data, { lr: 1e-2 });
    expect(second.step).toBe(20);
    expect(bits(await second.parameters())).toEqual(bits(await straight.parameters()));
  });

  it('the model file is a plain state dict with PyTorch names; optimizer moments live beside it', async () => {
    const net = new Net(8, new Rng(0));
    const step = await newStep(net);
    await step.run(data, { lr: 1e-2 });
    const path = join(dir, 'plain.safetensors');
    await saveCheckpoint(path, step, { family: 'test-mlp' });
    const ckpt = await loadCheckpoint(path);
    expect(Object.keys(ckpt.stateDict).sort()).toEqual(Object.keys(net.stateDict()).sort());
    expect(Object.keys(ckpt.train!.optimizer).sort()).toEqual(
      ['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight'].flatMap((k) => [
        `${k}:exp_avg`,
        `${k}:exp_avg_sq`,
      ]),
    );
    expect(optimizerPath(path)).toBe(join(dir, 'plain.optim.safetensors'));
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('saveModule stores extra tensors beside the state dict and refuses clashing names', async () => {
    const net = new Net(8, new Rng(0));
    const path = join(dir, 'extra.safetensors');
    const ema = net.stateDict()['fc1.bias'];
    await saveModule(path, net, {
      family: 'test-mlp',
      config: { hidden: 8 },
      extra: { 'ema.fc1.bias': ema },
    });
    const ck = await loadCheckpoint(path, { family: 'test-mlp' });
    expect(Object.keys(ck.stateDict).sort()).toEqual([
      'ema.fc1.bias',
      'fc1.bias',
      'fc1.weight',
      'fc2.bias',
      'fc2.weight',
    ]);
    expect(ck.stateDict['ema.fc1.bias'].toArray()).toEqual(ema.toArray());
    await expect(
      saveModule(path, net, { family: 'test-mlp', extra: { 'fc2.bias': ema } }),
    ).rejects.toThrow("saveModule: extra tensor 'fc2.bias' clashes with a module tensor");
  });

  it('bad input: each with its own clear error', async () => {
    const net = new Net(8, new Rng(0));
    const good = join(dir, 'good.safetensors');
    await saveModule(good, net, { family: 'test-mlp', config: { hidden: 8 } });
    const bytes = await readFile(good);

    const truncated = join(dir, 'truncated.safetensors');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 10));
    await expect(loadCheckpoint(truncated)).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(truncated)).rejects.toThrow(/truncated/);

    const badJson = join(dir, 'badjson.safetensors');
    const header = new TextEncoder().encode('{"a": [1, 2');
    const buf = new Uint8Array(8 + header.length);
    new DataView(buf.buffer).setBigUint64(0, BigInt(header.length), true);
    buf.set(header, 8);
    await writeFile(badJson, buf);
    await expect(loadCheckpoint(badJson)).rejects.toThrow(/not valid JSON/);

    const f64 = join(dir, 'f64.safetensors');
    const h2 = new TextEncoder().encode(
      '{"fc1.weight":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}',
    );
    const buf2 = new Uint8Array(8 + h2.length + 8);
    new DataView(buf2.buffer).setBigUint64(0, BigInt(h2.length), true);
    buf2.set(h2, 8);
    await writeFile(f64, buf2);
    await expect(loadCheckpoint(f64)).rejects.toThrow(/unknown or unsupported dtype 'F64'/);

    const other = new Net(16, new Rng(0)); // different hidden size
    const ckpt = await loadCheckpoint(good);
    expect(() => other.loadStateDict(ckpt.stateDict)).toThrow(ShapeError);
    expect(() => other.loadStateDict(ckpt.stateDict)).toThrow(
      "tensor 'fc1.weight' is float32[8,10] in the state dict but float32[16,10] in the module",
    );

    const partial = join(dir, 'partial.safetensors');
    const { 'fc2.bias': _, ...rest } = net.stateDict();
    await writeFile(partial, encodeSafetensors(rest));
    const partialCkpt = await loadCheckpoint(partial);
    expect(() => net.loadStateDict(partialCkpt.stateDict)).toThrow(CheckpointError);
    expect(() => net.loadStateDict(partialCkpt.stateDict)).toThrow('missing fc2.bias');

    await expect(loadCheckpoint(good, { family: 'vae' })).rejects.toThrow(
      `checkpoint '${good}' is a 'test-mlp' model, expected 'vae'`,
    );
    await expect(loadCheckpoint(join(dir, 'nope.safetensors'))).rejects.toThrow(
      'checkpoint not found',
    );

    const step = await compileTrainStep(rt, {
      module: net,
      inputs,
      loss: (_p, b) => crossEntropy(net.call(b.x), b.y),
      optimizer: sgd(),
    });
    expect(() => resumeTrainStep(step, ckpt)).toThrow('has no optimizer state');
  });

  it('metadata cannot point the loader outside the checkpoint directory', async () => {
    const net = new Net(8, new Rng(0));
    const sub = await mkdtemp(join(dir, 'escape-'));
    const outside = join(dir, 'secret.optim.safetensors');
    await writeFile(outside, encodeSafetensors(net.stateDict()));
    const meta = (m: Record<string, string>) => encodeSafetensors(net.stateDict(), m);
    const upward = join(sub, 'upward.safetensors');
    await writeFile(
      upward,
      meta({
        'genmodels.optimizer_file': '../secret.optim.safetensors',
        'genmodels.params': '["fc1.weight"]',
      }),
    );
    await expect(loadCheckpoint(upward)).rejects.toThrow(
      "metadata 'genmodels.optimizer_file' must name a file beside the checkpoint, not a path",
    );
    const abs = join(sub, 'abs.safetensors');
    await writeFile(abs, meta({ 'genmodels.optimizer_file': '/proc/self/environ' }));
    await expect(loadCheckpoint(abs)).rejects.toThrow('not a path');
    const noParams = join(sub, 'noparams.safetensors');
    await writeFile(noParams, meta({ 'genmodels.optimizer_file': 'x.optim.safetensors' }));
    await expect(loadCheckpoint(noParams)).rejects.toThrow(
      "metadata 'genmodels.params' (the trained parameters' names) is missing or not a list of names",
    );
  });
});
