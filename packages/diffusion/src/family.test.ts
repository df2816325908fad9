import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetNotFoundError } from '@genmodels/datasets';
import { Runtime } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';
import { diffusionFamily } from './family.js';
import { TINY_MLP } from './testing.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'diffusion-family-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('diffusionFamily', () => {
  it('loads a model from its files (browsers) like from a directory', async () => {
    const model = Diffusion.create(rt, TINY_MLP, { seed: 1 });
    const back = await diffusionFamily.load(rt, model.toFiles());
    expect(back).toBeInstanceOf(Diffusion);
    expect(back.config).toEqual(model.config);
    expect(new Uint8Array(back.onnx())).toEqual(new Uint8Array(model.onnx()));
  });

  it('lists presets, default lengths, parts and sample options', () => {
    expect(diffusionFamily.name).toBe('diffusion');
    expect(Object.keys(diffusionFamily.presets)).toEqual([
      'moons-2d',
      'mnist-unet',
      'mnist-unet-tiny',
      'cifar-unet',
    ]);
    expect(diffusionFamily.presets['moons-2d'].defaultEpochs).toBeGreaterThan(0);
    expect(diffusionFamily.parts).toEqual(['denoiser']);
    expect(diffusionFamily.sampleOptions).toEqual(['label', 'steps', 'sampler', 'eta', 'guidance']);
  });

  it("cifar-unet: without the CIFAR-10 files, the data set's own named error comes through", async () => {
    const empty = join(dir, 'no-cifar');
    await mkdir(empty, { recursive: true });
    const err = await diffusionFamily
      .train(rt, { preset: 'cifar-unet', dataDir: empty, steps: 1 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toMatch(
      /CIFAR-10: '.*no-cifar' \(from option `dir`\) holds none of the files/,
    );
  });

  it('refuses an unknown preset before reading data', async () => {
    await expect(diffusionFamily.train(rt, { preset: 'moons-3d', steps: 1 })).rejects.toThrow(
      DiffusionError,
    );
  });

  it('moons-2d: trains a few steps, saves, loads, evaluates, samples points over data, draws', async () => {
    const totals: number[] = [];
    const model = await diffusionFamily.train(rt, {
      preset: 'moons-2d',
      steps: 20,
      seed: 0,
      onProgress: (e) => totals.push(e.total ?? -1),
    });
    expect(totals.at(-1)).toBe(20);
    const d = join(dir, 'moons');
    await model.save(d);
    const back = await diffusionFamily.load(rt, d);
    expect(back.preset).toBe('moons-2d');
    const m = await back.evaluate({ n: 200, sampler: 'ddim', steps: 5 });
    expect(Object.keys(m).sort()).toEqual(['mmd', 'mmd_data_baseline']);
    expect(m.mmd_data_baseline).toBeGreaterThanOrEqual(0);
    const s = await back.sample(50, 1, { steps: 3, sampler: 'ddim' });
    expect(s.kind).toBe('points');
    if (s.kind === 'points') {
      expect(s.points.shape).toEqual([50, 2]);
      expect(s.reference?.shape).toEqual([50, 2]);
    }
    await expect(back.sample(5, 0, { label: 1 })).rejects.toThrow(/unconditional/);
    for (const f of ['model.safetensors', 'config.json']) await access(join(d, f));
  });

  it('pictures of a 2-D toy model: samples.png and steps.json with the trajectories', async () => {
    const model = Diffusion.create(rt, { ...TINY_MLP, toy: 'moons' }, { seed: 0 });
    const d = join(dir, 'pictures');
    expect(await model.pictures(d, 0)).toEqual(['samples.png', 'steps.json']);
    await access(join(d, 'samples.png'));
    const steps = JSON.parse(await readFile(join(d, 'steps.json'), 'utf8'));
    expect(steps.steps).toBe(50);
    expect(steps.frames.length).toBe(51); // x_T and every step
    expect(steps.frames[0].points.length).toBe(600); // 300 points
    expect(steps.frames.at(-1).t).toBe(0);
  });

  it('mnist-unet-tiny: trains two steps on MNIST, samples a class, evaluates label agreement', async () => {
    const model = await diffusionFamily.train(rt, { preset: 'mnist-unet-tiny', steps: 2, seed: 0 });
    const s = await model.sample(3, 0, { label: 7, steps: 2 });
    expect(s.kind === 'images' && s.images.shape).toEqual([3, 1, 28, 28]);
    await expect(model.sample(3, 0, { label: 10 })).rejects.toThrow(
      /label 10 at 0 is not a class in 0..9/,
    );
    const m = await model.evaluate({ n: 20, limit: 100, steps: 2 });
    expect(Object.keys(m).sort()).toEqual([
      'class_kl',
      'confident_fraction',
      'fld',
      'label_agreement',
      'mean_confidence',
    ]);
    expect(m.label_agreement).toBeGreaterThanOrEqual(0);
    expect(m.label_agreement).toBeLessThanOrEqual(1);
  });
});
