/**
 * "Install one package": packs @genmodels/runtime and @genmodels/transformer into tarballs,
 * installs them with npm into a fresh project offline (see @genmodels/testkit), and runs a
 * short script that generates from a tiny GPT, saves it, loads it and generates the same
 * text: loading and generating need no @genmodels/datasets (training on a corpus does, and
 * says so: that optional peer pulls third-party packages the offline npm cache lacks).
 */
import { installAndRun } from '@genmodels/testkit';
import { describe, expect, it } from 'vitest';

const SCRIPT = `import { Runtime } from '@genmodels/runtime';
import { GPT } from '@genmodels/transformer';
const rt = await Runtime.create({ device: 'cpu' });
const cfg = { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16 };
const gpt = GPT.create(rt, cfg, { vocab: [...' acehmost.'], seed: 0 });
const a = await gpt.generate({ prompt: 'the ', tokens: 10, seed: 1 });
await gpt.save('run');
const b = await (await GPT.load(rt, 'run')).generate({ prompt: 'the ', tokens: 10, seed: 1 });
console.log(JSON.stringify({ same: a.texts[0] === b.texts[0], length: b.texts[0].length }));
`;

describe('install from tarballs', () => {
  it('npm installs runtime + transformer offline and a short script generates, saves and loads', {
    timeout: 300_000,
  }, async () => {
    const out = await installAndRun({
      packages: ['@genmodels/runtime', '@genmodels/transformer'],
      script: SCRIPT,
    });
    expect(out).toEqual({ same: true, length: 14 });
  });
});
