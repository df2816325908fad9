/**
 * The GPT page's worker: a tiny character-level GPT on a built-in text (or the user's
 * .txt), short samples while it trains, and generation streamed token by token; or, in the
 * LoRA mode, a GPT-2 checkpoint fine-tuned on that text (finetune.ts).
 */
import { Rng, type Runtime } from '@genmodels/runtime';
import {
  corpusFromText,
  GPT,
  type GptConfig,
  type GptCorpus,
  GptNetwork,
  resolveGptConfig,
  Vocabulary,
} from '@genmodels/transformer';
import { serveFamily, type Trainer } from '../shared/worker-host.js';
import { BUILT_IN_TEXT } from './corpus.js';
import { finetuneTrainer } from './finetune.js';
import { streamGeneration } from './stream.js';
import type { CorpusArgs, FinetuneArgs, GenerateArgs, GptView } from './views.js';

const TINY: Partial<GptConfig> = {
  nLayer: 2,
  nHead: 4,
  nEmbd: 64,
  blockSize: 64,
  batchSize: 16,
  lr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 30,
  steps: 1500,
};

const PRESETS: Record<string, { description: string; config: Partial<GptConfig> }> = {
  'tiny-char': {
    description: '2 layers, 4 heads, 64 wide, context 64, batch 16, AdamW 3e-3 with cosine decay',
    config: TINY,
  },
  'small-char': {
    description:
      "4 layers, 4 heads, 128 wide, context 128 (the CLI preset's shape), batch 16: slower",
    config: { ...resolveGptConfig('shakespeare-char'), batchSize: 16, lr: 2e-3, warmupSteps: 50 },
  },
};

let corpus: { name: string; text: string; data: Promise<GptCorpus> } = {
  name: 'built-in text',
  text: BUILT_IN_TEXT,
  data: corpusFromText(BUILT_IN_TEXT, { source: 'built-in text' }),
};

/** Switch to the user's text (a bad one throws and leaves the current text in place). */
async function useCorpus(c: CorpusArgs): Promise<GptCorpus> {
  const data = await corpusFromText(c.text, { source: c.name });
  corpus = { name: c.name, text: c.text, data: Promise.resolve(data) };
  return data;
}

function newGpt(rt: Runtime, preset: string, seed: number, c: GptCorpus): GPT {
  const p = PRESETS[preset];
  if (!p) throw new Error(`unknown GPT preset '${preset}'`);
  const cfg = resolveGptConfig({ ...p.config, vocabSize: c.chars.length });
  return new GPT(rt, new GptNetwork(cfg, new Rng(seed)), new Vocabulary(c.chars), preset, c);
}

function sameVocabulary(gpt: GPT, c: GptCorpus): boolean {
  return c.chars.length === gpt.vocab.size && c.chars.every((ch, i) => ch === gpt.vocab.chars[i]);
}

async function trainer(gpt: GPT, origin: string): Promise<Trainer<GptView>> {
  let step = 0;
  let data = await corpus.data;
  let trainable = sameVocabulary(gpt, data);
  let lastSample = 0;
  const corpusView = (): GptView => ({
    kind: 'corpus',
    name: corpus.name,
    characters: data.train.length + data.val.length,
    vocabulary: data.chars.length,
  });
  const sample = async (): Promise<GptView> => ({
    kind: 'sample',
    text: (await gpt.generate({ tokens: 160, seed: step, temperature: 0.8 })).texts[0],
    step,
  });
  return {
    info: () => ({
      family: 'transformer',
      preset: gpt.preset,
      description: PRESETS[gpt.preset]?.description ?? 'a loaded GPT',
      parameters: gpt.net.numParameters(),
      config: gpt.config,
      origin,
      trainable,
      note: trainable
        ? undefined
        : `this model's ${gpt.vocab.size} characters differ from the ${corpus.name}'s: pick the .txt it was trained on to continue training (generation works as it is)`,
      step,
    }),
    async train(steps) {
      const loss: [number, number][] = [];
      await gpt.fit(data, {
        steps,
        // The cosine schedule spans the preset's length, not each chunk.
        totalSteps: Math.max(gpt.config.steps, step + steps),
        onProgress: (e) => loss.push([step + loss.length + 1, e.loss]),
      });
      step += steps;
      return { loss };
    },
    async views(when) {
      // Sampling costs a decoder call per character: at most every 4 s while training.
      if (when === 'training' && performance.now() - lastSample < 4000) return [];
      lastSample = performance.now();
      return [corpusView(), await sample()];
    },
    toFiles: () => gpt.toFiles(),
    async action(name, args, emit) {
      if (name === 'generate') await streamGeneration(gpt, args as GenerateArgs, emit);
      else if (name === 'corpus') {
        data = await useCorpus(args as CorpusArgs);
        trainable = sameVocabulary(gpt, data);
        emit(corpusView());
      }
    },
  };
}

serveFamily<GptView>({
  presets: Object.entries(PRESETS).map(([name, p]) => ({ name, description: p.description })),
  defaultPreset: 'tiny-char',
  viewEveryMs: 500,
  async create(ctx, preset, seed, extra) {
    if ((extra as FinetuneArgs | undefined)?.mode === 'lora') {
      const args = extra as FinetuneArgs;
      // The text is tokenized by the checkpoint's BPE; it becomes the page's text once the run is made.
      const text = args.text ?? corpus;
      const t = await finetuneTrainer(ctx.rt, args, text);
      if (args.text) await useCorpus(args.text);
      return t;
    }
    const text = extra as CorpusArgs | undefined;
    if (text) await useCorpus(text);
    return trainer(newGpt(ctx.rt, preset, seed, await corpus.data), 'a fresh preset');
  },
  async load(ctx, files, names) {
    return trainer(await GPT.load(ctx.rt, files), names.join(', '));
  },
});
