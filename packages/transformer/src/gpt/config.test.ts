import { readFile } from 'node:fs/promises';
import { Rng, Runtime } from '@genmodels/runtime';
import { withoutStoredConfig } from '@genmodels/runtime/testing';
import { describe, expect, it } from 'vitest';
import { GPT_PRESETS, gptConfigSchema, gptParameterCount, resolveGptConfig } from './config.js';
import { corpusFromText } from './data.js';
import { GptError } from './errors.js';
import { GPT } from './gpt.js';
import { GptNetwork } from './network.js';
import { RHYME, TINY } from './testing.js';

const rt = await Runtime.create({ device: 'cpu', threads: 1 });

/** Parameter values a built network really holds. */
function heldParameters(net: GptNetwork): number {
  return Object.values(net.stateDict()).reduce((n, t) => n + t.size, 0);
}

describe('GPT config schema', () => {
  it('counts the parameters of every preset and of varied configs exactly', async () => {
    const parity = JSON.parse(
      await readFile(new URL('./fixtures/gpt_parity.json', import.meta.url), 'utf8'),
    );
    const configs = [
      ...Object.keys(GPT_PRESETS).map((p) => resolveGptConfig(p)),
      resolveGptConfig(TINY),
      resolveGptConfig({ ...parity.config }),
      resolveGptConfig({ vocabSize: 3, nLayer: 1, nHead: 1, nEmbd: 5, blockSize: 7 }),
      resolveGptConfig({ vocabSize: 11, nLayer: 3, nHead: 3, nEmbd: 12, blockSize: 2 }),
      resolveGptConfig({ ...TINY, tieEmbeddings: true }),
      resolveGptConfig({ ...TINY, tieEmbeddings: false, activation: 'gelu_tanh' }),
    ];
    for (const cfg of configs)
      expect(gptParameterCount(cfg), JSON.stringify(cfg)).toBe(
        heldParameters(new GptNetwork(cfg, new Rng(0))),
      );
  });

  it('keeps the preset and defaults, and never shares them with a resolved config', () => {
    const preset = GPT_PRESETS['shakespeare-char'].config;
    expect(gptConfigSchema.parse(preset)).toEqual(preset);
    expect(resolveGptConfig()).toEqual(preset);
    const cfg = resolveGptConfig('shakespeare-char');
    expect(cfg).toEqual(preset);
    expect(Object.keys(cfg)).toEqual(Object.keys(preset));
    expect(Object.keys(resolveGptConfig(TINY))).toEqual(Object.keys(preset));
    expect(cfg).not.toBe(preset);
    cfg.betas[0] = 0.5;
    expect(resolveGptConfig('shakespeare-char').betas).toEqual([0.9, 0.99]);
    expect(() => resolveGptConfig('toString')).toThrow("unknown GPT preset 'toString'");
  });

  it('names each wrong field, its value and what it must be', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ nLayer: 1e5 }, 'GPT config: nLayer (100000) must be at most 1024'],
      [{ nLayer: 0 }, 'nLayer (0) must be at least 1'],
      [{ nLayer: 1e308 }, 'nLayer (1e+308) must be at most 1024'],
      [{ nHead: 2.5 }, 'nHead (2.5) must be an integer'],
      [{ nHead: 2000 }, 'nHead (2000) must be at most 1024'],
      [{ nEmbd: 1e6 }, 'nEmbd (1000000) must be at most 65536'],
      [{ blockSize: 1e6 }, 'blockSize (1000000) must be at most 65536'],
      [{ vocabSize: 2 ** 21 }, 'vocabSize (2097152) must be at most 1048576'],
      [{ batchSize: '32' }, 'batchSize ("32") must be a number'],
      [{ steps: 0 }, 'steps (0) must be at least 1'],
      [{ warmupSteps: 1.5 }, 'warmupSteps (1.5) must be an integer'],
      [{ lr: -1 }, 'lr (-1) must be at least 0'],
      [{ minLr: null }, 'minLr (null) must be a number'],
      [{ weightDecay: -0.1 }, 'weightDecay (-0.1) must be at least 0'],
      [{ gradClip: -1 }, 'gradClip (-1) must be at least 0'],
      [{ betas: null }, 'betas (null) must be an array'],
      [{ betas: [0.9] }, 'betas'],
      [{ betas: [0.9, 1] }, 'betas.1 (1) must be below 1'],
      [{ nEmbd: 30, nHead: 4 }, 'GPT config: nEmbd (30) must be divisible by nHead (4)'],
      [{ dropout: 0.1 }, 'has unknown field(s) dropout'],
      [{ activation: 'relu' }, 'activation ("relu") must be one of "gelu", "gelu_tanh"'],
      [{ tieEmbeddings: 1 }, 'tieEmbeddings (1) must be true or false'],
      [{ nEmbd: 65536, nLayer: 1024 }, 'parameters'],
      [{ vocabSize: 1 << 20, nEmbd: 2048 }, 'over the limit'],
    ];
    for (const [partial, message] of cases) {
      expect(() => resolveGptConfig(partial as never), JSON.stringify(partial)).toThrow(GptError);
      expect(() => resolveGptConfig(partial as never), JSON.stringify(partial)).toThrow(message);
    }
    for (const stored of [5, null, [1, 2], true])
      expect(() => resolveGptConfig(stored as never), String(stored)).toThrow(GptError);
    expect(() => resolveGptConfig(5 as never)).toThrow(
      'GPT config: the config (5) must be an object',
    );
  });

  it('still loads what save has always written: the preset and a tiny GPT', async () => {
    const chars = (await corpusFromText(RHYME)).chars;
    const models = [
      GPT.create(rt, 'shakespeare-char', { vocab: chars, seed: 0 }),
      GPT.create(rt, { ...TINY, betas: [0.8, 0.95], gradClip: 0 }, { vocab: chars, seed: 1 }),
    ];
    for (const gpt of models) {
      const back = await GPT.load(rt, gpt.toFiles());
      expect(back.config).toEqual(gpt.config);
      expect(back.preset).toBe(gpt.preset);
      expect(back.stored).toEqual(gpt.stored);
    }
  });

  it('refuses a crafted stored config (nLayer 1e5) and one larger than its weights, before building', async () => {
    const gpt = GPT.create(rt, TINY, { vocab: (await corpusFromText(RHYME)).chars, seed: 0 });
    const saved = gpt.toFiles();
    const stored = JSON.parse(saved['config.json']);
    // config.json is what counts once the checkpoint's metadata holds no config.
    const files = (config: Record<string, unknown>) => ({
      'model.safetensors': withoutStoredConfig(saved['model.safetensors']),
      'config.json': JSON.stringify({ ...stored, config: { ...stored.config, ...config } }),
    });
    await expect(GPT.load(rt, files({}))).resolves.toBeDefined();
    await expect(GPT.load(rt, files({ nLayer: 1e5 }))).rejects.toThrow(
      'GPT config: nLayer (100000) must be at most 1024',
    );
    // In range but far larger than the weights: without the check, building it would
    // allocate 64 x 12 x 512 x 512 x 4 bytes (800 MB) before comparing.
    const before = process.memoryUsage().rss;
    const big = files({ nLayer: 64, nEmbd: 512 });
    const metadataWins = { ...big, 'model.safetensors': saved['model.safetensors'] };
    await expect(GPT.load(rt, metadataWins)).resolves.toBeDefined();
    const err = await GPT.load(rt, big).catch((e) => e);
    expect(err).toBeInstanceOf(GptError);
    expect(err.message).toMatch(
      /^model files: model.safetensors does not match its config: the config describes a GPT of \d+ parameters but model.safetensors holds \d+ values/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });
});
