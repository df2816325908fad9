import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowError } from './errors.js';
import { flowFamily } from './family.js';
import { Flow } from './flow.js';
import { columnMeans, pointsCsv, spiralPoints } from './testing.js';

let rt: Runtime;
let dir: string;
let csv: string;
/** 400 points of a spiral scaled by 5 and shifted by 100: values about 50..150. */
const spiral = spiralPoints(400, 7, 5, 100);
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'flow-own-'));
  csv = join(dir, 'spiral.csv');
  await writeFile(csv, pointsCsv(spiral));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const REFUSAL = /evaluate: this flow was trained on points you gave \(fit\).*pass held-out points/;
const SMALL = { dim: 2, couplings: 4, hidden: 16, batchSize: 64 };

describe('a 2-D preset trained on your own points', () => {
  it('create moons, fit on a spiral: evaluate() refuses and names what to pass; evaluate({ data }) scores', async () => {
    const flow = Flow.create(rt, 'moons', { seed: 0 });
    expect(flow.trainedOn).toBe('preset');
    const train = spiralPoints(512, 1);
    await flow.fit(train, { steps: 3, seed: 0 });
    expect(flow.trainedOn).toBe('data');
    await expect(flow.evaluate()).rejects.toThrow(FlowError);
    await expect(flow.evaluate()).rejects.toThrow(REFUSAL);
    const m = await flow.evaluate({ data: spiralPoints(200, 2), n: 300 });
    expect(Object.keys(m)).toEqual(['test_nll', 'nll_per_dim', 'bits_per_dim', 'mmd']);
    for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
    expect(m.nll_per_dim).toBeCloseTo(m.test_nll / 2, 12);
    expect(m.bits_per_dim).toBeCloseTo(m.test_nll / (2 * Math.LN2), 12);
    const s = await flow.sample(30, 0);
    expect(s.kind === 'points' && s.reference?.shape).toEqual([30, 2]); // the training points
  });

  it('save / load keeps the refusal; a preset model saves exactly what it always did', async () => {
    const flow = Flow.create(rt, 'moons', { seed: 0 });
    const fresh = JSON.parse(flow.toFiles()['config.json']);
    expect(Object.keys(fresh).sort()).toEqual(['config', 'family', 'preset']);
    await flow.fit(spiralPoints(512, 1), { steps: 2, seed: 0 });
    const files = flow.toFiles();
    expect(JSON.parse(files['config.json'])).toMatchObject({
      trainedOn: 'data',
      normalization: null,
    });
    const back = await Flow.load(rt, files);
    expect(back.trainedOn).toBe('data');
    await expect(back.evaluate()).rejects.toThrow(REFUSAL);
    expect(
      Number.isFinite((await back.evaluate({ data: spiralPoints(100, 2), n: 100 })).test_nll),
    ).toBe(true);
  });

  it('standardize: log-densities in data units include the Jacobian (the density integrates to 1)', async () => {
    const train = spiralPoints(512, 3, 5, 100);
    const flow = Flow.create(rt, SMALL, { seed: 0 });
    await flow.fit(train, {
      steps: 4,
      seed: 0,
      lr: 1e-2,
      standardize: true,
      reference: spiralPoints(100, 4, 5, 100),
    });
    const norm = flow.normalization;
    expect(norm?.std[0]).toBeGreaterThan(10);
    const b = flow.bounds;
    expect(b.xmin).toBeCloseTo((norm?.mean[0] ?? 0) - 4 * (norm?.std[0] ?? 0), 6);
    const res = 200;
    const g = await flow.densityGrid({ resolution: res });
    const cell = ((b.xmax - b.xmin) / res) * ((b.ymax - b.ymin) / res);
    let mass = 0;
    for (const v of g.values) mass += Math.exp(v) * cell;
    expect(mass).toBeGreaterThan(0.97);
    expect(mass).toBeLessThan(1.01);
    // forward's logdet includes -sum log std: log p(x) = log N(z) + logdet.
    const x = spiralPoints(8, 5, 5, 100);
    const { z, logdet } = await flow.forward(x);
    const lp = await flow.logProb(x);
    for (let i = 0; i < 8; i++) {
      const z0 = z.data[2 * i];
      const z1 = z.data[2 * i + 1];
      const logN = -Math.log(2 * Math.PI) - (z0 * z0 + z1 * z1) / 2;
      expect(lp.data[i]).toBeCloseTo(logN + logdet.data[i], 3);
    }
    // inverse(forward(x)) is x in data units.
    const again = await flow.inverse(z);
    for (let i = 0; i < 16; i++) expect(again.data[i]).toBeCloseTo(x.data[i], 2);
    // evaluate() scores the held-out reference; the ONNX parts say they are standardized.
    expect(Number.isFinite((await flow.evaluate({ n: 200 })).test_nll)).toBe(true);
    expect(new TextDecoder().decode(flow.onnx('log_density'))).toContain('genmodels.normalization');
    const back = await Flow.load(rt, flow.toFiles());
    expect(back.normalization).toEqual(norm);
    expect(Array.from((await back.logProb(x)).data)).toEqual(Array.from(lp.data));
    await expect(back.evaluate()).rejects.toThrow(REFUSAL);
  });

  it('flowFamily.train with a CSV: standardized, held-out split, provenance, samples in data units', async () => {
    const totals: (number | null)[] = [];
    const model = await flowFamily.train(rt, {
      preset: 'moons',
      data: csv,
      seed: 0,
      steps: 10,
      onProgress: (e) => totals.push(e.total),
    });
    expect(totals.at(-1)).toBe(10);
    expect(model.preset).toBe('moons');
    expect(model.config.dim).toBe(2);
    expect(model.config.toy).toBeUndefined();
    expect(model.config.couplings).toBe(8);
    expect(model.data).toEqual({
      source: csv,
      shape: [400, 2],
      normalization: 'standardize',
      split: { valFraction: 0.1, seed: 0, trainRows: 360, valRows: 40 },
    });
    const norm = model.normalization;
    expect(norm?.mean[1]).toBeGreaterThan(90);
    const want = columnMeans(spiral);
    const mean = columnMeans(await model.sampleFlat(1000, 0));
    for (const j of [0, 1]) expect(Math.abs(mean[j] - want[j])).toBeLessThan(norm?.std[j] ?? 0);
    const held = await model.evaluate({ n: 300 }); // the 40 held-out rows
    expect(Object.keys(held)).toEqual(['test_nll', 'nll_per_dim', 'bits_per_dim', 'mmd']);
    const onFile = await model.evaluate({ data: csv, n: 300 });
    // NLL in data units: the standardized flow's NLL plus sum log std (about 2 log 25 here).
    expect(onFile.test_nll).toBeGreaterThan(
      Math.log(norm?.std[0] ?? 1) + Math.log(norm?.std[1] ?? 1),
    );
    const out = join(dir, 'family');
    await model.save(out);
    const stored = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(stored).toMatchObject({ trainedOn: 'data', data: model.data });
    expect(stored.normalization.mean).toEqual(norm?.mean);
    const back = await flowFamily.load(rt, out);
    expect(back.data).toEqual(model.data);
    await expect(back.evaluate()).rejects.toThrow(REFUSAL);
    expect(await back.evaluate({ data: csv, n: 300 })).toEqual(onFile);
    const files = await model.pictures(out, 0);
    expect(files).toEqual(['samples.png', 'density.png']);
    for (const f of files) expect((await stat(join(out, f))).size).toBeGreaterThan(1000);
  });

  it('refuses data for image presets, data of another D, one column, and a bad valFraction', async () => {
    // An image preset reads a folder of images: a points file is not one.
    await expect(flowFamily.train(rt, { preset: 'mnist-mlp', data: csv })).rejects.toThrow(
      /spiral\.csv' is a file of points; preset 'mnist-mlp' models images/,
    );
    await expect(
      flowFamily.train(rt, { preset: 'moons', data: csv, valFraction: -0.1 }),
    ).rejects.toThrow(/valFraction \(-0.1\) must be a number in \[0, 1\)/);
    expect(flowFamily.trainOptions).toEqual(['data', 'valFraction', 'imageSize', 'labels']);
    expect(flowFamily.evalOptions).toEqual(['data']);
    const one = join(dir, 'one.csv');
    await writeFile(one, pointsCsv(new Tensor('float32', [20, 1], new Rng(0).normal(20))));
    await expect(flowFamily.train(rt, { preset: 'moons', data: one, steps: 1 })).rejects.toThrow(
      /1 column; a flow's couplings need 2 or more/,
    );
    const flow = Flow.create(rt, SMALL, { seed: 0 });
    await flow.fit(spiralPoints(128, 1), { steps: 1 });
    const three = new Tensor('float32', [10, 3], new Float32Array(30));
    await expect(flow.evaluate({ data: three })).rejects.toThrow(
      /held-out points have 3 columns \(D = 3\), but this flow models 2-D points/,
    );
    const path = join(dir, 'three.csv');
    await writeFile(path, pointsCsv(three));
    await expect(flow.evaluate({ data: path })).rejects.toThrow(
      /held-out points in '.*three\.csv' have 3 columns/,
    );
    // A missing file is the reader's error naming it; a 3-D file trains a 3-D flow.
    const wide = join(dir, 'wide.csv');
    await expect(flowFamily.train(rt, { preset: 'moons', data: wide, steps: 1 })).rejects.toThrow(
      /wide\.csv/,
    );
    await writeFile(wide, pointsCsv(new Tensor('float32', [30, 3], new Rng(1).normal(90))));
    const w = await flowFamily.train(rt, { preset: 'moons', data: wide, steps: 1 });
    expect(w.config.dim).toBe(3);
    expect((await w.sampleFlat(4, 0)).shape).toEqual([4, 3]);
    await expect(Flow.create(rt, 'mnist-mlp').evaluate({ data: csv })).rejects.toThrow(
      /for point flows/,
    );
  });
});
