/**
 * "Install one package": packs @genmodels/runtime and @genmodels/flow into tarballs,
 * installs them with npm into a fresh project offline (see @genmodels/testkit), and runs a
 * short script that fits a tiny flow to generated 2-D points, samples and scores them.
 */
import { installAndRun } from '@genmodels/testkit';
import { describe, expect, it } from 'vitest';

const SCRIPT = `import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { Flow } from '@genmodels/flow';
const x = new Tensor('float32', [512, 2], new Rng(0).normal([512, 2], 1, 0.5));
const rt = await Runtime.create({ device: 'cpu' });
const flow = Flow.create(rt, { dim: 2, couplings: 2, hidden: 16, batchSize: 128 }, { seed: 0 });
await flow.fit(x, { steps: 20 });
const s = await flow.sample(3, 0);
const lp = await flow.logProb(s.points);
console.log(JSON.stringify({ kind: s.kind, shape: s.points.shape, finite: Array.from(lp.data).every(Number.isFinite) }));
`;

describe('install from tarballs', () => {
  it('npm installs runtime + flow offline and a short script trains, samples and scores', async () => {
    const out = await installAndRun({
      packages: ['@genmodels/runtime', '@genmodels/flow'],
      script: SCRIPT,
    });
    expect(out).toEqual({ kind: 'points', shape: [3, 2], finite: true });
  });
});
