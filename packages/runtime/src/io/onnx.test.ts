import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import { decodeModel } from '../graph/encode.js';
import type { Value } from '../graph/graph.js';
import { compileInference } from '../nn/inference.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { tanh } from '../ops/activation.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { VERSION } from '../version.js';
import { exportOnnx } from './onnx.js';

class Decoder extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(rng: Rng) {
    super();
    this.fc1 = new Linear(4, 8, { rng });
    this.fc2 = new Linear(8, 6, { rng });
  }
  forward(z: Value): Value {
    return this.fc2.call(tanh(this.fc1.call(z)));
  }
}

let rt: Runtime;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});

describe('ONNX export', () => {
  it('round trip: a fresh ORT session on the file gives outputs identical to the traced function', async () => {
    const dec = new Decoder(new Rng(0));
    const inputs = { z: { dtype: 'float32', shape: ['batch', 4] } } as const;
    const fn = (x: Record<string, Value>) => ({ x_hat: dec.call(x.z) });
    const dir = await mkdtemp(join(tmpdir(), 'genmodels-export-'));
    const path = join(dir, 'decoder.onnx');
    await exportOnnx(path, dec, inputs, fn, { config: { latent: 4, hidden: 8 } });
    expect(await readdir(dir)).toEqual(['decoder.onnx']); // no temp file left behind

    const z = new Tensor('float32', [5, 4], new Rng(1).normal(20));
    const traced = await compileInference(rt, dec, inputs, fn);
    const want = (await traced.runHost({ z })).x_hat;
    const session = await ort.InferenceSession.create(path);
    const got = (
      await session.run({ z: new ort.Tensor('float32', z.data as Float32Array, [5, 4]) })
    ).x_hat;
    expect(got.dims).toEqual([5, 4 + 2]);
    expect(Array.from(got.data as Float32Array)).toEqual(want.toArray());

    const model = decodeModel(await readFile(path));
    expect(model.producerName).toBe('genmodels');
    expect(model.producerVersion).toBe(VERSION);
    expect(model.graph!.input![0].type!.tensorType!.shape!.dim![0].dimParam).toBe('batch');
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta['genmodels.config']!)).toEqual({ latent: 4, hidden: 8 });
    expect(model.graph!.initializer!.map((t) => t.name).sort()).toEqual([
      'fc1.bias',
      'fc1.weight',
      'fc2.bias',
      'fc2.weight',
    ]);
  });

  it('leaves no partial file when writing fails', async () => {
    const dec = new Decoder(new Rng(0));
    const dir = await mkdtemp(join(tmpdir(), 'genmodels-export-'));
    await expect(
      exportOnnx(
        join(dir, 'missing-dir', 'x.onnx'),
        dec,
        { z: { dtype: 'float32', shape: [1, 4] } },
        (x) => dec.call(x.z),
      ),
    ).rejects.toThrow(/cannot write '.*x.onnx': directory '.*missing-dir' does not exist/);
    expect(await readdir(dir)).toEqual([]);
  });
});
