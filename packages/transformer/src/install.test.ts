/**
 * "Install one package": packs @genmodels/runtime and @genmodels/transformer into tarballs,
 * installs them with npm into a fresh project offline (see @genmodels/testkit), and runs a
 * short script that generates from a tiny GPT, saves it, loads it and generates the same
 * text: loading and generating need no @genmodels/datasets. A second install adds the
 * optional @genmodels/datasets and trains on a small text.
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

const TRAIN = `import { Runtime } from '@genmodels/runtime';
import { GPT, corpusFromText } from '@genmodels/transformer';
const rt = await Runtime.create({ device: 'cpu' });
const corpus = await corpusFromText('the cat sat on the mat. '.repeat(40));
const gpt = GPT.create(rt, { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, batchSize: 8 }, { vocab: corpus.chars, seed: 0 });
const before = await gpt.evaluateOn(corpus.val);
await gpt.fit(corpus, { steps: 200, seed: 0 });
const after = await gpt.evaluateOn(corpus.val);
console.log(JSON.stringify({ before: before.val_loss, after: after.val_loss }));
`;

describe('install from tarballs', () => {
  it('npm installs runtime + transformer offline and a short script generates, saves and loads', async () => {
    const out = await installAndRun({
      packages: ['@genmodels/runtime', '@genmodels/transformer'],
      script: SCRIPT,
    });
    expect(out).toEqual({ same: true, length: 14 });
  });

  it('with the optional @genmodels/datasets, a short script trains on a small text', async () => {
    const out = (await installAndRun({
      packages: ['@genmodels/runtime', '@genmodels/datasets', '@genmodels/transformer'],
      script: TRAIN,
    })) as { before: number; after: number };
    expect(out.after).toBeLessThan(out.before - 0.5);
  });
});
