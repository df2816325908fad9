import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
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
  type Tensor,
} from '@genmodels/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFromText } from '../gpt/data.js';
import { GPT } from '../gpt/gpt.js';
import { TINY as TINY_GPT } from '../gpt/testing.js';
import { Seq2seqModelError } from './errors.js';
import { padIds } from './graphs.js';
import { Seq2seq } from './seq2seq.js';
import { TINY, TINY_TASK } from './testing.js';
import { loadSeq2seq, trainSeq2seq } from './train.js';

let rt: Runtime;
let dir: string;
let model: Seq2seq;
beforeAll(async () => {
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
  dir = await mkdtemp(join(tmpdir(), 'seq2seq-io-'));
  model = await Seq2seq.create(rt, { config: TINY, task: TINY_TASK }, { seed: 3 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** onnxruntime-node as the runtime package resolves it (it is not a dependency of this package). */
interface OrtLike {
  InferenceSession: {
    create(path: string): Promise<{
      inputNames: readonly string[];
      outputNames: readonly string[];
      run(
        feeds: Record<string, unknown>,
      ): Promise<Record<string, { dims: number[]; data: unknown }>>;
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

const SRC = [
  [3, 4, 5],
  [6, 7],
];
const TGT = [
  [1, 5, 4, 3],
  [1, 7, 6, 2],
];
const floats = (t: Tensor | { data: unknown }) => t.data as Float32Array;

describe('save / load', () => {
  it('round-trips weights, config and task to identical logits', async () => {
    const sub = join(dir, 'model');
    await model.save(sub);
    const back = await loadSeq2seq(rt, sub);
    expect(back.config).toEqual(model.config);
    expect(back.task).toEqual(TINY_TASK);
    const stored = JSON.parse(await readFile(join(sub, 'config.json'), 'utf8'));
    expect(stored).toMatchObject({
      family: 'transformer',
      model: 'seq2seq',
      preset: 'custom',
      task: TINY_TASK,
      config: model.config,
    });
    expect(stored.tokens.slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', '0']);
    const a = floats(await model.logits(SRC, TGT));
    expect(maxDiff(floats(await back.logits(SRC, TGT)), a)).toBe(0);
    expect(await back.decode(SRC)).toEqual(await model.decode(SRC));
  });
});

describe('model files as bytes (browsers)', () => {
  it('toFiles() is what save writes; load(rt, files) gives identical logits', async () => {
    const files = model.toFiles();
    const sub = join(dir, 'files');
    await model.save(sub);
    expect(files['model.safetensors']).toEqual(
      new Uint8Array(await readFile(join(sub, 'model.safetensors'))),
    );
    expect(files['config.json']).toBe(await readFile(join(sub, 'config.json'), 'utf8'));
    const back = await Seq2seq.load(rt, files);
    expect(back.stored).toEqual(model.stored);
    expect(maxDiff(floats(await back.logits(SRC, TGT)), floats(await model.logits(SRC, TGT)))).toBe(
      0,
    );
    const picked = modelFilesFromList([
      new File([files['model.safetensors'] as BlobPart], 's.safetensors'),
    ]);
    expect(await (await loadSeq2seq(rt, picked)).decode(SRC)).toEqual(await model.decode(SRC));
  });

  it('another family or a GPT, given as files, is refused', async () => {
    const vae = encodeModule(new Linear(2, 2, { rng: new Rng(0) }), { family: 'vae' });
    const err = await Seq2seq.load(rt, { 'model.safetensors': vae }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    const gpt = GPT.create(rt, TINY_GPT, {
      vocab: (await corpusFromText('abcdefg\n'.repeat(5))).chars,
    });
    await expect(Seq2seq.load(rt, gpt.toFiles())).rejects.toThrow(
      "model files holds a transformer of kind 'gpt', not a seq2seq model",
    );
  });
});

describe('ONNX export', () => {
  it('onnx(part) gives the bytes exportOnnx writes', async () => {
    for (const part of ['model', 'encoder', 'decoder']) {
      const path = join(dir, `bytes-${part}.onnx`);
      await model.exportOnnx(path, part);
      // Copies: encodeOnnx may hand out a Node Buffer, which toEqual tells from a Uint8Array.
      expect(new Uint8Array(model.onnx(part))).toEqual(new Uint8Array(await readFile(path)));
    }
  });

  it("'model' (src, tgt_in -> logits) gives the library logits in a fresh InferenceSession", async () => {
    const path = join(dir, 'model.onnx');
    await model.exportOnnx(path);
    const o = ort();
    const session = await o.InferenceSession.create(path);
    expect([...session.inputNames]).toEqual(['src', 'tgt_in']);
    expect([...session.outputNames]).toEqual(['logits']);
    const want = floats(await model.logits(SRC, TGT));
    const toOrt = (t: Tensor) => new o.Tensor('int64', t.data as BigInt64Array, [...t.shape]);
    const out = await session.run({ src: toOrt(padIds(SRC)), tgt_in: toOrt(padIds(TGT)) });
    expect(out.logits.dims).toEqual([2, 4, TINY.vocabSize]);
    expect(maxDiff(floats(out.logits), want)).toBeLessThan(1e-5);
    // Other lengths through the same file (dynamic src_len and tgt_len).
    const short = await session.run({
      src: toOrt(padIds([[4]])),
      tgt_in: toOrt(padIds([[1, 4]])),
    });
    expect(short.logits.dims).toEqual([1, 2, TINY.vocabSize]);
    expect(maxDiff(floats(short.logits), floats(await model.logits([[4]], [[1, 4]])))).toBeLessThan(
      1e-5,
    );
    expect((await readFile(path)).includes(Buffer.from('genmodels.tokens'))).toBe(true);
  });

  it("'encoder' then 'decoder' compute the same logits", async () => {
    const o = ort();
    await model.exportOnnx(join(dir, 'encoder.onnx'), 'encoder');
    await model.exportOnnx(join(dir, 'decoder.onnx'), 'decoder');
    const enc = await o.InferenceSession.create(join(dir, 'encoder.onnx'));
    const dec = await o.InferenceSession.create(join(dir, 'decoder.onnx'));
    expect([...dec.inputNames]).toEqual(['memory', 'src', 'tgt_in']);
    const src = new o.Tensor('int64', padIds(SRC).data as BigInt64Array, [2, 3]);
    const { memory } = await enc.run({ src });
    expect(memory.dims).toEqual([2, 3, TINY.dModel]);
    const tgt = new o.Tensor('int64', padIds(TGT).data as BigInt64Array, [2, 4]);
    const { logits } = await dec.run({ memory, src, tgt_in: tgt });
    expect(maxDiff(floats(logits), floats(await model.logits(SRC, TGT)))).toBeLessThan(1e-5);
    await expect(model.exportOnnx(join(dir, 'x.onnx'), 'generator')).rejects.toThrow(
      "unknown seq2seq part 'generator'; expected one of model, encoder, decoder",
    );
  });
});

describe('family entry points and errors', () => {
  it('trains a preset through trainSeq2seq and evaluates after loading', async () => {
    const events: (number | null)[] = [];
    const m = await trainSeq2seq(rt, {
      preset: 'seq2seq-addition',
      steps: 2,
      onProgress: (e) => events.push(e.total),
    });
    expect(events.at(-1)).toBe(2);
    const sub = join(dir, 'addition');
    await m.save(sub);
    const back = await loadSeq2seq(rt, sub);
    expect(back.preset).toBe('seq2seq-addition');
    const metrics = await back.evaluate({ examples: 16 });
    expect(Object.keys(metrics).sort()).toEqual(['exact_match', 'val_examples', 'val_loss']);
    expect(metrics.val_loss).toBeGreaterThan(1); // two steps: far from trained
    const s = await back.sample(2, 0);
    if (s.kind === 'text') for (const t of s.texts) expect(t).toMatch(/^\d{3}\+\d{3} -> [\d+]*$/);
  });

  it('names an unknown preset or task and a corpus it does not take', async () => {
    await expect(trainSeq2seq(rt, { preset: 'seq2seq-sort', steps: 1 })).rejects.toThrow(
      "unknown seq2seq preset 'seq2seq-sort'; expected one of seq2seq-reverse, seq2seq-addition",
    );
    await expect(Seq2seq.create(rt, { task: { name: 'rotate' as 'copy' } })).rejects.toThrow(
      "unknown seq2seq task 'rotate'; expected one of copy, reverse, sort, addition",
    );
    await expect(
      trainSeq2seq(rt, { preset: 'seq2seq-reverse', corpus: 'x.txt', steps: 1 }),
    ).rejects.toThrow(Seq2seqModelError);
    await expect(
      Seq2seq.create(rt, { config: TINY, task: { ...TINY_TASK, maxLen: 6 } }),
    ).rejects.toThrow(
      "task 'reverse' has sources of up to 6 tokens but the model's maxSrcLen is 4",
    );
  });

  it('refuses a GPT, another family or a mismatched checkpoint', async () => {
    await expect(Seq2seq.load(rt, join(dir, 'none'))).rejects.toThrow(
      `no seq2seq checkpoint at '${join(dir, 'none', 'model.safetensors')}'`,
    );
    const gptDir = join(dir, 'gpt');
    const text = 'the cat sat on the mat.\n'.repeat(5);
    const gpt = GPT.create(rt, TINY_GPT, { vocab: (await corpusFromText(text)).chars });
    await gpt.save(gptDir);
    await expect(Seq2seq.load(rt, gptDir)).rejects.toThrow(
      `'${gptDir}' holds a transformer of kind 'gpt', not a seq2seq model`,
    );
    const vae = join(dir, 'vae');
    await mkdir(vae, { recursive: true });
    await saveModule(join(vae, 'model.safetensors'), new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'vae',
      config: {},
    });
    await expect(Seq2seq.load(rt, vae)).rejects.toThrow(CheckpointError);
    const bad = join(dir, 'bad');
    await mkdir(bad, { recursive: true });
    await saveModule(join(bad, 'model.safetensors'), new Linear(2, 2, { rng: new Rng(0) }), {
      family: 'transformer',
      config: model.stored,
    });
    await expect(Seq2seq.load(rt, bad)).rejects.toThrow(
      'model.safetensors does not match its config',
    );
  });
});
