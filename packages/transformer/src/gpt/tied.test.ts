import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, sameTensor } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFromText } from './data.js';
import { GPT } from './gpt.js';
import { RHYME, TINY } from './testing.js';

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'gpt-tied-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a GPT with tied embeddings and the tanh GELU (GPT-2 style)', () => {
  it('trains one shared weight, and saves and loads it once', async () => {
    const corpus = await corpusFromText(RHYME);
    const cfg = { ...TINY, tieEmbeddings: true, activation: 'gelu_tanh' as const };
    const gpt = GPT.create(rt, cfg, { vocab: corpus.chars, seed: 0 });
    const before = gpt.net.wte.weight.data.clone();
    const losses: number[] = [];
    await gpt.fit(corpus, { steps: 30, seed: 0, onProgress: (e) => losses.push(e.loss) });
    expect(gpt.net.lm_head.weight).toBe(gpt.net.wte.weight);
    expect(sameTensor(gpt.net.wte.weight.data, before)).toBe(false);
    expect(losses.at(-1)).toBeLessThan(losses[0] - 0.5);
    const sub = join(dir, 'tied');
    await gpt.save(sub);
    const back = await GPT.load(rt, sub);
    expect(back.config).toEqual(gpt.config);
    expect(back.net.lm_head.weight).toBe(back.net.wte.weight);
    expect(Object.keys(back.net.stateDict())).not.toContain('lm_head.weight');
    const o = { prompt: 'the', tokens: 20, seed: 1 };
    expect((await back.generate(o)).texts).toEqual((await gpt.generate(o)).texts);
  });
});
