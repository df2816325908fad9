import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seq2seqHash } from '@genmodels/datasets';
import { Runtime } from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Seq2seq } from './seq2seq.js';
import { TINY, TINY_TASK } from './testing.js';

let rt: Runtime;
let dir: string;
let model: Seq2seq;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'seq2seq-'));
  model = await Seq2seq.create(rt, { config: TINY, task: TINY_TASK }, { seed: 0 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Seq2seq training and decoding', () => {
  it('learns to reverse 1-3 symbols perfectly', async () => {
    const before = await model.evaluate({ examples: 64 });
    expect(before.exact_match).toBeLessThan(0.2);
    const losses: number[] = [];
    const r = await model.fit({
      steps: 500,
      progressEvery: 50,
      onProgress: (e) => losses.push(e.loss),
    });
    expect(r.steps).toBe(500);
    expect(losses).toHaveLength(10);
    // Training-split sources: with 155 sources in all, the held-out ones are mostly
    // single symbols never seen alone (a test of generalization, left to the quality script).
    const m = await model.evaluate({ examples: 200, beam: 3, split: 'train', seed: 9 });
    expect(Object.keys(m).sort()).toEqual([
      'beam_exact_match',
      'exact_match',
      'val_examples',
      'val_loss',
    ]);
    expect(m.exact_match).toBe(1);
    expect(m.beam_exact_match).toBe(1);
    expect(m.val_loss).toBeLessThan(0.05);
    expect(m.val_loss).toBeLessThan(before.val_loss / 20);
    expect(await model.translate(['0', '01', '402', '2 4 0'])).toEqual(['0', '10', '204', '042']);
  });

  it('decodes with beam width 1 exactly as greedily, and beams are never less likely', async () => {
    // Sources of the training split too: a model that is not perfect everywhere.
    const untrained = await Seq2seq.create(rt, { config: TINY, task: TINY_TASK }, { seed: 5 });
    const sources = [[3], [4, 5], [7, 6, 3], [3, 3, 3], [5, 4]];
    for (const m of [model, untrained]) {
      const greedy = await m.decode(sources);
      expect(await m.decode(sources, { beam: 1 })).toEqual(greedy);
      const beam = await m.decode(sources, { beam: 4 });
      beam.forEach((h, i) => {
        if (greedy[i].finished) expect(h.logProb).toBeGreaterThanOrEqual(greedy[i].logProb - 1e-6);
      });
    }
  });

  it('samples held-out sources as "src -> prediction" and streams the first', async () => {
    const pieces: string[] = [];
    const s = await model.sample(3, 7, { onText: (t) => pieces.push(t) });
    expect(s.kind).toBe('text');
    if (s.kind !== 'text') return;
    expect(s.texts).toHaveLength(3);
    for (const t of s.texts) expect(t).toMatch(/^[0-4]{1,3} -> [0-4]{0,5}$/);
    expect(pieces.join('')).toBe(s.texts[0]);
    expect(await model.sample(3, 7)).toEqual(s);
    expect(seq2seqHash([7, 4, 5])).toBeGreaterThan(0.1); // a training source
    const p = await model.sample(1, 0, { prompt: '412' });
    expect(p).toEqual({ kind: 'text', texts: ['412 -> 214'] });
  });

  it('names sources that are too long or hold tokens outside the vocabulary', async () => {
    await expect(model.decode([[3, 4, 5, 6, 7]])).rejects.toThrow(
      "source 0 has 5 tokens but the model's maxSrcLen is 4",
    );
    await expect(model.decode([[3], [9]])).rejects.toThrow(
      "source 1 holds id 9, outside the vocabulary's symbol ids 3..7",
    );
    await expect(model.decode([[1, 3]])).rejects.toThrow('holds id 1');
    await expect(model.translate(['12a9'])).rejects.toThrow(
      `source 0 '12a9' has token(s) outside the model's vocabulary: "a", "9"; expected 0 1 2 3 4`,
    );
    await expect(model.sample(1, 0, { prompt: '' })).rejects.toThrow('prompt is empty');
  });
});
