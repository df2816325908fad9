import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenmodelsError, Linear, Rng, Runtime, saveModule, Tensor } from '@genmodels/runtime';
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

describe('ONNX export', () => {
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
