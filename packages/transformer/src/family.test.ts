import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformerFamily } from './family.js';
import { GPT } from './gpt/gpt.js';
import { RHYME } from './gpt/testing.js';
import { Seq2seq } from './seq2seq/seq2seq.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'transformer-family-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('transformerFamily', () => {
  it('lists the GPT and seq2seq presets and every part', () => {
    expect(Object.keys(transformerFamily.presets)).toEqual([
      'shakespeare-char',
      'seq2seq-reverse',
      'seq2seq-addition',
    ]);
    expect(transformerFamily.parts).toEqual(['decoder', 'model', 'encoder']);
  });

  it('trains and loads each kind of model by preset and by config.json', async () => {
    const corpus = join(dir, 'rhyme.txt');
    await writeFile(corpus, RHYME);
    const gpt = await transformerFamily.train(rt, { preset: 'shakespeare-char', corpus, steps: 1 });
    const s2s = await transformerFamily.train(rt, { preset: 'seq2seq-reverse', steps: 1 });
    expect(gpt).toBeInstanceOf(GPT);
    expect(s2s).toBeInstanceOf(Seq2seq);
    expect(gpt.parts).toEqual(['decoder']);
    expect(s2s.parts).toEqual(['model', 'encoder', 'decoder']);
    await gpt.save(join(dir, 'gpt'));
    await s2s.save(join(dir, 's2s'));
    expect(await transformerFamily.load(rt, join(dir, 'gpt'))).toBeInstanceOf(GPT);
    const back = await transformerFamily.load(rt, join(dir, 's2s'));
    expect(back).toBeInstanceOf(Seq2seq);
    expect(back.preset).toBe('seq2seq-reverse');
  });

  it('loads each kind from its files (browsers) and trains on text given directly', async () => {
    const gpt = await transformerFamily.train(rt, {
      preset: 'shakespeare-char',
      corpusText: RHYME,
      steps: 1,
    });
    const s2s = await transformerFamily.train(rt, { preset: 'seq2seq-reverse', steps: 1 });
    const gptBack = await transformerFamily.load(rt, gpt.toFiles());
    expect(gptBack).toBeInstanceOf(GPT);
    expect(await gptBack.sample(2, 3, { tokens: 6 })).toEqual(
      await gpt.sample(2, 3, { tokens: 6 }),
    );
    const s2sBack = await transformerFamily.load(rt, s2s.toFiles());
    expect(s2sBack).toBeInstanceOf(Seq2seq);
    expect(await s2sBack.sample(2, 3)).toEqual(await s2s.sample(2, 3));
    expect(new Uint8Array(s2sBack.onnx('encoder'))).toEqual(new Uint8Array(s2s.onnx('encoder')));
    await expect(transformerFamily.load(rt, {})).rejects.toThrow(
      "no GPT checkpoint at 'model.safetensors'",
    );
  });

  it('names unknown presets, missing runs and options seq2seq does not use', async () => {
    await expect(transformerFamily.train(rt, { preset: 'gpt2' })).rejects.toThrow(
      "unknown transformer preset 'gpt2'; expected one of shakespeare-char, seq2seq-reverse, seq2seq-addition",
    );
    await expect(transformerFamily.load(rt, join(dir, 'none'))).rejects.toThrow(
      'no GPT checkpoint at',
    );
    const s2s = await transformerFamily.load(rt, join(dir, 's2s'));
    await expect(s2s.sample(1, 0, { temperature: 0.8 })).rejects.toThrow(
      'a seq2seq model decodes greedily to EOS and takes no temperature',
    );
  });
});
