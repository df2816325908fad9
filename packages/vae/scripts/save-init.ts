/**
 * Save an untrained VAE (`VAE.create(rt, preset, { seed })`, the initial weights `fit` starts
 * from with that seed) so a PyTorch script can start from genmodels' own weights:
 *
 *   pnpm --filter @genmodels/vae exec tsx --conditions=source scripts/save-init.ts --preset cifar-conv --seed 0 --out /tmp/vae-init0
 *   /usr/bin/python3 packages/vae/scripts/cifar_conv_torch.py --data /tmp/cifar-bin --streams genmodels --load /tmp/vae-init0/model.safetensors
 */
import { parseArgs } from 'node:util';
import { Runtime } from '@genmodels/runtime';
import { VAE } from '../src/index.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'cifar-conv' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string' },
  },
});
if (!values.out) throw new Error('save-init: give --out DIR (the directory to write)');
const rt = await Runtime.create({ device: 'cpu' });
const vae = VAE.create(rt, values.preset, { seed: Number(values.seed) });
await vae.save(values.out);
console.log(
  `${values.preset}, seed ${values.seed}: ${vae.net.numParameters()} initial parameters in ${values.out}`,
);
