import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GanError } from './errors.js';
import { ganFamily } from './family.js';
import { GAN } from './gan.js';
import { TINY_MLP } from './testing.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'gan-family-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ganFamily', () => {
  it('lists presets, default lengths and parts', () => {
    expect(ganFamily.name).toBe('gan');
    expect(Object.keys(ganFamily.presets)).toEqual([
      'ring8',
      'mnist-dcgan',
      'mnist-cdcgan',
      'cifar-dcgan',
    ]);
    expect(ganFamily.presets.ring8.defaultEpochs).toBeGreaterThan(0);
    expect(ganFamily.parts).toEqual(['generator']);
  });

  it('loads a model from its files (browsers) like from a directory', async () => {
    const gan = GAN.create(rt, TINY_MLP, { seed: 1 });
    const back = await ganFamily.load(rt, gan.toFiles());
    expect(back).toBeInstanceOf(GAN);
    expect(back.config).toEqual(gan.config);
    expect(new Uint8Array(back.onnx())).toEqual(new Uint8Array(gan.onnx()));
  });

  it('refuses an unknown preset before reading data', async () => {
    await expect(ganFamily.train(rt, { preset: 'ring9', steps: 1 })).rejects.toThrow(GanError);
  });

  it('ring8: trains a few steps, saves, loads, evaluates, samples points over data, draws', async () => {
    const totals: number[] = [];
    const model = await ganFamily.train(rt, {
      preset: 'ring8',
      steps: 100,
      seed: 0,
      onProgress: (e) => totals.push(e.total ?? -1),
    });
    expect(totals.at(-1)).toBe(100);
    const d = join(dir, 'ring8');
    await model.save(d);
    const back = await ganFamily.load(rt, d);
    expect(back.preset).toBe('ring8');
    const m = await back.evaluate({ n: 500 });
    expect(Object.keys(m).sort()).toEqual(['hq_fraction', 'modes', 'reverse_kl']);
    expect(m.modes).toBeLessThanOrEqual(8);
    const s = await back.sample(50, 1);
    expect(s.kind).toBe('points');
    if (s.kind === 'points') {
      expect(s.points.shape).toEqual([50, 2]);
      expect(s.reference?.shape).toEqual([50, 2]);
    }
    const files = await back.pictures(d, 0);
    expect(files).toEqual(['samples.png']);
    for (const f of ['model.safetensors', 'config.json', ...files]) await access(join(d, f));
  });

  it('mnist-cdcgan: trains two steps on MNIST, samples a class, evaluates label agreement', async () => {
    const model = await ganFamily.train(rt, { preset: 'mnist-cdcgan', steps: 2, seed: 0 });
    const s = await model.sample(3, 0, { label: 7 });
    expect(s.kind === 'images' && s.images.shape).toEqual([3, 1, 28, 28]);
    await expect(model.sample(3, 0, { label: 10 })).rejects.toThrow(
      /label 10 at 0 is not a class in 0..9/,
    );
    const m = await model.evaluate({ n: 100, limit: 100 });
    expect(Object.keys(m).sort()).toEqual([
      'class_kl',
      'confident_fraction',
      'fld',
      'label_agreement',
      'mean_confidence',
    ]);
    expect(m.label_agreement).toBeGreaterThanOrEqual(0);
    expect(m.label_agreement).toBeLessThanOrEqual(1);
    expect(await model.pictures(join(dir, 'cdcgan'), 0)).toEqual(['samples.png']);
  });
});
