import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { emaUpdate } from '@genmodels/runtime/internal';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneHot } from './data.js';
import { GanError } from './errors.js';
import { GAN } from './gan.js';
import { MODEL_FILE } from './io.js';
import { gaussianPoints, TINY_MLP, tinyDcgan } from './testing.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'gan-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bits = (t: Tensor) => Array.from(new Uint32Array((t.data as Float32Array).slice().buffer));

/** A trained tiny DCGAN (conditional, EMA on) so BatchNorm statistics and EMA differ from init. */
async function trainedDcgan(): Promise<GAN> {
  const gan = GAN.create(rt, { ...tinyDcgan(10), emaDecay: 0.5 }, { seed: 3 });
  const x = new Tensor('float32', [16, 784], new Rng(1).uniform(16 * 784, -1, 1));
  await gan.fit(x, { steps: 3, labels: Array.from({ length: 16 }, (_, i) => i % 10) });
  return gan;
}

describe('EMA of the generator weights', () => {
  it('follows ema <- decay * ema + (1 - decay) * w', () => {
    const ema = { a: new Tensor('float32', [2], Float32Array.of(1, -2)) };
    emaUpdate(ema, { a: new Tensor('float32', [2], Float32Array.of(3, 2)) }, 0.75);
    expect(Array.from(ema.a.data as Float32Array)).toEqual([1.5, -1]);
    emaUpdate(ema, { a: new Tensor('float32', [2], Float32Array.of(1.5, 3)) }, 0.5);
    expect(Array.from(ema.a.data as Float32Array)).toEqual([1.5, 1]);
  });

  it('is what fit keeps and what sampling uses', async () => {
    const gan = GAN.create(rt, { ...TINY_MLP, emaDecay: 0.9 }, { seed: 0 });
    const init = gan.net.stateDict()['generator.fc1.weight'].clone();
    const { gStep } = await gan.trainSteps(0);
    const w: Tensor[] = [];
    // Record the live weights after each G step by wrapping the EMA hook's source.
    const orig = gStep.parameters.bind(gStep);
    gStep.parameters = async () => {
      const p = await orig();
      w.push(p['generator.fc1.weight'].clone());
      return p;
    };
    await gan.fit(gaussianPoints(64, [1, 1], 0.1, 0), { steps: 3 });
    const want = Float32Array.from(init.data as Float32Array);
    for (const t of w) {
      const a = t.data as Float32Array;
      for (let i = 0; i < want.length; i++) want[i] = 0.9 * want[i] + 0.1 * a[i];
    }
    expect(w).toHaveLength(3);
    expect(Array.from(gan.ema?.['generator.fc1.weight'].data as Float32Array)).toEqual(
      Array.from(want),
    );
    const live = GAN.create(rt, { ...TINY_MLP, emaDecay: 0 });
    live.net.loadStateDict(gan.net.stateDict());
    expect(bits(await gan.sampleFlat(4, 0))).not.toEqual(bits(await live.sampleFlat(4, 0)));
    const averaged = GAN.create(rt, { ...TINY_MLP, emaDecay: 0 });
    averaged.net.loadStateDict({ ...gan.net.stateDict(), ...gan.ema });
    expect(bits(await gan.sampleFlat(4, 0))).toEqual(bits(await averaged.sampleFlat(4, 0)));
  });
});

describe('save / load', () => {
  it('round-trips weights, BatchNorm statistics, EMA and preset', async () => {
    const gan = await trainedDcgan();
    const d = join(dir, 'dcgan');
    await gan.save(d);
    const back = await GAN.load(rt, d);
    expect(back.preset).toBe('custom');
    expect(back.config).toEqual(gan.config);
    expect(Object.keys(back.ema ?? {}).sort()).toEqual(Object.keys(gan.ema ?? {}).sort());
    const labels = [7, 7, 1];
    expect(bits(await back.sampleFlat(3, 5, labels))).toEqual(
      bits(await gan.sampleFlat(3, 5, labels)),
    );
    const sd = back.net.stateDict();
    for (const [k, t] of Object.entries(gan.net.stateDict()))
      expect(sd[k].shape, k).toEqual(t.shape);
    expect(Array.from(sd['generator.bn1.running_mean'].data as Float32Array)).not.toEqual([
      0, 0, 0, 0,
    ]);
  });

  it('names the problem for missing, foreign, corrupt and mismatched checkpoints', async () => {
    await expect(GAN.load(rt, join(dir, 'nothing'))).rejects.toThrow(/no GAN checkpoint at/);
    const foreign = join(dir, 'vae');
    await import('node:fs/promises').then((fs) => fs.mkdir(foreign, { recursive: true }));
    await saveModule(join(foreign, MODEL_FILE), new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'vae',
    });
    await expect(GAN.load(rt, foreign)).rejects.toThrow(CheckpointError);
    await expect(GAN.load(rt, foreign)).rejects.toThrow(/'vae' model, expected 'gan'/);
    const corrupt = join(dir, 'corrupt');
    await GAN.create(rt, TINY_MLP).save(corrupt);
    const bytes = await readFile(join(corrupt, MODEL_FILE));
    await writeFile(join(corrupt, MODEL_FILE), bytes.subarray(0, bytes.length - 100));
    await expect(GAN.load(rt, corrupt)).rejects.toThrow(CheckpointError);
    const mismatch = join(dir, 'mismatch');
    await GAN.create(rt, TINY_MLP).save(mismatch);
    const cfg = JSON.parse(await readFile(join(mismatch, 'config.json'), 'utf8'));
    // Same file, but metadata says hidden 32: rewrite via a model whose config differs.
    const other = GAN.create(rt, { ...TINY_MLP, hidden: 8 });
    other.net.cfg.hidden = cfg.config.hidden;
    await other.save(mismatch);
    await expect(GAN.load(rt, mismatch)).rejects.toThrow(/does not match its config/);
  });
});

describe('model files as bytes (browsers)', () => {
  it('toFiles() is what save writes; load(rt, files) reproduces weights, EMA and samples', async () => {
    const gan = await trainedDcgan();
    const files = gan.toFiles();
    const d = join(dir, 'files');
    await gan.save(d);
    expect(files['model.safetensors']).toEqual(new Uint8Array(await readFile(join(d, MODEL_FILE))));
    expect(files['config.json']).toBe(await readFile(join(d, 'config.json'), 'utf8'));
    const back = await GAN.load(rt, files);
    expect(back.config).toEqual(gan.config);
    expect(Object.keys(back.ema ?? {}).sort()).toEqual(Object.keys(gan.ema ?? {}).sort());
    const labels = [2, 7, 7];
    expect(bits(await back.sampleFlat(3, 9, labels))).toEqual(
      bits(await gan.sampleFlat(3, 9, labels)),
    );
  });

  it('loads from a File list; another family as files is a CheckpointError', async () => {
    const gan = GAN.create(rt, TINY_MLP, { seed: 2 });
    const model = new File([gan.toFiles()['model.safetensors'] as BlobPart], 'g.safetensors');
    const back = await GAN.load(rt, modelFilesFromList([model]));
    expect(bits(await back.sampleFlat(5, 1))).toEqual(bits(await gan.sampleFlat(5, 1)));
    const vae = encodeModule(new Linear(2, 2, { rng: new Rng(0) }), { family: 'vae' });
    const err = await GAN.load(rt, { [MODEL_FILE]: vae }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/'vae' model, expected 'gan'/);
    await expect(GAN.load(rt, {})).rejects.toThrow(/no GAN checkpoint at 'model.safetensors'/);
  });
});

describe('exportOnnx', () => {
  it('onnx() gives the bytes exportOnnx writes', async () => {
    const gan = await trainedDcgan();
    const path = join(dir, 'bytes.onnx');
    await gan.exportOnnx(path);
    // Copies: encodeOnnx may hand out a Node Buffer, which toEqual tells from a Uint8Array.
    expect(new Uint8Array(gan.onnx())).toEqual(new Uint8Array(await readFile(path)));
    expect(() => gan.onnx('critic')).toThrow(/unknown GAN part 'critic'/);
  });

  it.each([
    ['conditional DCGAN with BatchNorm and EMA', trainedDcgan],
    ['2-D MLP', async () => GAN.create(rt, TINY_MLP, { seed: 4 })],
  ])('%s: a fresh onnxruntime session reproduces sample for the same noise', async (_n, make) => {
    const gan = await make();
    const path = join(dir, `g-${gan.config.arch}.onnx`);
    await gan.exportOnnx(path);
    const session = await ort.InferenceSession.create(path);
    const n = 4;
    const z = gan.noise(n, 11);
    const labels = gan.config.numClasses > 0 ? [7, 0, 3, 9] : undefined;
    const feeds: Record<string, ort.Tensor> = {
      z: new ort.Tensor('float32', z.data as Float32Array, [n, gan.config.zDim]),
    };
    if (labels)
      feeds.y = new ort.Tensor('float32', oneHot(labels, 10).data as Float32Array, [n, 10]);
    const out = (await session.run(feeds)).x;
    expect(out.dims).toEqual([n, gan.config.dataDim]);
    const want = await gan.sampleFlat(n, 11, labels);
    const got = out.data as Float32Array;
    const w = want.data as Float32Array;
    let maxErr = 0;
    for (let i = 0; i < w.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - w[i]));
    expect(maxErr).toBeLessThan(1e-5);
    await session.release();
  });

  it('rejects unknown parts', async () => {
    await expect(
      GAN.create(rt, TINY_MLP).exportOnnx(join(dir, 'x.onnx'), 'discriminator'),
    ).rejects.toThrow(GanError);
  });
});
