import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
import { VaeError } from './errors.js';
import { barImages } from './testing.js';
import { VAE } from './vae.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'vae-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tiny = { imageSize: 8, latent: 4, hidden: 16, batchSize: 32 } as const;

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

describe('save / load', () => {
  it('round-trips weights, config and preset', async () => {
    const vae = VAE.create(rt, { ...tiny, beta: 2 }, { seed: 3 });
    await vae.fit(barImages(64, 8, 0), { steps: 2 });
    const out = join(dir, 'a');
    await vae.save(out);
    const cfg = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ family: 'vae', preset: 'custom', config: { latent: 4, beta: 2 } });
    const back = await VAE.load(rt, out);
    expect(back.config).toEqual(vae.config);
    expect(Object.keys(back.net.stateDict())).toEqual([
      'encoder.fc1.weight',
      'encoder.fc1.bias',
      'encoder.fc_mu.weight',
      'encoder.fc_mu.bias',
      'encoder.fc_logvar.weight',
      'encoder.fc_logvar.bias',
      'decoder.fc1.weight',
      'decoder.fc1.bias',
      'decoder.fc2.weight',
      'decoder.fc2.bias',
    ]);
    const z = new Tensor('float32', [3, 4], new Rng(1).normal([3, 4]));
    expect((await back.decode(z)).toArray()).toEqual((await vae.decode(z)).toArray());
  });

  it('names the problem: missing, corrupt, other family, unwritable', async () => {
    await expect(VAE.load(rt, join(dir, 'nope'))).rejects.toThrow(/no VAE checkpoint at/);
    const bad = join(dir, 'corrupt');
    await VAE.create(rt, tiny).save(bad);
    const bytes = await readFile(join(bad, 'model.safetensors'));
    await writeFile(join(bad, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    await expect(VAE.load(rt, bad)).rejects.toThrow(GenmodelsError);
    const gan = join(dir, 'gan');
    await VAE.create(rt, tiny).save(gan);
    await saveModule(join(gan, 'model.safetensors'), new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'gan',
    });
    await expect(VAE.load(rt, gan)).rejects.toThrow(/is a 'gan' model, expected 'vae'/);
    const file = join(dir, 'file');
    await writeFile(file, 'x');
    await expect(VAE.create(rt, tiny).save(join(file, 'sub'))).rejects.toThrow(VaeError);
  });
});

describe('model files as bytes (browsers)', () => {
  it('toFiles() is what save writes, and load(rt, files) reproduces the model', async () => {
    const vae = VAE.create(rt, { ...tiny, beta: 2 }, { seed: 4 });
    await vae.fit(barImages(64, 8, 0), { steps: 2 });
    const files = vae.toFiles();
    const out = join(dir, 'files');
    await vae.save(out);
    expect(files['model.safetensors']).toEqual(
      new Uint8Array(await readFile(join(out, 'model.safetensors'))),
    );
    expect(files['config.json']).toBe(await readFile(join(out, 'config.json'), 'utf8'));
    const back = await VAE.load(rt, files);
    expect(back.config).toEqual(vae.config);
    const want = await vae.sample(5, 7);
    const got = await back.sample(5, 7);
    expect(want.kind === 'images' && got.kind === 'images').toBe(true);
    if (want.kind === 'images' && got.kind === 'images')
      expect(got.images.toArray()).toEqual(want.images.toArray());
  });

  it('loads from a File list (an <input type=file>), with or without config.json', async () => {
    const vae = VAE.create(rt, tiny, { seed: 6 });
    const files = vae.toFiles();
    const picked = [new File([files['model.safetensors'] as BlobPart], 'my-vae.safetensors')];
    const back = await VAE.load(rt, modelFilesFromList(picked));
    const z = new Tensor('float32', [2, 4], new Rng(3).normal([2, 4]));
    expect((await back.decode(z)).toArray()).toEqual((await vae.decode(z)).toArray());
    picked.push(new File([files['config.json']], 'config.json'));
    expect((await VAE.load(rt, modelFilesFromList(picked))).config).toEqual(vae.config);
  });

  it('another family or a missing checkpoint, given as files, is refused by name', async () => {
    const gan = encodeModule(new Linear(2, 2, { rng: new Rng(0) }), { family: 'gan' });
    const err = await VAE.load(rt, { 'model.safetensors': gan }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/is a 'gan' model, expected 'vae'/);
    await expect(VAE.load(rt, { 'config.json': '{}' })).rejects.toThrow(
      /no VAE checkpoint at 'model.safetensors'/,
    );
    const cut = VAE.create(rt, tiny).toFiles()['model.safetensors'].subarray(0, 50);
    await expect(VAE.load(rt, { 'model.safetensors': cut })).rejects.toThrow(GenmodelsError);
  });
});

describe('ONNX export', () => {
  it('onnx(part) gives the bytes exportOnnx writes', async () => {
    const vae = VAE.create(rt, tiny, { seed: 5 });
    for (const part of ['decoder', 'encoder']) {
      const path = join(dir, `bytes-${part}.onnx`);
      await vae.exportOnnx(path, part);
      // Copies: encodeOnnx may hand out a Node Buffer, which toEqual tells from a Uint8Array.
      expect(new Uint8Array(vae.onnx(part))).toEqual(new Uint8Array(await readFile(path)));
    }
    expect(vae.onnx()).toEqual(vae.onnx('decoder'));
    expect(() => vae.onnx('prior')).toThrow(VaeError);
    await expect(vae.exportOnnx(join(dir, 'nope', 'x.onnx'))).rejects.toThrow(
      /cannot write '.*x\.onnx': directory '.*nope' does not exist/,
    );
  });

  it('the decoder, in a fresh ORT session, reproduces decode exactly', async () => {
    const vae = VAE.create(rt, tiny, { seed: 5 });
    const path = join(dir, 'decoder.onnx');
    await vae.exportOnnx(path);
    const { InferenceSession, Tensor: OrtTensor } = ort();
    const session = await InferenceSession.create(path);
    const z = new Rng(2).normal([6, 4]);
    const got = await session.run({ z: new OrtTensor('float32', z, [6, 4]) });
    expect(got.x.dims).toEqual([6, 64]);
    const want = await vae.decode(new Tensor('float32', [6, 4], z));
    expect(Array.from(got.x.data as Float32Array)).toEqual(want.toArray());
  });

  it('the encoder gives mu and logvar; unknown parts are refused', async () => {
    const vae = VAE.create(rt, { ...tiny, arch: 'conv', channels: [4, 8] }, { seed: 5 });
    const path = join(dir, 'encoder.onnx');
    await vae.exportOnnx(path, 'encoder');
    const { InferenceSession, Tensor: OrtTensor } = ort();
    const session = await InferenceSession.create(path);
    const x = barImages(3, 8, 0);
    const got = await session.run({ x: new OrtTensor('float32', x.data as Float32Array, [3, 64]) });
    const want = await vae.encode(x);
    expect(Array.from(got.mu.data as Float32Array)).toEqual(want.mu.toArray());
    expect(Array.from(got.logvar.data as Float32Array)).toEqual(want.logvar.toArray());
    await expect(vae.exportOnnx(join(dir, 'x.onnx'), 'prior')).rejects.toThrow(
      /unknown VAE part 'prior'/,
    );
  });
});
