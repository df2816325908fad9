/**
 * The GPT page's LoRA mode (worker side): a GPT-2 checkpoint read from the user's files (or
 * the tiny demo checkpoint the app serves), adapters on its attention projections, a set
 * number of steps on the page's text, validation loss before and after, samples while it
 * trains, and the merged model and the adapter as downloads.
 */
import type { Runtime } from '@genmodels/runtime';
import { GPT, type GptCorpus, tokenizeCorpus } from '@genmodels/transformer';
import type { Trainer } from '../shared/worker-host.js';
import { adapterFiles, mergedFiles } from './lora-export.js';
import { streamGeneration } from './stream.js';
import type { CorpusArgs, ExportKind, FinetuneArgs, GenerateArgs, GptView } from './views.js';

/** Random validation windows per loss figure (seeded: the same windows before and after). */
const EVAL_BATCHES = 10;

/** Read the checkpoint, add the adapters, and measure the loss before any step. */
export async function finetuneTrainer(
  rt: Runtime,
  args: FinetuneArgs,
  text: CorpusArgs,
): Promise<Trainer<GptView>> {
  const c = args.checkpoint;
  const gpt = await GPT.fromGpt2(rt, 'url' in c ? c.url : c.files);
  const { rank, alpha, steps, lr } = args.lora;
  const lora = gpt.addLora({ rank, alpha, seed: 0 });
  const data: GptCorpus = tokenizeCorpus(text.text, gpt.tokenizer, { source: text.name });
  const loss = async () => (await gpt.evaluateOn(data.val, { batches: EVAL_BATCHES })).val_loss;
  const before = await loss();
  let after: number | undefined;
  let step = 0;
  let lastSample = 0;
  const adapterParams = Object.values(lora.stateDict()).reduce((n, t) => n + t.size, 0);
  const cfg = gpt.config;

  const lossView = (): GptView => ({ kind: 'finetune', before, after, step, steps });
  const corpusView = (): GptView => ({
    kind: 'corpus',
    name: text.name,
    characters: text.text.length,
    vocabulary: gpt.tokenizer.size,
    tokens: data.train.length + data.val.length,
  });
  const sample = async (): Promise<GptView> => ({
    kind: 'sample',
    text: (await gpt.generate({ tokens: 60, seed: step, temperature: 0.8 })).texts[0],
    step,
  });

  return {
    info: () => ({
      family: 'transformer',
      preset: 'gpt2-lora',
      description: `a GPT-2 checkpoint (${cfg.nLayer} layers, ${cfg.nEmbd} wide, context ${cfg.blockSize}, ${gpt.tokenizer.size} BPE tokens) with LoRA rank ${rank}, alpha ${alpha} on ${lora.targets.length} c_attn weights: ${adapterParams.toLocaleString('en-US')} of ${gpt.net.numParameters().toLocaleString('en-US')} weights train, ${steps} steps at lr ${lr}`,
      parameters: adapterParams,
      config: gpt.config,
      origin: args.origin,
      trainable: step < steps,
      note:
        step < steps
          ? undefined
          : `fine-tuned for ${steps} steps: download the merged model or the adapter; New model starts again from the checkpoint`,
      step,
    }),
    finished: () => step >= steps,
    async train(n) {
      const k = Math.min(n, steps - step);
      const points: [number, number][] = [];
      if (k <= 0) return { loss: points };
      await gpt.fit(data, {
        steps: k,
        lr,
        warmupSteps: Math.min(10, Math.floor(steps / 10)),
        // The cosine decay spans the whole run, not each chunk.
        totalSteps: steps,
        onProgress: (e) => points.push([step + points.length + 1, e.loss]),
      });
      step += k;
      after = undefined;
      return { loss: points };
    },
    async views(when) {
      if (when === 'ready') return [corpusView(), lossView(), await sample()];
      if (when === 'stopped') {
        after = await loss();
        return [lossView(), await sample()];
      }
      // Sampling costs a decoder call per token: at most every 4 s while training.
      if (performance.now() - lastSample < 4000) return [lossView()];
      lastSample = performance.now();
      return [lossView(), await sample()];
    },
    // The page hides Save checkpoint in this mode: merging is asynchronous (see lora-export.ts).
    toFiles: () => {
      throw new Error('use the LoRA downloads: the merged model or the adapter');
    },
    async action(name, a, emit) {
      if (name === 'generate') await streamGeneration(gpt, a as GenerateArgs, emit);
      else if (name === 'export') {
        const what = a as ExportKind;
        const files =
          what === 'adapter' ? adapterFiles(gpt) : await mergedFiles(gpt, args.checkpoint);
        emit({ kind: 'files', what, files });
      }
    },
  };
}
