import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFromText, type GptCorpus } from './data.js';
import { GptError } from './errors.js';
import { GPT } from './gpt.js';
import { RHYME, TINY } from './testing.js';

let rt: Runtime;
let dir: string;
let corpus: GptCorpus;
let trained: GPT;
let untrained: GPT;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'gpt-'));
  corpus = await corpusFromText(RHYME);
  untrained = GPT.create(rt, TINY, { vocab: corpus.chars, seed: 1 });
  trained = GPT.create(rt, TINY, { vocab: corpus.chars, seed: 0 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('GPT training', () => {
  it('drives the loss on a repetitive text far below the uniform and unigram levels', async () => {
    const before = await trained.evaluateOn(corpus.val, { batches: 2 });
    const losses: number[] = [];
    const r = await trained.fit(corpus, {
      steps: 400,
      progressEvery: 10,
      onProgress: (e) => losses.push(e.loss),
    });
    expect(r.steps).toBe(400);
    expect(losses.length).toBe(40);
    const after = await trained.evaluateOn(corpus.val, { batches: 2 });
    expect(before.val_loss).toBeGreaterThan(2); // ~ln(vocab) at init
    // After the first few characters of a window the rhyme is deterministic.
    expect(after.val_loss).toBeLessThan(0.35);
    expect(after.val_loss_stream).toBeLessThan(0.25); // every token has >= 12 characters of context
    expect(after.bpc).toBeCloseTo(after.val_loss_stream / Math.LN2, 6);
    expect(after.val_tokens).toBe(corpus.val.length - 1);
    // 'mat' stays in view (windowKeep 15), so 'dog' rather than 'cat' follows.
    const g = await trained.generate({
      prompt: 'sat on the mat.',
      tokens: 9,
      temperature: 0,
      windowKeep: 15,
    });
    expect(g.texts[0]).toBe('sat on the mat. the dog ');
  });

  it('stops on an AbortSignal between steps', async () => {
    const c = new AbortController();
    const gpt = GPT.create(rt, TINY, { vocab: corpus.chars, seed: 2 });
    let seen = 0;
    const run = gpt.fit(corpus, {
      steps: 100,
      signal: c.signal,
      onProgress: (e) => {
        seen = e.step;
        if (e.step === 3) c.abort();
      },
    });
    await expect(run).rejects.toThrow(/aborted/);
    expect(seen).toBe(3);
  });
});

describe('GPT generation', () => {
  it('KV-cache generation gives exactly the tokens of full-prefix generation, across window slides', async () => {
    const opts = { prompt: 'the ', tokens: 40, n: 3, seed: 7, temperature: 1.2 } as const;
    const kv = await untrained.generate({ ...opts, kvCache: true });
    const full = await untrained.generate({ ...opts, kvCache: false });
    expect(kv.tokens).toEqual(full.tokens);
    expect(kv.texts).toEqual(full.texts);
    expect(kv.tokens[0]).toHaveLength(40);
    // An untrained model samples widely: the three rows differ, so the test can fail.
    expect(new Set(kv.texts).size).toBe(3);
    // 4 + 40 tokens through a 16-token block: slides re-prefill, the rest are one-token steps.
    expect(kv.calls).toBe(40);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const a = await untrained.sample(2, 3, { prompt: 'the', tokens: 30 });
    const b = await untrained.sample(2, 3, { prompt: 'the', tokens: 30 });
    const c = await untrained.sample(2, 4, { prompt: 'the', tokens: 30 });
    expect(a.kind).toBe('text');
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    if (a.kind === 'text') for (const t of a.texts) expect(t.startsWith('the')).toBe(true);
    const streamed: string[] = [];
    const s = await untrained.sample(1, 3, {
      prompt: 'the',
      tokens: 30,
      onText: (t) => streamed.push(t),
    });
    expect(s.kind === 'text' && s.texts[0]).toBe(streamed.join(''));
    expect(streamed[0].startsWith('the')).toBe(true);
  });

  it('top-k 1, a tiny top-p and temperature 0 all give the greedy tokens; free sampling does not', async () => {
    const greedy = await untrained.generate({ prompt: 'a', tokens: 25, temperature: 0 });
    const k1 = await untrained.generate({ prompt: 'a', tokens: 25, topK: 1, seed: 9 });
    const p0 = await untrained.generate({ prompt: 'a', tokens: 25, topP: 1e-6, seed: 5 });
    expect(k1.tokens).toEqual(greedy.tokens);
    expect(p0.tokens).toEqual(greedy.tokens);
    const free = await untrained.generate({ prompt: 'a', tokens: 25, seed: 9, temperature: 2 });
    expect(free.tokens).not.toEqual(greedy.tokens);
  });

  it('streams new text and ends at a stop string', async () => {
    const pieces: string[] = [];
    const g = await trained.generate({
      prompt: 'the dog ',
      tokens: 60,
      temperature: 0,
      stop: ['log'],
      windowKeep: 15,
      onText: (t) => pieces.push(t),
    });
    expect(g.completions[0]).toBe('sat on the ');
    expect(pieces.join('')).toBe('sat on the ');
    expect(g.texts[0]).toBe('the dog sat on the ');
  });

  it('names prompt characters missing from the vocabulary and refuses over-long prompts', async () => {
    await expect(untrained.generate({ prompt: 'the CAT!' })).rejects.toThrow(
      `prompt has 4 character(s) missing from the model's ${corpus.chars.length}-character vocabulary: "C", "A", "T", "!"`,
    );
    await expect(untrained.generate({ prompt: 'the cat sat on the mat' })).rejects.toThrow(
      "prompt has 22 characters but the model's context (blockSize) is 16",
    );
    await expect(untrained.generate({ topP: 0 })).rejects.toThrow(GptError);
    await expect(untrained.generate({ tokens: 0 })).rejects.toThrow(
      'tokens (0) must be a positive integer',
    );
  });
});

describe('GPT save / load / evaluate', () => {
  it('round-trips weights and vocabulary; evaluating needs a corpus after loading', async () => {
    const sub = join(dir, 'trained');
    await trained.save(sub);
    const back = await GPT.load(rt, sub);
    expect(back.vocab.chars).toEqual(corpus.chars);
    expect(back.config).toEqual(trained.config);
    expect(Object.keys(back.net.stateDict())).toEqual(Object.keys(trained.net.stateDict()));
    const o = { prompt: 'the', tokens: 30, seed: 1 };
    expect((await back.generate(o)).texts).toEqual((await trained.generate(o)).texts);
    // Trained from a string: no corpus file is known.
    await expect(back.evaluate()).rejects.toThrow('this model has no corpus in memory; pass');
  });
});
