import { Rng, Runtime } from '@genmodels/runtime';
import { withoutStoredConfig } from '@genmodels/runtime/testing';
import { describe, expect, it } from 'vitest';
import {
  MAX_POSITION_TABLE,
  resolveSeq2seqConfig,
  SEQ2SEQ_PRESETS,
  seq2seqConfigSchema,
  seq2seqParameterCount,
  seq2seqPreset,
} from './config.js';
import { Seq2seqModelError } from './errors.js';
import { Seq2seqNetwork } from './network.js';
import { Seq2seq } from './seq2seq.js';
import { TINY, TINY_TASK } from './testing.js';

const rt = await Runtime.create({ device: 'cpu', threads: 1 });

/** Parameter values a built network really holds. */
function heldParameters(net: Seq2seqNetwork): number {
  return Object.values(net.stateDict()).reduce((n, t) => n + t.size, 0);
}

describe('seq2seq config schema', () => {
  it('counts the parameters of every preset and of varied configs exactly', () => {
    const configs = [
      ...Object.keys(SEQ2SEQ_PRESETS).map((p) => resolveSeq2seqConfig(p)),
      resolveSeq2seqConfig(TINY),
      resolveSeq2seqConfig({ vocabSize: 5, dModel: 6, nHead: 1, dFf: 3, maxSrcLen: 2 }),
      resolveSeq2seqConfig({
        vocabSize: 9,
        dModel: 12,
        nHead: 3,
        nEncoderLayers: 3,
        nDecoderLayers: 1,
        dFf: 7,
        maxTgtLen: 20,
      }),
    ];
    for (const cfg of configs)
      expect(seq2seqParameterCount(cfg), JSON.stringify(cfg)).toBe(
        heldParameters(new Seq2seqNetwork(cfg, new Rng(0))),
      );
  });

  it('keeps the presets and defaults, and never shares them with a resolved config', () => {
    for (const [name, p] of Object.entries(SEQ2SEQ_PRESETS)) {
      expect(seq2seqConfigSchema.parse(p.config)).toEqual(p.config);
      const cfg = resolveSeq2seqConfig(name);
      expect(cfg).toEqual(p.config);
      expect(Object.keys(cfg)).toEqual(Object.keys(p.config));
      expect(cfg).not.toBe(p.config);
      cfg.betas[0] = 0.5;
      expect(resolveSeq2seqConfig(name).betas).toEqual(p.config.betas);
    }
    expect(resolveSeq2seqConfig()).toEqual(SEQ2SEQ_PRESETS['seq2seq-reverse'].config);
    expect(() => seq2seqPreset('constructor')).toThrow("unknown seq2seq preset 'constructor'");
  });

  it('names each wrong field, its value and what it must be', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ nEncoderLayers: 1e5 }, 'seq2seq config: nEncoderLayers (100000) must be at most 1024'],
      [{ nDecoderLayers: 0 }, 'nDecoderLayers (0) must be at least 1'],
      [{ dFf: 1e308 }, 'dFf (1e+308) must be at most 262144'],
      [{ nHead: 1.5 }, 'nHead (1.5) must be an integer'],
      [{ dModel: 1e6 }, 'dModel (1000000) must be at most 65536'],
      [{ dFf: 2 ** 19 }, 'dFf (524288) must be at most 262144'],
      [{ maxSrcLen: 1e6 }, 'maxSrcLen (1000000) must be at most 65536'],
      [{ maxTgtLen: null }, 'maxTgtLen (null) must be a number'],
      [{ vocabSize: 2 ** 21 }, 'vocabSize (2097152) must be at most 1048576'],
      [{ vocabSize: 3 }, 'vocabSize (3) must be >= 4 (PAD, BOS, EOS and one symbol)'],
      [{ batchSize: 0 }, 'batchSize (0) must be at least 1'],
      [{ steps: 1e10 }, 'steps (10000000000) must be at most 1000000000'],
      [{ warmupSteps: -1 }, 'warmupSteps (-1) must be at least 0'],
      [{ lr: 'fast' }, 'lr ("fast") must be a number'],
      [{ gradClip: -1 }, 'gradClip (-1) must be at least 0'],
      [{ betas: [1, 0.9] }, 'betas.0 (1) must be below 1'],
      [{ betas: 0.9 }, 'betas (0.9) must be an array'],
      [{ dModel: 30, nHead: 4 }, 'dModel (30) must be even and divisible by nHead (4)'],
      [{ dModel: 7, nHead: 1 }, 'dModel (7) must be even'],
      [{ task: 'reverse' }, 'has unknown field(s) task'],
      [{ dModel: 16384, nEncoderLayers: 1024 }, 'parameters'],
      [
        { maxSrcLen: 65536, dModel: 2048 },
        `position table of max(maxSrcLen, maxTgtLen) x dModel = 134217728 values is over the limit of ${MAX_POSITION_TABLE}`,
      ],
    ];
    for (const [partial, message] of cases) {
      expect(() => resolveSeq2seqConfig(partial as never), JSON.stringify(partial)).toThrow(
        Seq2seqModelError,
      );
      expect(() => resolveSeq2seqConfig(partial as never), JSON.stringify(partial)).toThrow(
        message,
      );
    }
    for (const stored of [5, null, [1, 2], true])
      expect(() => resolveSeq2seqConfig(stored as never), String(stored)).toThrow(
        Seq2seqModelError,
      );
    expect(() => resolveSeq2seqConfig(5 as never)).toThrow(
      'seq2seq config: the config (5) must be an object',
    );
  });

  it('still loads what save has always written: every preset and a tiny model', async () => {
    const models = [
      ...(await Promise.all(Object.keys(SEQ2SEQ_PRESETS).map((p) => Seq2seq.create(rt, p)))),
      await Seq2seq.create(rt, { config: TINY, task: TINY_TASK }, { seed: 1 }),
    ];
    for (const model of models) {
      const back = await Seq2seq.load(rt, model.toFiles());
      expect(back.config).toEqual(model.config);
      expect(Object.keys(back.config)).toEqual(Object.keys(model.config));
      expect(back.stored).toEqual(model.stored);
    }
  });

  it('refuses a crafted stored config (1e5 layers) and one larger than its weights, before building', async () => {
    const model = await Seq2seq.create(rt, { config: TINY, task: TINY_TASK }, { seed: 0 });
    const saved = model.toFiles();
    const stored = JSON.parse(saved['config.json']);
    // config.json is what counts once the checkpoint's metadata holds no config.
    const files = (config: Record<string, unknown>) => ({
      'model.safetensors': withoutStoredConfig(saved['model.safetensors']),
      'config.json': JSON.stringify({ ...stored, config: { ...stored.config, ...config } }),
    });
    await expect(Seq2seq.load(rt, files({}))).resolves.toBeDefined();
    await expect(Seq2seq.load(rt, files({ nDecoderLayers: 1e5 }))).rejects.toThrow(
      'seq2seq config: nDecoderLayers (100000) must be at most 1024',
    );
    // In range but far larger than the weights: without the check, building it would
    // allocate about 2.3e8 parameter values (900 MB) before comparing.
    const before = process.memoryUsage().rss;
    const big = files({ dModel: 2048, dFf: 8192 });
    const metadataWins = { ...big, 'model.safetensors': saved['model.safetensors'] };
    await expect(Seq2seq.load(rt, metadataWins)).resolves.toBeDefined();
    const err = await Seq2seq.load(rt, big).catch((e) => e);
    expect(err).toBeInstanceOf(Seq2seqModelError);
    expect(err.message).toMatch(
      /^model files: model.safetensors does not match its config: the config describes a seq2seq of \d+ parameters but model.safetensors holds \d+ values/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('checks the stored task and token list against their schemas', async () => {
    const model = await Seq2seq.create(rt, { config: TINY, task: TINY_TASK }, { seed: 0 });
    const saved = model.toFiles();
    const stored = JSON.parse(saved['config.json']);
    const files = (change: Record<string, unknown>) => ({
      'model.safetensors': withoutStoredConfig(saved['model.safetensors']),
      'config.json': JSON.stringify({ ...stored, ...change }),
    });
    for (const [change, message] of [
      [
        { task: { ...stored.task, maxLen: 1e9 } },
        'seq2seq task: maxLen (1000000000) must be at most 4096',
      ],
      [{ task: { ...stored.task, name: 'rot13' } }, 'seq2seq task: name ("rot13") must be one of'],
      [{ task: { ...stored.task, extra: 1 } }, 'seq2seq task: the task has unknown field(s) extra'],
      [{ tokens: [1, 2] }, 'seq2seq token list: 0 (1) must be a string'],
      [{ tokens: ['x'.repeat(65)] }, 'must have at most 64 characters'],
    ] as const) {
      const err = await Seq2seq.load(rt, files(change)).catch((e) => e);
      expect(err, JSON.stringify(change)).toBeInstanceOf(Seq2seqModelError);
      expect(err.message).toContain(message);
    }
  });
});
