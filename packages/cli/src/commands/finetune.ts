/**
 * `genmodels finetune transformer --from-pytorch DIR --corpus FILE`: read a GPT-2 model
 * directory (PyTorch / Hugging Face names and tokenizer files), fine-tune it on a text (all
 * weights, or LoRA adapters that are merged at the end), and write a run directory as
 * `train` does, with the validation loss before and after in metrics.json.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  CONFIG_FILE,
  LORA_CONFIG_FILE,
  LORA_MODEL_FILE,
  MODEL_FILE,
  VERSION,
} from '@genmodels/runtime';
import { FINETUNE_LR, GPT, readCorpus, saveGpt2LoraAdapters } from '@genmodels/transformer';
import type { RunConfig } from '../checkpoint.js';
import { type CliContext, getFamily, makeRuntime } from '../common.js';
import { CheckpointDirError, UsageError } from '../errors.js';
import { ensureWritableDir, writeJson } from '../fsio.js';
import { createProgress } from '../progress.js';
import { recoverRunDir, type StagedRun, stageRunDir } from '../rundir.js';
import { finetuneDiffusionInto } from './finetune-diffusion.js';
import { checkReplaces } from './train.js';

/** Options of `finetune` as commander parses them. */
export interface FinetuneArgs {
  /** A GPT-2 model directory (model.safetensors, config.json, vocab.json, merges.txt). */
  fromPytorch: string;
  corpus?: string;
  /** The same as `corpus` (the transformer's --data). */
  data?: string;
  /** LoRA adapters of this rank; absent: all weights are fine-tuned. */
  loraRank?: number;
  loraAlpha?: number;
  loraDropout?: number;
  steps: number;
  lr?: number;
  batchSize?: number;
  gradientCheckpointing?: boolean;
  /** Partial fine-tuning: comma-separated parameter names or module prefixes (e.g. 'h.11,ln_f'). */
  trainOnly?: string;
  seed: number;
  device: string;
  verbose?: boolean;
  threads?: number;
  out?: string;
  force?: boolean;
}

/** The run directory's folder of PEFT adapter files (LoRA runs). */
const ADAPTER_DIR = 'adapter';

/** Validation batches of random windows for the before/after losses. */
const EVAL_BATCHES = 10;

/** Run `finetune`; returns the exit code. */
export async function finetuneCommand(
  ctx: CliContext,
  name: string,
  args: FinetuneArgs,
): Promise<number> {
  const family = getFamily(ctx, name);
  if (family.name === 'diffusion') return finetuneDiffusion(ctx, args);
  if (family.name !== 'transformer')
    throw new UsageError(
      `${family.name} cannot be fine-tuned from a PyTorch checkpoint; finetune supports: transformer (GPT-2), diffusion (diffusers UNet2DModel)`,
    );
  if (args.corpus !== undefined && args.data !== undefined)
    throw new UsageError('give --data or --corpus, not both');
  const corpusArg = args.corpus ?? args.data;
  if (corpusArg === undefined)
    throw new UsageError('finetune transformer needs the text to fine-tune on: --corpus FILE');
  if (
    args.loraRank === undefined &&
    (args.loraAlpha !== undefined || args.loraDropout !== undefined)
  )
    throw new UsageError('--lora-alpha and --lora-dropout go with --lora-rank N');
  const from = await checkSourceDir(
    args.fromPytorch,
    'a GPT-2 model directory (model.safetensors, config.json, vocab.json, merges.txt)',
  );
  const outArg = args.out ?? join('out', 'transformer-finetune');
  if (outArg.trim() === '') throw new UsageError('the output directory is empty; give a path');
  const dir = resolve(outArg);
  await ensureWritableDir(dirname(dir));
  await recoverRunDir(dir);
  await checkReplaces(dir, family.name, args.force ?? false);
  const rt = await makeRuntime(args.device, args.threads, args.verbose);
  const stage = await stageRunDir(dir);
  try {
    return await finetuneInto(
      ctx,
      { ...args, fromPytorch: from, corpus: resolve(corpusArg) },
      rt,
      stage,
    );
  } catch (e) {
    await stage.discard();
    throw e;
  }
}

/** `finetune diffusion`: a diffusers UNet2DModel directory and a folder of images. */
async function finetuneDiffusion(ctx: CliContext, args: FinetuneArgs): Promise<number> {
  if (args.corpus !== undefined)
    throw new UsageError('finetune diffusion reads a folder of images: --data DIR, not --corpus');
  if (args.data === undefined)
    throw new UsageError('finetune diffusion needs the images to fine-tune on: --data DIR');
  for (const [flag, v] of [
    ['--lora-rank', args.loraRank],
    ['--lora-alpha', args.loraAlpha],
    ['--lora-dropout', args.loraDropout],
    ['--gradient-checkpointing', args.gradientCheckpointing],
    ['--train-only', args.trainOnly],
  ] as const)
    if (v !== undefined)
      throw new UsageError(
        `finetune diffusion fine-tunes all weights; ${flag} is for finetune transformer`,
      );
  const from = await checkSourceDir(
    args.fromPytorch,
    'a diffusers UNet2DModel directory (diffusion_pytorch_model.safetensors, config.json)',
  );
  const dir = resolve(args.out ?? join('out', 'diffusion-finetune'));
  await ensureWritableDir(dirname(dir));
  await recoverRunDir(dir);
  await checkReplaces(dir, 'diffusion', args.force ?? false);
  const rt = await makeRuntime(args.device, args.threads, args.verbose);
  const stage = await stageRunDir(dir);
  try {
    return await finetuneDiffusionInto(
      ctx,
      { ...args, fromPytorch: from, data: resolve(args.data) },
      rt,
      stage,
    );
  } catch (e) {
    await stage.discard();
    throw e;
  }
}

/** `--from-pytorch` resolved, as an existing directory (else a CheckpointDirError naming `what`). */
async function checkSourceDir(path: string, what: string): Promise<string> {
  const from = resolve(path);
  const s = await stat(from).catch(() => null);
  if (!s) throw new CheckpointDirError(`--from-pytorch '${from}' does not exist`);
  if (!s.isDirectory())
    throw new CheckpointDirError(`--from-pytorch '${from}' is not a directory; expected ${what}`);
  return from;
}

async function finetuneInto(
  ctx: CliContext,
  args: FinetuneArgs & { corpus: string },
  rt: Awaited<ReturnType<typeof makeRuntime>>,
  stage: StagedRun,
): Promise<number> {
  const training = args.batchSize === undefined ? {} : { batchSize: args.batchSize };
  const gpt = await GPT.fromGpt2(rt, args.fromPytorch, { training });
  const corpus = await readCorpus(args.corpus, { tokenizer: gpt.tokenizer });
  const cfg = gpt.config;
  if (corpus.train.length < cfg.blockSize + 1)
    throw new UsageError(
      `the corpus '${args.corpus}' has ${corpus.train.length} training tokens; the model's context of ${cfg.blockSize} needs at least ${cfg.blockSize + 1}`,
    );
  gpt.gradientCheckpointing = args.gradientCheckpointing ?? false;
  const lora =
    args.loraRank === undefined
      ? null
      : {
          rank: args.loraRank,
          alpha: args.loraAlpha ?? args.loraRank,
          dropout: args.loraDropout ?? 0,
        };
  if (lora) gpt.addLora({ ...lora, seed: args.seed });
  const only = args.trainOnly
    ?.split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (only !== undefined) {
    if (lora)
      throw new UsageError('--train-only fine-tunes some weights; it does not go with --lora-rank');
    if (only.length === 0)
      throw new UsageError('--train-only needs parameter names, e.g. h.11,ln_f');
    gpt.trainOnly(...only);
  }
  const lr = args.lr ?? (lora ? FINETUNE_LR.lora : FINETUNE_LR.full);
  const evalOpts = { seed: args.seed, batches: EVAL_BATCHES };
  const before = await gpt.evaluateOn(corpus.val, evalOpts);
  const how = lora
    ? `LoRA rank ${lora.rank}, alpha ${lora.alpha}`
    : only
      ? `only ${only.join(', ')}`
      : 'all weights';
  ctx.stdout.write(
    `fine-tuning ${cfg.nLayer}-layer GPT-2 (${how}) from ${args.fromPytorch} on ${corpus.train.length} tokens: ${args.steps} steps, lr ${lr}, batch ${cfg.batchSize} x ${cfg.blockSize}, seed ${args.seed}, ${args.device}\n`,
  );
  ctx.stdout.write(`val_loss before: ${before.val_loss.toFixed(4)}\n`);

  const progress = createProgress(ctx.stdout, ctx.progressIntervalMs);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let tokensPerSec = 0;
  const t0 = performance.now();
  try {
    await gpt.fit(corpus, {
      steps: args.steps,
      lr,
      seed: args.seed,
      signal: abort.signal,
      progressEvery: 1,
      onProgress: (e) => {
        tokensPerSec = e.metrics?.tokens_per_sec ?? tokensPerSec;
        progress.update({ ...e, total: args.steps });
      },
    });
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    progress.done();
    process.removeListener('SIGINT', onSigint);
  }
  const seconds = (performance.now() - t0) / 1000;
  ctx.stdout.write(
    `fine-tuned in ${seconds.toFixed(1)} s${abort.signal.aborted ? ' (interrupted)' : ''}\n`,
  );
  // The adapters on their own too, in PEFT's files (PeftModel.from_pretrained reads them).
  const adapters = gpt.lora;
  if (adapters) await saveGpt2LoraAdapters(join(stage.path, ADAPTER_DIR), gpt.net, adapters);
  if (lora) gpt.mergeLora();
  const after = await gpt.evaluateOn(corpus.val, evalOpts);
  ctx.stdout.write(`val_loss after: ${after.val_loss.toFixed(4)}\n`);

  const tmp = stage.path;
  await gpt.save(tmp);
  const run: RunConfig = {
    ...gpt.stored,
    family: 'transformer',
    preset: gpt.preset,
    seed: args.seed,
    device: args.device,
    epochs: null,
    steps: args.steps,
    runtime: VERSION,
    corpus: args.corpus,
    finetuned_from: args.fromPytorch,
    lora: lora ?? null,
    train_only: only ?? null,
    lr,
    config: gpt.config,
  };
  await writeJson(join(tmp, CONFIG_FILE), run);
  const metrics = {
    ...after,
    val_loss_before: before.val_loss,
    val_loss_after: after.val_loss,
    val_loss_stream_before: before.val_loss_stream,
    tokens_per_sec: tokensPerSec,
  };
  await writeJson(join(tmp, 'metrics.json'), metrics);
  await stage.commit();
  const files = [MODEL_FILE, CONFIG_FILE, 'metrics.json'];
  if (adapters) files.push(join(ADAPTER_DIR, LORA_MODEL_FILE), join(ADAPTER_DIR, LORA_CONFIG_FILE));
  ctx.stdout.write(`metrics: ${JSON.stringify(metrics)}\n`);
  ctx.stdout.write(
    `wrote to ${stage.dir}:\n${files.map((f) => `  ${join(stage.dir, f)}\n`).join('')}`,
  );
  return 0;
}
