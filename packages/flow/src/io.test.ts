import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toyData } from '@genmodels/datasets';
import {
  CheckpointError,
  encodeModule,
  Linear,
  modelFilesFromList,
  Rng,
  Runtime,
  saveModule,
  Tensor,
} from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowError } from './errors.js';
import { Flow } from './flow.js';
import { perturb } from './testing.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'flow-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small = { couplings: 3, hidden: 16, actnorm: true, mixing: 'lu', mask: 'permuted' } as const;

/** onnxruntime-node as the runtime package resolves it (it is not a dependency of this package). */
interface OrtLike {
  InferenceSession: {
    create(path: string): Promise<{
      run(
        feeds: Record<string, unknown>,
      ): Promise<Record<string, { dims: number[]; data: unknown }>>;
    }>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
}

function ort(): OrtLike {
  const req = createRequire(createRequire(import.meta.url).resolve('@genmodels/runtime'));
  return req('onnxruntime-node');
}

async function trainedSmall(seed: number): Promise<Flow> {
  const flow = Flow.create(rt, { ...small, dim: 2 }, { seed });
  await flow.fit(toyData('moons', 512, seed), { steps: 3, seed });
  perturb(flow.net, seed + 1, 0.2); // trained a little and clearly not the identity
  return flow;
}

describe('save / load', () => {
  it('round-trips weights, masks, config and preset', async () => {
    const flow = await trainedSmall(3);
    const out = join(dir, 'a');
    await flow.save(out);
    const cfg = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      family: 'flow',
      preset: 'custom',
      config: { couplings: 3, mixing: 'lu' },
    });
    const back = await Flow.load(rt, out);
    expect(back.config).toEqual(flow.config);
    expect(Object.keys(back.net.stateDict()).slice(0, 8)).toEqual([
      'layers.0.bias',
      'layers.0.logs',
      'layers.0.initialized',
      'layers.1.lower',
      'layers.1.upper',
      'layers.1.log_s',
      'layers.1.perm',
      'layers.1.sign_s',
    ]);
    const x = toyData('moons', 64, 9);
    expect((await back.logProb(x)).toArray()).toEqual((await flow.logProb(x)).toArray());
    expect((await back.sampleFlat(8, 1)).toArray()).toEqual(
      (await flow.sampleFlat(8, 1)).toArray(),
    );
  });

  it('names the problem: missing, another family (CheckpointError), mismatched, unwritable', async () => {
    await expect(Flow.load(rt, join(dir, 'nope'))).rejects.toThrow(/no flow checkpoint at/);
    const gan = join(dir, 'gan');
    await Flow.create(rt, 'moons').save(gan);
    await saveModule(join(gan, 'model.safetensors'), new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'gan',
    });
    const err = await Flow.load(rt, gan).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(String(err)).toMatch(/is a 'gan' model, expected 'flow'/);
    const mismatch = join(dir, 'mismatch');
    await Flow.create(rt, { couplings: 2, hidden: 8 }).save(mismatch);
    const stored = JSON.parse(await readFile(join(mismatch, 'config.json'), 'utf8'));
    await saveModule(
      join(mismatch, 'model.safetensors'),
      Flow.create(rt, { couplings: 2, hidden: 8 }).net,
      {
        family: 'flow',
        config: { ...stored, config: { ...stored.config, hidden: 9 } },
      },
    );
    await expect(Flow.load(rt, mismatch)).rejects.toThrow(/does not match its config/);
    const file = join(dir, 'file');
    await writeFile(file, 'x');
    await expect(Flow.create(rt, 'moons').save(join(file, 'sub'))).rejects.toThrow(FlowError);
  });
});

describe('model files as bytes (browsers)', () => {
  it('toFiles() is what save writes; load(rt, files) reproduces densities and samples', async () => {
    const flow = await trainedSmall(5);
    const files = flow.toFiles();
    const out = join(dir, 'files');
    await flow.save(out);
    expect(files['model.safetensors']).toEqual(
      new Uint8Array(await readFile(join(out, 'model.safetensors'))),
    );
    expect(files['config.json']).toBe(await readFile(join(out, 'config.json'), 'utf8'));
    const back = await Flow.load(rt, files);
    const x = toyData('moons', 32, 4);
    expect((await back.logProb(x)).toArray()).toEqual((await flow.logProb(x)).toArray());
    expect((await back.sampleFlat(8, 2)).toArray()).toEqual(
      (await flow.sampleFlat(8, 2)).toArray(),
    );
  });

  it('loads from a File list; another family as files is a CheckpointError', async () => {
    const flow = await trainedSmall(6);
    const bytes = flow.toFiles()['model.safetensors'];
    const back = await Flow.load(
      rt,
      modelFilesFromList([new File([bytes as BlobPart], 'f.safetensors')]),
    );
    expect((await back.sampleFlat(4, 0)).toArray()).toEqual(
      (await flow.sampleFlat(4, 0)).toArray(),
    );
    const gan = encodeModule(new Linear(2, 2, { rng: new Rng(0) }), { family: 'gan' });
    const err = await Flow.load(rt, { 'model.safetensors': gan }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/'gan' model, expected 'flow'/);
  });
});

describe('ONNX export', () => {
  it('onnx(part) gives the bytes exportOnnx writes', async () => {
    const flow = await trainedSmall(7);
    for (const part of ['sampler', 'log_density']) {
      const path = join(dir, `bytes-${part}.onnx`);
      await flow.exportOnnx(path, part);
      // Copies: encodeOnnx may hand out a Node Buffer, which toEqual tells from a Uint8Array.
      expect(new Uint8Array(flow.onnx(part))).toEqual(new Uint8Array(await readFile(path)));
    }
    expect(() => flow.onnx('density')).toThrow(FlowError);
  });

  it('log_density, in a fresh ORT session, matches logProb', async () => {
    const flow = await trainedSmall(5);
    const path = join(dir, 'log_density.onnx');
    await flow.exportOnnx(path, 'log_density');
    const { InferenceSession, Tensor: OrtTensor } = ort();
    const session = await InferenceSession.create(path);
    const x = toyData('moons', 300, 6);
    const got = await session.run({ x: new OrtTensor('float32', x.data, [300, 2]) });
    expect(got.log_prob.dims).toEqual([300]);
    const want = (await flow.logProb(x)).data;
    const have = got.log_prob.data as Float32Array;
    for (let i = 0; i < 300; i++) expect(Math.abs(have[i] - want[i])).toBeLessThan(1e-5);
  });

  it('the sampler maps z to x like inverse (pixel config); unknown parts are refused', async () => {
    const flow = Flow.create(
      rt,
      { pixels: true, dim: 16, imageSize: 4, couplings: 2, hidden: 8 },
      { seed: 1 },
    );
    perturb(flow.net, 2, 0.1);
    const path = join(dir, 'sampler.onnx');
    await flow.exportOnnx(path); // 'sampler' is the default part
    const { InferenceSession, Tensor: OrtTensor } = ort();
    const session = await InferenceSession.create(path);
    const z = new Rng(3).normal([7, 16]);
    const got = await session.run({ z: new OrtTensor('float32', z, [7, 16]) });
    const want = await flow.inverse(new Tensor('float32', [7, 16], z));
    const have = got.x.data as Float32Array;
    for (let i = 0; i < have.length; i++)
      expect(Math.abs(have[i] - want.data[i])).toBeLessThan(1e-6);
    await expect(flow.exportOnnx(join(dir, 'x.onnx'), 'encoder')).rejects.toThrow(
      /unknown flow part 'encoder'; expected one of sampler, log_density/,
    );
  });
});
