import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModule, Rng, Runtime, Tensor } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Diffusion } from './diffusion.js';
import { DiffusionError } from './errors.js';
import { diffusionFamily } from './family.js';
import { readDiffusionFields } from './io.js';
import { pointStatistics, standardize, toDataUnits } from './normalize.js';
import { randomImages, TINY_MLP, TINY_UNET } from './testing.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'diffusion-own-points-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** n points of a noisy two-turn spiral, scaled by `scale` and shifted by `shift` (seeded). */
function spiral(n: number, seed: number, scale = 1, shift: [number, number] = [0, 0]) {
  const rng = new Rng(seed);
  const u = rng.uniform(n);
  const e = rng.normal(2 * n);
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = 4 * Math.PI * u[i];
    const r = 0.2 + u[i];
    x[2 * i] = shift[0] + scale * (r * Math.cos(a) + 0.03 * e[2 * i]);
    x[2 * i + 1] = shift[1] + scale * (r * Math.sin(a) + 0.03 * e[2 * i + 1]);
  }
  return new Tensor('float32', [n, 2], x);
}

/** Per-column means of points [n, d]. */
function columnMeans(t: Tensor): number[] {
  const [n, d] = t.shape;
  const v = t.data as Float32Array;
  const m = new Array<number>(d).fill(0);
  for (let i = 0; i < n * d; i++) m[i % d] += v[i] / n;
  return m;
}

/** Write points as a CSV file with a header; returns its path. */
async function writeCsv(name: string, t: Tensor, header = 'x,y'): Promise<string> {
  const [n, d] = t.shape;
  const v = t.data as Float32Array;
  const lines = [header];
  for (let i = 0; i < n; i++) lines.push(Array.from(v.subarray(i * d, (i + 1) * d)).join(','));
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

const FAST = { n: 200, sampler: 'ddim', steps: 5 } as const;
const REFUSAL =
  /evaluate: this model was trained on points you gave \(fit\), not on its preset's data.*pass \{ data: held-out points \[N, 2\] \}/;

describe('a model trained on your own points (the issue: moons-2d, then fit(spiral))', () => {
  it('evaluate() refuses and says what to pass; evaluate({ data }) scores against those points', async () => {
    const model = Diffusion.create(rt, 'moons-2d', { seed: 0 });
    expect(model.trainedOn).toBe('preset');
    expect(model.normalization).toBeNull();
    const mine = spiral(512, 1);
    await model.fit(mine, { steps: 5 });
    expect(model.trainedOn).toBe('data');
    const err = await model.evaluate(FAST).catch((e) => e);
    expect(err).toBeInstanceOf(DiffusionError);
    expect(err.message).toMatch(REFUSAL);
    const heldOut = spiral(100, 2);
    const m = await model.evaluate({ ...FAST, data: heldOut });
    expect(Object.keys(m).sort()).toEqual(['mmd', 'mmd_data_baseline']);
    expect(Number.isFinite(m.mmd)).toBe(true);
    expect(Number.isFinite(m.mmd_data_baseline)).toBe(true);
    // Points of another dimension are a named error.
    await expect(model.evaluate({ ...FAST, data: Tensor.zeros([10, 3]) })).rejects.toThrow(
      /evaluate: data: points have 3 values each, but this model's points have 2 \(dataDim 2\)/,
    );
  });

  it('fit with a held-out reference: evaluate() uses it; reference "preset" keeps the toy set', async () => {
    const model = Diffusion.create(rt, { ...TINY_MLP, toy: 'moons' }, { seed: 0 });
    await model.fit(spiral(64, 3), { steps: 2, reference: spiral(40, 4) });
    const m = await model.evaluate(FAST);
    expect(Number.isFinite(m.mmd)).toBe(true);
    const s = await model.sample(50, 0, { sampler: 'ddim', steps: 2 });
    expect(s.kind === 'points' && s.reference?.shape).toEqual([40, 2]);
    // A later fit without a reference forgets it: it may be other data.
    await model.fit(spiral(64, 5), { steps: 1 });
    await expect(model.evaluate(FAST)).rejects.toThrow(REFUSAL);
    // The preset's own points: scored against the toy set (today's behaviour).
    const toy = Diffusion.create(rt, { ...TINY_MLP, toy: 'moons' }, { seed: 0 });
    await toy.fit(spiral(64, 3), { steps: 1, reference: 'preset' });
    expect(toy.trainedOn).toBe('preset');
    expect(toy.normalization).toBeNull();
    expect(Object.keys(await toy.evaluate(FAST)).sort()).toEqual(['mmd', 'mmd_data_baseline']);
  });

  it('standardizes the points for training and returns samples in data units', async () => {
    const data = spiral(512, 6, 40, [100, 60]);
    const model = Diffusion.create(rt, 'moons-2d', { seed: 0 });
    await model.fit(data, { steps: 150, seed: 1 });
    const norm = model.normalization;
    expect(norm).not.toBeNull();
    const want = columnMeans(data);
    for (const [j, m] of (norm?.mean ?? []).entries()) expect(m).toBeCloseTo(want[j], 3);
    // In data units: around the data's mean, not around 0 (the denoiser's units).
    const x = await model.sampleFlat(500, { sampler: 'ddim', steps: 20, seed: 2 });
    const got = columnMeans(x);
    for (const j of [0, 1])
      expect(Math.abs(got[j] - want[j])).toBeLessThan(0.5 * (norm?.std[j] ?? 0));
    // onStep sees data units too.
    const last: number[] = [];
    await model.sampleFlat(4, {
      sampler: 'ddim',
      steps: 2,
      onStep: (e) => {
        if (e.step === e.steps) last.push(...e.x);
      },
    });
    const again = await model.sampleFlat(4, { sampler: 'ddim', steps: 2 });
    expect(Array.from(again.data as Float32Array)).toEqual(last.map(Math.fround));
    // normalize: false trains on the values as they are.
    const raw = Diffusion.create(rt, TINY_MLP, { seed: 0 });
    await raw.fit(data.takeRows([...Array(64).keys()]), { steps: 1, normalize: false });
    expect(raw.normalization).toBeNull();
    expect(raw.trainedOn).toBe('data');
  });

  it('save / load keeps the refusal and the normalization (config.json records them; the ONNX too)', async () => {
    const model = Diffusion.create(rt, TINY_MLP, { seed: 0 });
    await model.fit(spiral(64, 7, 10, [5, -5]), {
      steps: 2,
      reference: spiral(30, 8, 10, [5, -5]),
    });
    await expect(model.evaluate(FAST)).resolves.toHaveProperty('mmd');
    const d = join(dir, 'saved');
    await model.save(d);
    const config = JSON.parse(await readFile(join(d, 'config.json'), 'utf8'));
    expect(config.trainedOn).toBe('data');
    expect(config.normalization).toEqual(model.normalization);
    expect(new TextDecoder().decode(model.onnx())).toContain('"normalization"');
    for (const back of [await Diffusion.load(rt, d), await Diffusion.load(rt, model.toFiles())]) {
      expect(back.trainedOn).toBe('data');
      expect(back.normalization).toEqual(model.normalization);
      // The held-out points were in memory only.
      await expect(back.evaluate(FAST)).rejects.toThrow(REFUSAL);
      const m = await back.evaluate({ ...FAST, data: spiral(30, 8, 10, [5, -5]) });
      expect(Number.isFinite(m.mmd)).toBe(true);
      const opts = { sampler: 'ddim', steps: 3, seed: 4 } as const;
      expect((await back.sampleFlat(6, opts)).toArray()).toEqual(
        (await model.sampleFlat(6, opts)).toArray(),
      );
    }
  });

  it('a checkpoint without the fields loads as trained on its preset; bad fields are named errors', async () => {
    const m = Diffusion.create(rt, { ...TINY_MLP, toy: 'moons' }, { seed: 0 });
    const files = m.toFiles();
    const config = JSON.parse(files['config.json'] as string);
    expect(config).not.toHaveProperty('trainedOn');
    expect(config).not.toHaveProperty('normalization');
    const back = await Diffusion.load(rt, files);
    expect(back.trainedOn).toBe('preset');
    expect(back.normalization).toBeNull();
    const stored = { family: 'diffusion', preset: 'custom', config: m.config };
    const load = (extra: object) =>
      Diffusion.load(rt, {
        'model.safetensors': encodeModule(m.net, {
          family: 'diffusion',
          config: { ...stored, ...extra },
        }),
      });
    await expect(load({ trainedOn: 'spiral' })).rejects.toThrow(
      /model files: diffusion stored fields: trainedOn \("spiral"\) must be one of "preset", "data"/,
    );
    await expect(
      load({ trainedOn: 'data', normalization: { mean: [0, 0, 0], std: [1, 1, 1] } }),
    ).rejects.toThrow(
      /normalization has 3 dimensions, but the config describes points of dataDim 2/,
    );
    await expect(load({ normalization: { mean: [0, 0], std: [1, 0] } })).rejects.toThrow(
      /normalization\.std\.1 \(0\) must be > 0/,
    );
    expect(readDiffusionFields({}, 'x')).toEqual({ trainedOn: 'preset', normalization: null });
  });

  it('refuses what does not fit: preset reference without a toy set, U-Net options, one held-out point', async () => {
    const custom = Diffusion.create(rt, TINY_MLP, { seed: 0 });
    await expect(custom.fit(spiral(64, 1), { steps: 1, reference: 'preset' })).rejects.toThrow(
      /reference 'preset' names the preset's toy set, but this model has none/,
    );
    await expect(custom.evaluate(FAST)).rejects.toThrow(
      /a custom point model has no reference set of its own; pass \{ data: held-out points \[N, 2\] \}/,
    );
    await expect(
      custom.fit(spiral(64, 1), { steps: 1, reference: Tensor.zeros([5, 3]) }),
    ).rejects.toThrow(/fit: reference: points have 3 values each/);
    // A failed fit records nothing.
    expect(custom.trainedOn).toBe('preset');
    await expect(custom.fit(spiral(8, 1), { steps: 1 })).rejects.toThrow(/fewer than one batch/);
    expect(custom.trainedOn).toBe('preset');
    await expect(custom.evaluate({ ...FAST, data: spiral(1, 1) })).rejects.toThrow(
      /evaluate: 1 held-out point; the MMD needs 2 or more/,
    );
    const unet = Diffusion.create(rt, TINY_UNET, { seed: 0 });
    const labels = [0, 1, 2, 1];
    await expect(
      unet.fit(randomImages(4, 0), { steps: 1, labels, reference: spiral(4, 1) }),
    ).rejects.toThrow(/fit: reference: expected \[N, 28, 28\] or \[N, 1, 28, 28\] images, got/);
    await expect(unet.evaluate({ data: spiral(4, 1) })).rejects.toThrow(
      /evaluate: data: expected \[N, 28, 28\] or \[N, 1, 28, 28\] images, got/,
    );
  });

  it('standardization: constant dimensions get std 1, and the round trip is the identity', () => {
    const x = new Tensor('float32', [3, 2], Float32Array.of(1, 7, 2, 7, 3, 7));
    const norm = pointStatistics(x);
    expect(norm.mean).toEqual([2, 7]);
    expect(norm.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(norm.std[1]).toBe(1);
    const z = standardize(x, norm);
    expect(Array.from(z.data as Float32Array).filter((_, i) => i % 2 === 1)).toEqual([0, 0, 0]);
    const back = toDataUnits(z.data as Float32Array, norm);
    for (const [i, v] of back.entries()) expect(v).toBeCloseTo((x.data as Float32Array)[i], 5);
  });
});

describe('diffusionFamily.train with data (genmodels train diffusion --data)', () => {
  it('declares the options it reads', () => {
    expect(diffusionFamily.trainOptions).toEqual(['data', 'valFraction', 'imageSize', 'labels']);
    expect(diffusionFamily.evalOptions).toEqual(['data']);
  });

  it('trains a point preset on a CSV file: split, standardized, provenance, samples in data units', async () => {
    const all = spiral(400, 11, 40, [100, 100]); // values about 50..150
    const path = await writeCsv('spiral.csv', all);
    const totals: number[] = [];
    const model = await diffusionFamily.train(rt, {
      preset: 'moons-2d',
      data: path,
      valFraction: 0.1,
      seed: 0,
      epochs: 150, // 360 training rows: 1 step of 256 per epoch
      onProgress: (e) => totals.push(e.total ?? -1),
    });
    expect(totals.at(-1)).toBe(150);
    expect(model.preset).toBe('moons-2d');
    expect(model.config.toy).toBeUndefined();
    expect(model.config.dataDim).toBe(2);
    expect(model.config.hidden).toBe(128);
    expect(model.trainedOn).toBe('data');
    expect(model.data).toEqual({
      source: path,
      shape: [400, 2],
      normalization: 'standardize',
      split: { valFraction: 0.1, seed: 0, trainRows: 360, valRows: 40 },
    });
    const want = columnMeans(all);
    const norm = model.normalization;
    expect(norm).not.toBeNull();
    const x = await model.sampleFlat(400, { sampler: 'ddim', steps: 20, seed: 1 });
    const got = columnMeans(x);
    for (const j of [0, 1]) {
      expect(Math.abs((norm?.mean[j] ?? 0) - want[j])).toBeLessThan(5);
      expect(Math.abs(got[j] - want[j])).toBeLessThan(0.5 * (norm?.std[j] ?? 0));
    }
    // evaluate(): the 40 held-out rows (in memory); or a file of held-out points.
    const m = await model.evaluate(FAST);
    expect(Object.keys(m).sort()).toEqual(['mmd', 'mmd_data_baseline']);
    expect(Number.isFinite(m.mmd)).toBe(true);
    const heldPath = await writeCsv('held.csv', spiral(100, 12, 40, [100, 100]));
    const h = await model.evaluate({ ...FAST, data: heldPath });
    expect(Number.isFinite(h.mmd)).toBe(true);
    const other = await writeCsv('3d.csv', Tensor.zeros([10, 3]), 'a,b,c');
    await expect(model.evaluate({ ...FAST, data: other })).rejects.toThrow(
      /evaluate: data '.*3d\.csv': points have 3 values each, but this model's points have 2/,
    );
    // Samples over the held-out points; pictures over them, trajectories in data units.
    const s = await model.sample(30, 0, { sampler: 'ddim', steps: 2 });
    expect(s.kind === 'points' && s.reference?.shape).toEqual([30, 2]);
    const d = join(dir, 'family-run');
    expect(await model.pictures(d, 0)).toEqual(['samples.png', 'steps.json']);
    const steps = JSON.parse(await readFile(join(d, 'steps.json'), 'utf8'));
    const first = steps.frames[0].points as number[];
    const x0 = first.filter((_: number, i: number) => i % 2 === 0);
    const mean0 = x0.reduce((a, b) => a + b, 0) / x0.length;
    expect(Math.abs(mean0 - want[0])).toBeLessThan(0.5 * (norm?.std[0] ?? 0));
    // Saved and loaded: the refusal, with the file as the way out.
    await model.save(join(dir, 'family-saved'));
    const back = await diffusionFamily.load(rt, join(dir, 'family-saved'));
    expect(back.preset).toBe('moons-2d');
    await expect(back.evaluate(FAST)).rejects.toThrow(REFUSAL);
    expect(Number.isFinite((await back.evaluate({ ...FAST, data: heldPath })).mmd)).toBe(true);
  });

  it('takes D from the data: 3-D points train a 3-D model, pictures show two dimensions', async () => {
    const rows = 300;
    const v = new Rng(3).normal(rows * 3);
    const path = await writeCsv('points3.csv', new Tensor('float32', [rows, 3], v), 'a,b,c');
    const model = await diffusionFamily.train(rt, { preset: 'moons-2d', data: path, steps: 2 });
    expect(model.config.dataDim).toBe(3);
    expect(model.data?.split).toEqual({ valFraction: 0.1, seed: 0, trainRows: 270, valRows: 30 });
    const x = await model.sampleFlat(5, { sampler: 'ddim', steps: 2 });
    expect(x.shape).toEqual([5, 3]);
    expect(await model.pictures(join(dir, 'p3'), 0)).toEqual(['samples.png', 'steps.json']);
    // A later fit may be other data: the provenance of the file is cleared.
    await model.fit(new Tensor('float32', [rows, 3], v), { steps: 1 });
    expect(model.data).toBeUndefined();
  });

  it('refuses image presets with data, too few rows, and a split without held-out points', async () => {
    const path = await writeCsv('small.csv', spiral(20, 1));
    await expect(
      diffusionFamily.train(rt, { preset: 'mnist-unet-tiny', data: path, steps: 1 }),
    ).rejects.toThrow(
      /preset 'mnist-unet-tiny' is a U-Net and trains on a folder of images \(PNG \/ JPEG\); for a file of points use a point preset/,
    );
    await expect(
      diffusionFamily.train(rt, { preset: 'moons-2d', data: path, steps: 1 }),
    ).rejects.toThrow(
      /fit: 18 examples, fewer than one batch of 256 \(the config's batchSize\); give more data or a smaller batchSize/,
    );
    await expect(
      diffusionFamily.train(rt, { preset: 'moons-2d', data: path, valFraction: 0, steps: 1 }),
    ).rejects.toThrow(/valFraction \(0\) must be a number in \(0, 1\)/);
    await expect(
      diffusionFamily.train(rt, { preset: 'moons-2d', data: path, valFraction: 0.05, steps: 1 }),
    ).rejects.toThrow(/holds out 1; evaluation needs 2 or more held-out points/);
    await expect(
      diffusionFamily.train(rt, { preset: 'moons-2d', data: join(dir, 'missing.csv'), steps: 1 }),
    ).rejects.toThrow(/missing\.csv/);
    await expect(
      diffusionFamily.train(rt, { preset: 'moons-2d', valFraction: 0.2 }),
    ).rejects.toThrow(/valFraction \(0\.2\) holds out part of your own data; give it with data/);
  });
});
