/**
 * Your own data through the CLI with the real families (issue 17): for each family that
 * reads --data (points, images, text), train a few steps on files this test writes, then sample, eval --data and
 * export, all in a fresh temporary directory.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '@genmodels/datasets';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../test/fake-family.js';
import { main } from './main.js';
import { families } from './registry.js';

const tmp = await mkdtemp(join(tmpdir(), 'genmodels-own-data-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** A noisy spiral around (100, 100), `n` rows of "x,y" with a header. */
function spiralCsv(n: number, seed: number): string {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const rows = ['x,y'];
  for (let i = 0; i < n; i++) {
    const t = 0.5 + rand() * 4 * Math.PI;
    rows.push(
      `${(100 + 6 * t * Math.cos(t) + rand()).toFixed(3)},${(100 + 6 * t * Math.sin(t) + rand()).toFixed(3)}`,
    );
  }
  return `${rows.join('\n')}\n`;
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const ctx = testContext(families);
  const code = await main(argv, ctx);
  return { code, out: ctx.stdout.text, err: ctx.stderr.text };
}

describe('train --data, sample, eval --data, export: points, images, text', () => {
  const cases = [
    ['gan', 'ring8', 'generator', 'mmd'],
    ['flow', 'moons', 'sampler', 'bits_per_dim'],
    ['diffusion', 'moons-2d', 'denoiser', 'mmd'],
  ] as const;

  it.each(cases)('%s (%s) on a spiral file', async (family, preset, part, metric) => {
    const train = join(tmp, `${family}-train.csv`);
    const held = join(tmp, `${family}-held.csv`);
    await writeFile(train, spiralCsv(600, 1));
    await writeFile(held, spiralCsv(200, 2));
    const run = join(tmp, `${family}-run`);
    const t = await cli([
      'train',
      family,
      '--preset',
      preset,
      '--data',
      train,
      '--steps',
      '5',
      '--samples',
      '16',
      '--threads',
      '1',
      '--out',
      run,
    ]);
    expect(t.code, t.err).toBe(0);
    const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
    expect(config.data).toMatchObject({
      source: train,
      shape: [600, 2],
      normalization: 'standardize',
      split: { valFraction: 0.1, seed: 0, trainRows: 540, valRows: 60 },
    });
    const metrics = JSON.parse(await readFile(join(run, 'metrics.json'), 'utf8'));
    expect(Number.isFinite(metrics[metric])).toBe(true);

    const s = await cli([
      'sample',
      family,
      '--from',
      run,
      '--n',
      '50',
      '--out',
      join(run, 's.json'),
    ]);
    expect(s.code, s.err).toBe(0);
    const pts: number[][] = JSON.parse(await readFile(join(run, 's.json'), 'utf8'));
    expect(pts).toHaveLength(50);
    expect(pts[0]).toHaveLength(2); // data units after a few steps: see each family's own-points tests

    const e = await cli(['eval', family, '--from', run, '--data', held]);
    expect(e.code, e.err).toBe(0);
    expect(Number.isFinite(JSON.parse(e.out)[metric])).toBe(true);
    // Without held-out data a model trained on yours has nothing to score against.
    const refused = await cli(['eval', family, '--from', run]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/trained on points you gave/);

    const onnx = join(run, `${part}.onnx`);
    const x = await cli(['export', family, '--from', run, '--out', onnx]);
    expect(x.code, x.err).toBe(0);
    expect((await stat(onnx)).size).toBeGreaterThan(100);
  });

  /** 80 RGB PNGs of two sizes (12 and 16) in two class folders: stripes of two colors. */
  async function pictureFolder(): Promise<string> {
    const folder = join(tmp, 'pics');
    await rm(folder, { recursive: true, force: true });
    for (const [cls, color] of [
      ['red', [220, 30, 30]],
      ['blue', [30, 30, 220]],
    ] as const)
      for (let i = 0; i < 40; i++) {
        const side = i % 2 ? 12 : 16;
        const data = new Uint8Array(side * side * 3);
        for (let p = 0; p < side * side; p++) {
          const on = (p % side) % 4 < 2 === (i % 3 === 0);
          data.set(on ? color : [240, 240, 240], p * 3);
        }
        await mkdir(join(folder, cls), { recursive: true });
        await writeFile(
          join(folder, cls, `${i}.png`),
          encodePng({ width: side, height: side, channels: 3, data }),
        );
      }
    return folder;
  }

  const imageCases = [
    // family, preset, --labels, part exported, metric of metrics.json, metric of eval --data
    ['vae', 'mnist-conv', 'folders', 'decoder', 'bits_per_dim', 'neg_elbo'],
    ['gan', 'mnist-dcgan', 'none', 'generator', 'pixel_mmd', 'pixel_mmd'],
    ['flow', 'cifar-realnvp', 'none', 'sampler', 'bits_per_dim', 'bits_per_dim'],
    ['diffusion', 'mnist-unet', 'folders', 'denoiser', 'pixel_mmd', 'pixel_mmd'],
  ] as const;

  it.each(imageCases)(
    '%s (%s) on a folder of RGB images of two sizes, resized to 8x8',
    async (family, preset, labels, part, metric, evalMetric) => {
      const folder = await pictureFolder();
      const run = join(tmp, `${family}-images-run`);
      const t = await cli([
        'train',
        family,
        '--preset',
        preset,
        '--data',
        folder,
        '--image-size',
        '8',
        '--labels',
        labels,
        '--steps',
        '2',
        '--samples',
        '4',
        '--threads',
        '1',
        '--out',
        run,
      ]);
      expect(t.code, t.err).toBe(0);
      const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
      expect(config.data).toMatchObject({ source: folder, shape: [80, 3, 8, 8] });
      expect(
        Number.isFinite(JSON.parse(await readFile(join(run, 'metrics.json'), 'utf8'))[metric]),
      ).toBe(true);
      const s = await cli([
        'sample',
        family,
        '--from',
        run,
        '--n',
        '4',
        '--out',
        join(run, 's.npy'),
      ]);
      expect(s.code, s.err).toBe(0);
      expect((await stat(join(run, 's.npy'))).size).toBeGreaterThan(4 * 3 * 8 * 8);
      const e = await cli(['eval', family, '--from', run, '--data', folder]);
      expect(e.code, e.err).toBe(0);
      expect(Number.isFinite(JSON.parse(e.out)[evalMetric])).toBe(true);
      const x = await cli(['export', family, '--from', run, '--out', join(run, `${part}.onnx`)]);
      expect(x.code, x.err).toBe(0);
    },
  );

  it('the transformer reads --data as its corpus, in train and eval', async () => {
    const text = join(tmp, 'text.txt');
    await writeFile(text, 'the cat sat on the mat. '.repeat(200));
    const run = join(tmp, 'gpt-run');
    const t = await cli([
      'train',
      'transformer',
      '--preset',
      'shakespeare-char',
      '--data',
      text,
      '--steps',
      '1',
      '--threads',
      '1',
      '--samples',
      '1',
      '--out',
      run,
    ]);
    expect(t.code, t.err).toBe(0);
    const e = await cli(['eval', 'transformer', '--from', run, '--data', text]);
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out)).toHaveProperty('val_loss');
  });
});
