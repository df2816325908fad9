import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointError,
  encodeModule,
  GenmodelsError,
  Linear,
  modelFilesFromList,
  Rng,
  Runtime,
  saveModule,
  Tensor,
} from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';
import { gaussianPoints, randomImages, TINY_MLP, TINY_UNET } from './testing.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'diffusion-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** onnxruntime-node as the runtime package resolves it (it is not a dependency of this package). */
interface OrtLike {
  InferenceSession: {
    create(path: string): Promise<{
      run(
        feeds: Record<string, unknown>,
      ): Promise<Record<string, { dims: number[]; data: unknown }>>;
    }>;
  };
  Tensor: new (
    type: 'float32' | 'int64',
    data: Float32Array | BigInt64Array,
    dims: number[],
  ) => unknown;
}

function ort(): OrtLike {
  const req = createRequire(createRequire(import.meta.url).resolve('@genmodels/runtime'));
  return req('onnxruntime-node');
}

describe('save / load', () => {
  it('round-trips weights, EMA, config and preset; samples agree', async () => {
    const m = Diffusion.create(rt, TINY_MLP, { seed: 3 });
    await m.fit(gaussianPoints(64, [0, 0], 1, 0), { steps: 4 });
    const d = join(dir, 'mlp');
    await m.save(d);
    const back = await Diffusion.load(rt, d);
    expect(back.config).toEqual(m.config);
    expect(back.preset).toBe('custom');
    expect(Object.keys(back.ema ?? {}).sort()).toEqual(Object.keys(m.ema ?? {}).sort());
    const a = await m.sampleFlat(5, { sampler: 'ddim', steps: 5 });
    const b = await back.sampleFlat(5, { sampler: 'ddim', steps: 5 });
    expect(b.toArray()).toEqual(a.toArray());
  });

  it("refuses another family's checkpoint and a missing one", async () => {
    const other = join(dir, 'other');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(other, { recursive: true });
    await saveModule(join(other, 'model.safetensors'), new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'vae',
      config: {},
    });
    const err = await Diffusion.load(rt, other).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(String(err.message)).toMatch(/vae/);
    await expect(Diffusion.load(rt, join(dir, 'nothing'))).rejects.toThrow(DiffusionError);
    expect(new DiffusionError('x')).toBeInstanceOf(GenmodelsError);
  });
});

describe('model files as bytes (browsers)', () => {
  it('toFiles() is what save writes; load(rt, files) reproduces weights, EMA and samples', async () => {
    const m = Diffusion.create(rt, TINY_MLP, { seed: 4 });
    await m.fit(gaussianPoints(64, [0, 0], 1, 0), { steps: 3 });
    const files = m.toFiles();
    const d = join(dir, 'files');
    await m.save(d);
    expect(files['model.safetensors']).toEqual(
      new Uint8Array(await readFile(join(d, 'model.safetensors'))),
    );
    expect(files['config.json']).toBe(await readFile(join(d, 'config.json'), 'utf8'));
    const back = await Diffusion.load(rt, files);
    expect(Object.keys(back.ema ?? {}).sort()).toEqual(Object.keys(m.ema ?? {}).sort());
    const opts = { sampler: 'ddim', steps: 4, seed: 2 } as const;
    expect((await back.sampleFlat(5, opts)).toArray()).toEqual(
      (await m.sampleFlat(5, opts)).toArray(),
    );
  });

  it('loads from a File list; another family as files is a CheckpointError', async () => {
    const m = Diffusion.create(rt, TINY_MLP, { seed: 5 });
    const bytes = m.toFiles()['model.safetensors'];
    const back = await Diffusion.load(
      rt,
      modelFilesFromList([new File([bytes as BlobPart], 'd.safetensors')]),
    );
    const opts = { sampler: 'ddpm', steps: 3, seed: 1 } as const;
    expect((await back.sampleFlat(3, opts)).toArray()).toEqual(
      (await m.sampleFlat(3, opts)).toArray(),
    );
    const vae = encodeModule(new Linear(2, 2, { rng: new Rng(0) }), { family: 'vae' });
    const err = await Diffusion.load(rt, { 'model.safetensors': vae }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/'vae' model, expected 'diffusion'/);
  });
});

describe('exportOnnx', () => {
  it('onnx() gives the bytes exportOnnx writes', async () => {
    const m = Diffusion.create(rt, TINY_MLP, { seed: 6 });
    await m.fit(gaussianPoints(64, [0, 0], 1, 0), { steps: 2 });
    const path = join(dir, 'bytes.onnx');
    await m.exportOnnx(path);
    // Copies: encodeOnnx may hand out a Node Buffer, which toEqual tells from a Uint8Array.
    expect(new Uint8Array(m.onnx())).toEqual(new Uint8Array(await readFile(path)));
    expect(() => m.onnx('unet')).toThrow(/unknown diffusion part 'unet'/);
  });

  it('MLP: a fresh onnxruntime-node session reproduces the epsilon prediction', async () => {
    const m = Diffusion.create(rt, TINY_MLP, { seed: 4 });
    await m.fit(gaussianPoints(64, [0, 0], 1, 0), { steps: 2 });
    const path = join(dir, 'mlp.onnx');
    await m.exportOnnx(path);
    const { InferenceSession, Tensor: OrtTensor } = ort();
    const session = await InferenceSession.create(path);
    const x = new Rng(2).normal([6, 2]);
    const t = Float32Array.of(0, 3, 10, 25, 40, 49);
    const got = await session.run({
      x: new OrtTensor('float32', x, [6, 2]),
      t: new OrtTensor('float32', t, [6]),
    });
    const want = await m.denoise(new Tensor('float32', [6, 2], x), t);
    expect(got.eps.dims).toEqual([6, 2]);
    const g = got.eps.data as Float32Array;
    for (const [i, v] of want.toArray().entries()) expect(g[i]).toBeCloseTo(v, 5);
    await expect(m.exportOnnx(join(dir, 'x.onnx'), 'decoder')).rejects.toThrow(
      /unknown diffusion part 'decoder'; expected one of denoiser/,
    );
  });

  it('U-Net with labels and attention: the exported model matches the library', async () => {
    const m = Diffusion.create(rt, TINY_UNET, { seed: 5 });
    await m.fit(randomImages(4, 1), { steps: 1, labels: [0, 1, 2, 1] });
    const path = join(dir, 'unet.onnx');
    await m.exportOnnx(path);
    const { InferenceSession, Tensor: OrtTensor } = ort();
    const session = await InferenceSession.create(path);
    const x = new Rng(3).normal([2, 1, 28, 28]);
    const t = Float32Array.of(2, 17);
    const y = [1, 3]; // 3: the null class
    const got = await session.run({
      x: new OrtTensor('float32', x, [2, 1, 28, 28]),
      t: new OrtTensor('float32', t, [2]),
      y: new OrtTensor('int64', BigInt64Array.from(y, BigInt), [2]),
    });
    const want = await m.denoise(new Tensor('float32', [2, 1, 28, 28], x), t, y);
    const g = got.eps.data as Float32Array;
    let maxDiff = 0;
    want.toArray().forEach((v, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(g[i] - v));
    });
    expect(maxDiff).toBeLessThan(1e-5);
  });
});
