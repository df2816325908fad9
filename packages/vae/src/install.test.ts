/**
 * Acceptance: "install one package". Packs @genmodels/runtime and @genmodels/vae into
 * tarballs, installs them with npm into a fresh project offline (see @genmodels/testkit),
 * and runs a ten-line script that trains a tiny VAE on generated data and samples from it.
 */
import { installAndRun } from '@genmodels/testkit';
import { describe, expect, it } from 'vitest';

const SCRIPT = `import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { VAE } from '@genmodels/vae';
const u = new Rng(0).uniform([256, 16]);
const x = new Tensor('float32', [256, 16], u.map((v) => (v > 0.5 ? 0.9 : 0.1)));
const rt = await Runtime.create({ device: 'cpu' });
const vae = VAE.create(rt, { imageSize: 4, latent: 2, hidden: 16, batchSize: 32 }, { seed: 0 });
const { lastLoss } = await vae.fit(x, { epochs: 2 });
const s = await vae.sample(3, 0);
console.log(JSON.stringify({ lastLoss, shape: s.images.shape }));
`;

describe('install from tarballs', () => {
  it('npm installs runtime + vae offline and a ten-line script trains and samples', async () => {
    expect(SCRIPT.trim().split('\n')).toHaveLength(9);
    const out = (await installAndRun({
      packages: ['@genmodels/runtime', '@genmodels/vae'],
      script: SCRIPT,
    })) as { shape: number[]; lastLoss: number };
    expect(out.shape).toEqual([3, 1, 4, 4]);
    expect(Number.isFinite(out.lastLoss)).toBe(true);
  });
});
