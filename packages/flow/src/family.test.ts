import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowError } from './errors.js';
import { flowFamily } from './family.js';
import { Flow } from './flow.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'flow-family-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flowFamily', () => {
  it('loads a model from its files (browsers) like from a directory', async () => {
    const flow = Flow.create(rt, { dim: 2, couplings: 2, hidden: 8 }, { seed: 1 });
    const back = await flowFamily.load(rt, flow.toFiles());
    expect(back).toBeInstanceOf(Flow);
    expect(back.config).toEqual(flow.config);
    expect(new Uint8Array(back.onnx())).toEqual(new Uint8Array(flow.onnx()));
  });

  it('lists presets and parts', () => {
    expect(flowFamily.name).toBe('flow');
    expect(Object.keys(flowFamily.presets)).toEqual([
      'moons',
      '8gaussians',
      'ring8',
      'checkerboard',
      'mnist-mlp',
      'cifar-realnvp',
    ]);
    expect(flowFamily.presets['mnist-mlp'].config).toMatchObject({
      dim: 784,
      couplings: 6,
      hidden: 1024,
    });
    expect(flowFamily.parts).toEqual(['sampler', 'log_density']);
  });

  it('refuses an unknown preset before reading data', async () => {
    await expect(flowFamily.train(rt, { preset: 'spiral', steps: 1 })).rejects.toThrow(FlowError);
  });

  it('moons: trains, saves, loads, evaluates on the regenerated test set, draws pictures', async () => {
    const totals: (number | null)[] = [];
    const model = await flowFamily.train(rt, {
      preset: 'moons',
      steps: 60,
      seed: 0,
      onProgress: (e) => totals.push(e.total),
    });
    expect(totals.at(-1)).toBe(60);
    const m = await model.evaluate();
    await model.save(dir);
    const back = await flowFamily.load(rt, dir);
    expect(back.preset).toBe('moons');
    const m2 = await back.evaluate();
    expect(Object.keys(m2)).toEqual(['test_nll']);
    expect(m2.test_nll).toBe(m.test_nll);
    expect(m2.test_nll).toBeLessThan(3.3); // 60 steps: far from 2.391, well below the N(0, I) start
    const files = await back.pictures(dir, 0);
    expect(files).toEqual(['samples.png', 'density.png']);
    for (const f of files) expect((await stat(join(dir, f))).size).toBeGreaterThan(1000);
    const s = await back.sample(10, 0);
    expect(s.kind).toBe('points');
    if (s.kind === 'points') expect(s.reference?.shape).toEqual([10, 2]);
  });

  it('mnist-mlp: two steps, bits/dim on test images after load, image samples', async () => {
    const model = await flowFamily.train(rt, { preset: 'mnist-mlp', steps: 2, seed: 0 });
    const out = join(dir, 'mnist');
    await model.save(out);
    const back = await flowFamily.load(rt, out);
    const m = await back.evaluate({ limit: 100 });
    expect(Object.keys(m)).toEqual(['bpd']);
    expect(m.bpd).toBeGreaterThan(2);
    expect(m.bpd).toBeLessThan(12);
    const s = await back.sample(4, 0);
    expect(s.kind === 'images' && s.images.shape).toEqual([4, 1, 28, 28]);
  });
});
