import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointError,
  encodeModule,
  Linear,
  modelFilesFromList,
  Rng,
  Runtime,
  saveModule,
  Tensor,
} from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_MAX_BYTES, corpusFromText, readCorpus } from './data.js';
import { idsTensor, positionsTensor } from './decoder.js';
import { GptError } from './errors.js';
import { GPT } from './gpt.js';
import { RHYME, TINY } from './testing.js';
import { loadGpt, trainGpt } from './train.js';

let rt: Runtime;
let dir: string;
let gpt: GPT;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'gpt-io-'));
  gpt = GPT.create(rt, TINY, { vocab: (await corpusFromText(RHYME)).chars, seed: 3 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** onnxruntime-node as the runtime package resolves it (it is not a dependency of this package). */
interface OrtTensor {
  dims: number[];
  data: unknown;
}
interface OrtLike {
  InferenceSession: {
    create(path: string): Promise<{
      inputNames: readonly string[];
      outputNames: readonly string[];
      run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
    }>;
  };
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: number[]) => unknown;
}

function ort(): OrtLike {
  const req = createRequire(createRequire(import.meta.url).resolve('@genmodels/runtime'));
  return req('onnxruntime-node');
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('ONNX export of the KV-cache decoder', () => {
  it('driven step by step in a fresh InferenceSession gives the library logits', async () => {
    const path = join(dir, 'decoder.onnx');
    await gpt.exportOnnx(path);
    const o = ort();
    const session = await o.InferenceSession.create(path);
    const L = TINY.nLayer!;
    const [H, dh] = [TINY.nHead!, TINY.nEmbd! / TINY.nHead!];
    expect([...session.inputNames]).toEqual([
      'input_ids',
      'position_ids',
      ...Array.from({ length: L }, (_, i) => [
        `past_key_values.${i}.key`,
        `past_key_values.${i}.value`,
      ]).flat(),
    ]);
    expect([...session.outputNames]).toEqual([
      'logits',
      ...Array.from({ length: L }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat(),
    ]);
    // Library reference: the whole 7-token sequence of two rows in one pass.
    const rows = [
      [1, 2, 3, 4, 5, 6, 7],
      [7, 0, 3, 3, 9, 2, 1],
    ];
    const lib = await gpt.decoder();
    const empty = () => Tensor.zeros([2, H, 0, dh]);
    const pastFeeds: Record<string, Tensor> = {};
    for (let i = 0; i < L; i++) {
      pastFeeds[`past_key_values.${i}.key`] = empty();
      pastFeeds[`past_key_values.${i}.value`] = empty();
    }
    const full = await lib.runHost({
      input_ids: idsTensor(rows),
      position_ids: positionsTensor(2, 7, 0),
      ...pastFeeds,
    });
    const V = gpt.config.vocabSize;
    const fullLogits = full.logits.data as Float32Array;
    // ONNX file: prefill 3 tokens, then 4 one-token steps feeding present back as past.
    const toOrt = (t: Tensor) => new o.Tensor(t.dtype, t.data as Float32Array, [...t.shape]);
    let feeds: Record<string, unknown> = Object.fromEntries(
      Object.entries(pastFeeds).map(([k, t]) => [k, toOrt(t)]),
    );
    let pos = 0;
    for (const len of [3, 1, 1, 1, 1]) {
      const chunk = rows.map((r) => r.slice(pos, pos + len));
      const out = await session.run({
        ...feeds,
        input_ids: toOrt(idsTensor(chunk)),
        position_ids: toOrt(positionsTensor(2, len, pos)),
      });
      expect(out.logits.dims).toEqual([2, len, V]);
      expect(out['present.0.key'].dims).toEqual([2, H, pos + len, dh]);
      const got = out.logits.data as Float32Array;
      const want = new Float32Array(2 * len * V);
      for (let b = 0; b < 2; b++)
        want.set(fullLogits.subarray((b * 7 + pos) * V, (b * 7 + pos + len) * V), b * len * V);
      expect(maxDiff(got, want)).toBeLessThan(1e-5);
      feeds = {};
      for (let i = 0; i < L; i++) {
        feeds[`past_key_values.${i}.key`] = out[`present.${i}.key`];
        feeds[`past_key_values.${i}.value`] = out[`present.${i}.value`];
      }
      pos += len;
    }
    // The logits vary over positions and rows (a constant model would pass trivially).
    expect(maxDiff(fullLogits.subarray(0, V), fullLogits.subarray(6 * V, 7 * V))).toBeGreaterThan(
      1e-3,
    );
    const meta = await readFile(path);
    expect(meta.includes(Buffer.from('genmodels.vocab'))).toBe(true);
  });

  it('refuses an unknown part', async () => {
    await expect(gpt.exportOnnx(join(dir, 'x.onnx'), 'encoder')).rejects.toThrow(
      "unknown GPT part 'encoder'; expected one of decoder",
    );
  });
});

describe('model files as bytes (browsers)', () => {
  it('toFiles() is what save writes; load(rt, files) generates the same text', async () => {
    const files = gpt.toFiles();
    const sub = join(dir, 'files');
    await gpt.save(sub);
    expect(files['model.safetensors']).toEqual(
      new Uint8Array(await readFile(join(sub, 'model.safetensors'))),
    );
    expect(files['config.json']).toBe(await readFile(join(sub, 'config.json'), 'utf8'));
    const back = await GPT.load(rt, files);
    expect(back.stored).toEqual(gpt.stored);
    const opts = { prompt: 'the ', tokens: 12 };
    expect(await back.sample(3, 5, opts)).toEqual(await gpt.sample(3, 5, opts));
  });

  it('loads from a File list; a seq2seq model or another family as files is refused', async () => {
    const bytes = gpt.toFiles()['model.safetensors'];
    const back = await loadGpt(
      rt,
      modelFilesFromList([new File([bytes as BlobPart], 'g.safetensors')]),
    );
    expect((await back.sample(1, 0, { tokens: 8 })).kind).toBe('text');
    expect(await back.sample(2, 1, { tokens: 8 })).toEqual(await gpt.sample(2, 1, { tokens: 8 }));
    const vae = encodeModule(new Linear(2, 2, { rng: new Rng(0) }), { family: 'vae' });
    const err = await GPT.load(rt, { 'model.safetensors': vae }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/'vae' model, expected 'transformer'/);
    const s2s = encodeModule(new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'transformer',
      config: { model: 'seq2seq', config: {} },
    });
    await expect(GPT.load(rt, { 'model.safetensors': s2s })).rejects.toThrow(
      "model files holds a transformer of kind 'seq2seq', not a GPT",
    );
  });

  it('onnx() gives the bytes exportOnnx writes', async () => {
    const path = join(dir, 'bytes.onnx');
    await gpt.exportOnnx(path);
    // Copies: encodeOnnx may hand out a Node Buffer, which toEqual tells from a Uint8Array.
    expect(new Uint8Array(gpt.onnx())).toEqual(new Uint8Array(await readFile(path)));
    expect(() => gpt.onnx('encoder')).toThrow(GptError);
  });
});

describe('training and loading errors', () => {
  it('needs a corpus, an existing file and some text', async () => {
    await expect(trainGpt(rt, { preset: 'shakespeare-char', steps: 1 })).rejects.toThrow(
      "the GPT preset 'shakespeare-char' trains on a text corpus: pass its path as opts.corpus (CLI: --corpus PATH)",
    );
    await expect(trainGpt(rt, { preset: 'tiny-gpt', corpus: 'x.txt' })).rejects.toThrow(
      "unknown GPT preset 'tiny-gpt'",
    );
    await expect(
      trainGpt(rt, { preset: 'shakespeare-char', corpus: 'x.txt', corpusText: 'abc' }),
    ).rejects.toThrow('opts.corpus (a path or URL) or opts.corpusText, not both');
    const missing = join(dir, 'nope.txt');
    await expect(
      trainGpt(rt, { preset: 'shakespeare-char', corpus: missing, steps: 1 }),
    ).rejects.toThrow(`no corpus file at '${missing}'`);
    const empty = join(dir, 'empty.txt');
    await writeFile(empty, '');
    await expect(
      trainGpt(rt, { preset: 'shakespeare-char', corpus: empty, steps: 1 }),
    ).rejects.toThrow(`corpus '${empty}' is empty`);
    const short = join(dir, 'short.txt');
    await writeFile(short, 'to be or not to be, that is the question\n'.repeat(3));
    // 123 characters: 110 train tokens cannot fill one 128-character block.
    await expect(
      trainGpt(rt, { preset: 'shakespeare-char', corpus: short, steps: 1 }),
    ).rejects.toThrow('the training split has 110 tokens; blockSize 128 needs at least 129');
    // A corpus over the size cap is refused before it is read.
    await expect(readCorpus(short, { maxBytes: 100 })).rejects.toThrow(
      `cannot read the corpus: cannot read '${short}': it has 123 bytes, more than the limit of 100`,
    );
    expect(CORPUS_MAX_BYTES).toBe(64 * 1024 * 1024);
  });

  it('trains through the family entry point; after loading evaluates on the corpus it is given', async () => {
    const file = join(dir, 'rhyme.txt');
    await writeFile(file, RHYME);
    const events: (number | null)[] = [];
    // The preset's architecture on a tiny budget: two steps.
    const model = await trainGpt(rt, {
      preset: 'shakespeare-char',
      corpus: file,
      steps: 2,
      onProgress: (e) => events.push(e.total),
    });
    expect(events.at(-1)).toBe(2);
    const sub = join(dir, 'family');
    await model.save(sub);
    const back = await loadGpt(rt, sub);
    expect(back.preset).toBe('shakespeare-char');
    const stored = JSON.parse(await readFile(join(sub, 'config.json'), 'utf8'));
    expect(stored).toMatchObject({ family: 'transformer', model: 'gpt', corpus: file });
    // The recorded path is information only: a loaded model reads the corpus it is given.
    await expect(back.evaluate({ batches: 1, stride: 64 })).rejects.toThrow(
      `evaluate: this model has no corpus in memory (its config.json says it was trained on ${JSON.stringify(file)}); pass { corpus: PATH } with the text to evaluate on (CLI: eval --corpus PATH)`,
    );
    const m = await back.evaluate({ batches: 1, stride: 64, corpus: file });
    expect(Object.keys(m).sort()).toEqual(['bpc', 'val_loss', 'val_loss_stream', 'val_tokens']);
    expect(m.val_loss).toBeGreaterThan(1); // two steps: far from trained
  });

  it('trains on text given directly, and evaluates on it while in memory', async () => {
    const model = await trainGpt(rt, { preset: 'shakespeare-char', corpusText: RHYME, steps: 1 });
    expect(model.stored.corpus).toBeNull();
    expect(model.vocab.chars).toEqual((await corpusFromText(RHYME)).chars);
    const m = await model.evaluate({ batches: 1, stride: 64 });
    expect(m.val_tokens).toBeGreaterThan(0);
  });

  it('names a missing, foreign or mismatched checkpoint', async () => {
    await expect(GPT.load(rt, join(dir, 'none'))).rejects.toThrow(
      `no GPT checkpoint at '${join(dir, 'none', 'model.safetensors')}'`,
    );
    const vae = join(dir, 'vae');
    await mkdir(vae, { recursive: true });
    await saveModule(join(vae, 'model.safetensors'), new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'vae',
      config: {},
    });
    await expect(GPT.load(rt, vae)).rejects.toThrow(CheckpointError);
    const other = join(dir, 'seq2seq');
    await mkdir(other, { recursive: true });
    await saveModule(join(other, 'model.safetensors'), new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'transformer',
      config: { model: 'seq2seq', config: {} },
    });
    await expect(GPT.load(rt, other)).rejects.toThrow(
      "holds a transformer of kind 'seq2seq', not a GPT",
    );
    // A GPT config over the wrong tensors.
    const bad = join(dir, 'bad');
    await gpt.save(bad);
    const stored = JSON.parse(await readFile(join(bad, 'config.json'), 'utf8'));
    await saveModule(join(bad, 'model.safetensors'), new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'transformer',
      config: stored,
    });
    await expect(GPT.load(rt, bad)).rejects.toThrow(GptError);
    await expect(GPT.load(rt, bad)).rejects.toThrow('model.safetensors does not match its config');
  });
});
