import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, Tensor } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GanError } from './errors.js';
import { ganFamily } from './family.js';
import { GAN } from './gan.js';
import { columnMeans, pointsCsv, spiralPoints, TINY_MLP } from './testing.js';

let rt: Runtime;
let dir: string;
let csv: string;
/** 400 points of a spiral scaled by 5 and shifted by 100: values about 50..150. */
const spiral = spiralPoints(400, 7, 5, 100);
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'gan-own-'));
  csv = join(dir, 'spiral.csv');
  await writeFile(csv, pointsCsv(spiral));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const REFUSAL = /evaluate: this GAN was trained on points you gave \(fit\).*pass held-out points/;
const bits = (t: Tensor) => Array.from(new Uint32Array((t.data as Float32Array).slice().buffer));

describe('a 2-D preset trained on your own points', () => {
  it('create ring8, fit on a spiral: evaluate() refuses and names what to pass; evaluate({ data }) scores', async () => {
    const gan = GAN.create(rt, 'ring8', { seed: 0 });
    expect(gan.trainedOn).toBe('preset');
    const train = spiralPoints(512, 1);
    const heldOut = spiralPoints(200, 2);
    await gan.fit(train, { steps: 3, seed: 0 });
    expect(gan.trainedOn).toBe('data');
    expect(gan.normalization).toBeNull();
    await expect(gan.evaluate()).rejects.toThrow(GanError);
    await expect(gan.evaluate()).rejects.toThrow(REFUSAL);
    const m = await gan.evaluate({ data: heldOut, n: 300 });
    expect(Object.keys(m)).toEqual(['mmd']);
    expect(Number.isFinite(m.mmd)).toBe(true);
    expect(m.mmd).toBeGreaterThanOrEqual(0);
    // Samples are shown over the training points, not ring8.
    const s = await gan.sample(50, 0);
    expect(s.kind === 'points' && s.reference?.shape).toEqual([50, 2]);
    if (s.kind === 'points')
      expect(Array.from((s.reference as Tensor<'float32'>).data.subarray(0, 4))).toEqual(
        Array.from(train.data.subarray(0, 4)),
      );
  });

  it('save / load keeps the refusal; a preset model saves exactly what it always did', async () => {
    const gan = GAN.create(rt, 'ring8', { seed: 0 });
    const fresh = JSON.parse(gan.toFiles()['config.json']);
    expect(Object.keys(fresh).sort()).toEqual(['config', 'family', 'preset']);
    expect((await GAN.load(rt, gan.toFiles())).trainedOn).toBe('preset');
    await gan.fit(spiralPoints(512, 1), { steps: 2, seed: 0 });
    const files = gan.toFiles();
    expect(JSON.parse(files['config.json'])).toMatchObject({
      trainedOn: 'data',
      normalization: null,
    });
    const back = await GAN.load(rt, files);
    expect(back.trainedOn).toBe('data');
    await expect(back.evaluate()).rejects.toThrow(REFUSAL);
    expect(Number.isFinite((await back.evaluate({ data: spiralPoints(100, 2), n: 100 })).mmd)).toBe(
      true,
    );
    // A fit with reference 'preset' (what the family's train does) stays evaluable on ring8.
    const preset = GAN.create(rt, 'ring8', { seed: 0 });
    const { toyData } = await import('@genmodels/datasets');
    const { Rng } = await import('@genmodels/runtime');
    await preset.fit(toyData('ring8', 512, new Rng(1)), { steps: 2, reference: 'preset' });
    expect(preset.trainedOn).toBe('preset');
    expect(Object.keys(await preset.evaluate({ n: 200 })).sort()).toEqual([
      'hq_fraction',
      'modes',
      'reverse_kl',
    ]);
    expect(Object.keys(JSON.parse(preset.toFiles()['config.json'])).sort()).toEqual([
      'config',
      'family',
      'preset',
    ]);
  });

  it('standardize + reference: trains in standardized units, samples and scores in data units, survives save/load', async () => {
    const { train, val } = {
      train: spiralPoints(512, 3, 5, 100),
      val: spiralPoints(100, 4, 5, 100),
    };
    const gan = GAN.create(rt, TINY_MLP, { seed: 0 });
    await gan.fit(train, { steps: 5, seed: 0, standardize: true, reference: val });
    const norm = gan.normalization;
    expect(norm?.mean[0]).toBeCloseTo(columnMeans(train)[0], 3);
    expect(norm?.std[0]).toBeGreaterThan(10);
    const m = await gan.evaluate({ n: 200 }); // the held-out reference
    expect(Number.isFinite(m.mmd)).toBe(true);
    const x = await gan.sampleFlat(500, 1);
    const mean = columnMeans(x);
    const want = columnMeans(train);
    for (const j of [0, 1]) expect(Math.abs(mean[j] - want[j])).toBeLessThan(norm?.std[j] ?? 0);
    // The ONNX generator works in standardized units and says so.
    expect(new TextDecoder().decode(gan.onnx())).toContain('genmodels.normalization');
    const back = await GAN.load(rt, gan.toFiles());
    expect(back.normalization).toEqual(norm);
    expect(bits(await back.sampleFlat(20, 1))).toEqual(bits(await gan.sampleFlat(20, 1)));
    await expect(back.evaluate()).rejects.toThrow(REFUSAL);
    // A second fit keeps the statistics; 'preset' on a standardized GAN is refused.
    await gan.fit(train, { steps: 1, seed: 1, standardize: true });
    expect(gan.normalization).toEqual(norm);
    await expect(gan.fit(train, { steps: 1, reference: 'preset' })).rejects.toThrow(
      /reference 'preset'/,
    );
  });

  it('a refused fit leaves the model as it was', async () => {
    const gan = GAN.create(rt, 'ring8', { seed: 0 });
    await expect(gan.fit(spiralPoints(100, 1), { standardize: true })).rejects.toThrow(
      /fewer than one batch/,
    );
    expect(gan.trainedOn).toBe('preset');
    expect(gan.normalization).toBeNull();
  });

  it('ganFamily.train with a CSV: standardized, held-out split, provenance, samples in data units', async () => {
    const totals: number[] = [];
    const model = await ganFamily.train(rt, {
      preset: 'ring8',
      data: csv,
      valFraction: 0.1,
      seed: 0,
      steps: 20,
      onProgress: (e) => totals.push(e.total ?? -1),
    });
    expect(totals.at(-1)).toBe(20);
    expect(model.preset).toBe('ring8');
    expect(model.config.dataDim).toBe(2);
    expect(model.config.toy).toBeUndefined();
    expect(model.config.hidden).toBe(128);
    expect(model.data).toEqual({
      source: csv,
      shape: [400, 2],
      normalization: 'standardize',
      split: { valFraction: 0.1, seed: 0, trainRows: 360, valRows: 40 },
    });
    const want = columnMeans(spiral);
    const norm = model.normalization;
    expect(norm?.mean[0]).toBeGreaterThan(90);
    const x = await model.sampleFlat(1000, 0);
    const mean = columnMeans(x);
    for (const j of [0, 1]) expect(Math.abs(mean[j] - want[j])).toBeLessThan(norm?.std[j] ?? 0);
    const held = await model.evaluate({ n: 300 }); // the 40 held-out rows
    const onFile = await model.evaluate({ data: csv, n: 300 });
    expect(Number.isFinite(held.mmd) && Number.isFinite(onFile.mmd)).toBe(true);
    const s = await model.sample(100, 0);
    expect(s.kind === 'points' && s.reference?.shape).toEqual([40, 2]); // over the held-out points
    const out = join(dir, 'family');
    await model.save(out);
    const stored = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(stored).toMatchObject({ trainedOn: 'data', data: model.data });
    expect(stored.normalization.std).toEqual(norm?.std);
    const back = await ganFamily.load(rt, out);
    expect(back.data).toEqual(model.data);
    await expect(back.evaluate()).rejects.toThrow(REFUSAL);
    expect((await back.evaluate({ data: csv, n: 300 })).mmd).toBe(onFile.mmd);
    expect(await back.pictures(out, 0)).toEqual(['samples.png']);
    expect((await stat(join(out, 'samples.png'))).size).toBeGreaterThan(1000);
  });

  it('refuses data for image presets, data of another D, and a bad valFraction', async () => {
    await expect(ganFamily.train(rt, { preset: 'mnist-dcgan', data: csv })).rejects.toThrow(
      /is a file of points, but preset 'mnist-dcgan' trains on images: give a folder of PNG \/ JPEG images; your own points train the 2-D preset/,
    );
    await expect(
      ganFamily.train(rt, { preset: 'ring8', data: csv, valFraction: 1 }),
    ).rejects.toThrow(/valFraction \(1\) must be a number in \[0, 1\)/);
    expect(ganFamily.trainOptions).toEqual(['data', 'valFraction', 'imageSize', 'labels']);
    await expect(
      ganFamily.train(rt, { preset: 'ring8', data: csv, imageSize: 8, steps: 1 }),
    ).rejects.toThrow(
      /imageSize \(8\) is the size your own images are read at, but preset 'ring8' trains on points/,
    );
    await expect(ganFamily.train(rt, { preset: 'ring8', valFraction: 0.2 })).rejects.toThrow(
      /valFraction \(0.2\) holds out part of your own data; give it with data \(a file of points\)/,
    );
    expect(ganFamily.evalOptions).toEqual(['data']);
    const gan = GAN.create(rt, 'ring8', { seed: 0 });
    await gan.fit(spiralPoints(512, 1), { steps: 1 });
    const three = new Tensor('float32', [10, 3], new Float32Array(30));
    await expect(gan.evaluate({ data: three })).rejects.toThrow(
      /held-out points have 3 columns \(D = 3\), but this GAN makes 2-D points/,
    );
    const path = join(dir, 'three.csv');
    await writeFile(path, pointsCsv(three));
    await expect(gan.evaluate({ data: path })).rejects.toThrow(
      /held-out points in '.*three\.csv' have 3 columns/,
    );
    // A 3-D file trains a 3-D GAN from the 2-D preset.
    const wide = await ganFamily.train(rt, { preset: 'ring8', data: path, steps: 1 });
    expect(wide.config.dataDim).toBe(3);
    expect(wide.config.batchSize).toBe(9); // 10 rows, 1 held out: the batch is at most the rows
    expect((await wide.sampleFlat(4, 0)).shape).toEqual([4, 3]);
    await expect(GAN.create(rt, 'mnist-dcgan').evaluate({ data: csv })).rejects.toThrow(
      /evaluate: data: '.*' is a file of points, but this GAN makes 1x28x28 images; .*\(points are for 2-D \(point\) GANs\)/,
    );
  });
});
