/**
 * "Install one package": packs @genmodels/runtime and @genmodels/diffusion into tarballs,
 * installs them with npm into a fresh project offline (see @genmodels/testkit), and runs a
 * short script that trains a tiny 2-D diffusion model and samples with DDIM.
 */
import { installAndRun } from '@genmodels/testkit';
import { describe, expect, it } from 'vitest';

const SCRIPT = `import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { Diffusion } from '@genmodels/diffusion';
const x = new Tensor('float32', [512, 2], new Rng(0).normal([512, 2], 1, 0.5));
const rt = await Runtime.create({ device: 'cpu' });
const model = Diffusion.create(rt, { arch: 'mlp', dataDim: 2, hidden: 16, layers: 2, batchSize: 128 }, { seed: 0 });
await model.fit(x, { steps: 20 });
const s = await model.sample(3, 0, { sampler: 'ddim', steps: 10 });
console.log(JSON.stringify({ kind: s.kind, shape: s.points.shape }));
`;

describe('install from tarballs', () => {
  it('npm installs runtime + diffusion offline and a short script trains and samples', async () => {
    const out = await installAndRun({
      packages: ['@genmodels/runtime', '@genmodels/diffusion'],
      script: SCRIPT,
    });
    expect(out).toEqual({ kind: 'points', shape: [3, 2] });
  });
});
