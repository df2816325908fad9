/**
 * Acceptance: "install one package". Packs @genmodels/runtime and @genmodels/gan into
 * tarballs, installs them with npm into a fresh project offline (see @genmodels/testkit),
 * and runs a short script that trains a tiny GAN on generated 2-D points and samples from it.
 */
import { installAndRun } from '@genmodels/testkit';
import { describe, expect, it } from 'vitest';

const SCRIPT = `import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { GAN } from '@genmodels/gan';
const x = new Tensor('float32', [512, 2], new Rng(0).normal([512, 2], 1, 0.1));
const rt = await Runtime.create({ device: 'cpu' });
const gan = GAN.create(rt, { arch: 'mlp', hidden: 16, batchSize: 64, lr: 1e-3 }, { seed: 0 });
const { steps } = await gan.fit(x, { steps: 50 });
const s = await gan.sample(3, 0);
console.log(JSON.stringify({ steps, kind: s.kind, shape: s.points.shape }));
`;

describe('install from tarballs', () => {
  it('npm installs runtime + gan offline and a short script trains and samples', async () => {
    const out = await installAndRun({
      packages: ['@genmodels/runtime', '@genmodels/gan'],
      script: SCRIPT,
    });
    expect(out).toEqual({ steps: 50, kind: 'points', shape: [3, 2] });
  });
});
