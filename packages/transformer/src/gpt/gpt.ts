/**
 * GPT: a character-level decoder-only Transformer bound to a Runtime, with training
 * (AdamW, warmup + cosine, clipping), validation metrics, KV-cache generation, save/load
 * and ONNX export. Implements the runtime's `TrainedModel` (family 'transformer').
 */
import type { TextCorpus } from '@genmodels/datasets';
import {
  adamw,
  compileInference,
  compileTrainStep,
  cosine,
  describeModelSource,
  type Executable,
  ExecutableCache,
  type FamilySampleOptions,
  type FamilySamples,
  type FitResult,
  fit as fitSteps,
  type ModelDirFiles,
  type ModelSource,
  noDecayOnBiasAndNorm,
  ops,
  type ProgressEvent,
  Rng,
  type Runtime,
  readModelDir,
  type Tensor,
  type TrainedModel,
  type TrainStep,
  writeFileAtomic,
} from '@genmodels/runtime';
import { type GptConfig, resolveGptConfig } from './config.js';
import { type GptCorpus, readCorpus } from './data.js';
import { decoderFn, decoderInputs } from './decoder.js';
import { GptError } from './errors.js';
import { type GenerateOptions, type GenerateResult, generate } from './generate.js';
import {
  checkGptStored,
  GPT_PARTS,
  GPT_READ,
  type GptStored,
  gptFiles,
  gptOnnx,
  writeGpt,
} from './io.js';
import { GptNetwork } from './network.js';
import { randomWindowLoss, SCORER_INPUTS, scorerFn, streamLoss } from './score.js';
import { Vocabulary } from './vocab.js';

/** Options of `GPT.fit`. */
export interface GptFitOptions {
  /** Training steps (default: the config's `steps`). */
  steps?: number;
  /** Horizon of the cosine decay (default: steps taken before plus `steps`). */
  totalSteps?: number;
  /** Seeds the random training windows (default 0); a later fit with the same seed continues its stream. */
  seed?: number;
  /** Progress; metrics add `lr`, `grad_norm` and `tokens_per_sec`. */
  onProgress?: (e: ProgressEvent) => void;
  progressEvery?: number;
  /** Validation loss on `evalBatches` random windows every this many steps, to `onEval`. */
  evalEvery?: number;
  onEval?: (step: number, valLoss: number) => void;
  signal?: AbortSignal;
}

/** Options of `GPT.evaluate` / `evaluateOn`. */
export interface GptEvalOptions {
  /** Seeds the random windows (default 0). */
  seed?: number;
  /** Batches of random windows (default 40, i.e. 1,280 windows at batch 32). */
  batches?: number;
  /** Rows per forward pass (default: the config's batchSize). */
  batchSize?: number;
  /** Stride of the whole-stream pass (default blockSize / 4: every token has >= 3/4 of the block as context). */
  stride?: number;
}

/** Validation figures. */
export interface GptMetrics extends Record<string, number> {
  /** Mean next-token loss in nats over random full-length windows (nanoGPT's estimate). */
  val_loss: number;
  /** Mean loss in nats over every validation token once (see scoringWindows). */
  val_loss_stream: number;
  /** val_loss_stream in bits per character. */
  bpc: number;
  /** Tokens scored by the stream pass. */
  val_tokens: number;
}

/** A GPT bound to a Runtime. */
export class GPT implements TrainedModel {
  readonly family = 'transformer';
  /** Exportable parts: the KV-cache decoder. */
  readonly parts: readonly string[] = GPT_PARTS;
  readonly net: GptNetwork;
  readonly vocab: Vocabulary;
  #corpus?: GptCorpus;
  #corpusPath: string | null;
  #step?: TrainStep;
  #stepSeed = 0;
  /** Draws the training windows; lives as long as the train step, so a second fit continues the stream. */
  #batchRng = new Rng(0);
  /** Compiled inference sessions; cleared when training changes the weights. */
  readonly #exec = new ExecutableCache<string>();

  constructor(
    readonly rt: Runtime,
    net: GptNetwork,
    vocab: Vocabulary,
    readonly preset = 'custom',
    corpus: GptCorpus | string | null = null,
  ) {
    if (vocab.size !== net.cfg.vocabSize)
      throw new GptError(
        `the vocabulary has ${vocab.size} characters but the network's vocabSize is ${net.cfg.vocabSize}`,
      );
    this.net = net;
    this.vocab = vocab;
    if (typeof corpus === 'string') this.#corpusPath = corpus;
    else {
      this.#corpus = corpus ?? undefined;
      this.#corpusPath = corpus?.source ?? null;
    }
  }

  /**
   * A freshly initialized GPT over `vocab` (vocabSize is set from it), seeded.
   *
   * @example const gpt = GPT.create(rt, 'shakespeare-char', { vocab: corpus.chars, seed: 0 });
   */
  static create(
    rt: Runtime,
    config: string | Partial<GptConfig>,
    opts: { vocab: readonly string[]; seed?: number; corpus?: GptCorpus },
  ): GPT {
    const base = resolveGptConfig(config);
    const cfg = resolveGptConfig({ ...base, vocabSize: opts.vocab.length });
    const preset = typeof config === 'string' ? config : 'custom';
    const net = new GptNetwork(cfg, new Rng(opts.seed ?? 0));
    return new GPT(rt, net, new Vocabulary(opts.vocab), preset, opts.corpus ?? null);
  }

  get config(): GptConfig {
    return this.net.cfg;
  }

  /** What config.json holds. */
  get stored(): GptStored {
    return {
      family: 'transformer',
      model: 'gpt',
      preset: this.preset,
      config: this.config,
      vocab: [...this.vocab.chars],
      corpus: this.#corpusPath,
    };
  }

  /** Minimize next-token cross-entropy on random windows of `corpus.train`. */
  async fit(corpus: GptCorpus, opts: GptFitOptions = {}): Promise<FitResult> {
    const cfg = this.config;
    this.#checkCorpus(corpus);
    const T = cfg.blockSize;
    if (corpus.train.length < T + 1)
      throw new GptError(
        `the training split has ${corpus.train.length} tokens; blockSize ${T} needs at least ${T + 1}`,
      );
    this.#corpus = corpus;
    this.#corpusPath = corpus.source ?? this.#corpusPath;
    const seed = opts.seed ?? 0;
    const steps = opts.steps ?? cfg.steps;
    const step = await this.#trainStep(seed);
    const total = opts.totalSteps ?? step.step + steps;
    const lr = cosine(cfg.lr, {
      warmupSteps: cfg.warmupSteps,
      totalSteps: Math.max(total, cfg.warmupSteps + 1),
      minLr: cfg.minLr,
    });
    const rng = this.#batchRng;
    const batches = {
      length: steps,
      *[Symbol.iterator]() {
        for (let i = 0; i < steps; i++) {
          const { x, y } = corpus.train.randomBatch(rng, cfg.batchSize, T);
          yield { x, y };
        }
      },
    };
    const result = await step
      .trainInto(this.net, () =>
        fitSteps(step, batches, {
          steps,
          lr,
          signal: opts.signal,
          progressEvery: opts.progressEvery,
          onProgress:
            opts.onProgress &&
            ((e) =>
              opts.onProgress?.({
                ...e,
                metrics: { ...e.metrics, lr: lr(e.step - 1), tokens_per_sec: e.samplesPerSec * T },
              })),
          evalEvery: opts.evalEvery,
          evaluate: opts.evalEvery
            ? async (s) => {
                await step.syncTo(this.net);
                this.#exec.clear();
                const valLoss = await this.#randomWindowLoss(corpus.val, seed, 10, cfg.batchSize);
                opts.onEval?.(s, valLoss);
                return { val_loss: valLoss };
              }
            : undefined,
        }),
      )
      .finally(() => this.#exec.clear());
    return result;
  }

  #checkCorpus(corpus: GptCorpus): void {
    const same =
      corpus.chars.length === this.vocab.size &&
      corpus.chars.every((c, i) => c === this.vocab.chars[i]);
    if (!same)
      throw new GptError(
        `the corpus${corpus.source ? ` '${corpus.source}'` : ''} has a different vocabulary (${corpus.chars.length} characters) from the model's (${this.vocab.size})`,
      );
  }

  async #trainStep(seed: number): Promise<TrainStep> {
    if (this.#step) {
      // Another seed: fresh batches and noise, same weights and optimizer state (no recompile).
      if (this.#stepSeed !== seed) {
        this.#step.reseed(seed);
        this.#batchRng = new Rng(seed);
      }
      this.#stepSeed = seed;
      return this.#step;
    }
    const cfg = this.config;
    const net = this.net;
    const shape = [cfg.batchSize, cfg.blockSize];
    this.#stepSeed = seed;
    this.#batchRng = new Rng(seed);
    this.#step = await compileTrainStep(this.rt, {
      module: net,
      name: 'gpt_train_step',
      inputs: { x: { dtype: 'int64', shape }, y: { dtype: 'int64', shape } },
      loss: (_p, b) => {
        const pos = ops.arange(b.x.graph, cfg.blockSize);
        return ops.crossEntropy(net.call(b.x, pos).logits, b.y);
      },
      optimizer: adamw({ betas: cfg.betas, weightDecay: cfg.weightDecay }),
      // nanoGPT's rule: decay every parameter of rank >= 2 (Linear weights, in_proj_weight and
      // both embeddings); biases and LayerNorm parameters get none.
      groups: noDecayOnBiasAndNorm,
      clipNorm: cfg.gradClip > 0 ? cfg.gradClip : undefined,
      seed,
    });
    return this.#step;
  }

  /** The compiled KV-cache decoder (see decoder.ts). */
  async decoder(): Promise<Executable> {
    return this.#exec.get('decoder', () =>
      compileInference(this.rt, this.net, decoderInputs(this.config), decoderFn(this.net), {
        name: 'gpt_decoder',
      }),
    );
  }

  async #scorer(): Promise<Executable> {
    return this.#exec.get('scorer', () =>
      compileInference(this.rt, this.net, SCORER_INPUTS, scorerFn(this.net), {
        name: 'gpt_scorer',
      }),
    );
  }

  async #randomWindowLoss(
    val: TextCorpus,
    seed: number,
    batches: number,
    bs: number,
  ): Promise<number> {
    return randomWindowLoss(await this.#scorer(), this.config, val, {
      seed,
      batches,
      batchSize: bs,
    });
  }

  /** Mean loss over every token of `ids` once (windows of scoringWindows), in nats. */
  async streamLoss(
    ids: Int32Array,
    opts: { stride?: number; batchSize?: number } = {},
  ): Promise<{ loss: number; tokens: number }> {
    return streamLoss(await this.#scorer(), this.config, ids, opts);
  }

  /** Validation metrics on `val` (random windows and the whole stream). */
  async evaluateOn(val: TextCorpus, opts: GptEvalOptions = {}): Promise<GptMetrics> {
    if (val.length < 2)
      throw new GptError(`the validation split has ${val.length} tokens; expected at least 2`);
    const bs = opts.batchSize ?? this.config.batchSize;
    const valLoss = await this.#randomWindowLoss(val, opts.seed ?? 0, opts.batches ?? 40, bs);
    const s = await this.streamLoss(val.ids, { stride: opts.stride, batchSize: bs });
    return {
      val_loss: valLoss,
      val_loss_stream: s.loss,
      bpc: s.loss / Math.LN2,
      val_tokens: s.tokens,
    };
  }

  /**
   * Metrics on the validation split (last 10%) of the training corpus: the one in memory
   * after `fit`, else the file recorded in config.json (`corpus`), or `opts.corpus`.
   */
  async evaluate(opts: GptEvalOptions & { corpus?: string } = {}): Promise<GptMetrics> {
    let corpus = opts.corpus ? undefined : this.#corpus;
    if (!corpus) {
      const path = opts.corpus ?? this.#corpusPath;
      if (!path)
        throw new GptError(
          'evaluate: this model knows no corpus; pass { corpus: PATH } (the text it was trained on)',
        );
      corpus = await readCorpus(path);
      this.#checkCorpus(corpus);
      this.#corpus = corpus;
    }
    return this.evaluateOn(corpus.val, opts);
  }

  /** Continue `prompt` (see GenerateOptions; KV cache by default). */
  async generate(opts: GenerateOptions = {}): Promise<GenerateResult> {
    return generate(await this.decoder(), this.config, this.vocab, opts);
  }

  /** `n` continuations of opts.prompt (default: from a newline), opts.tokens new characters each (default 256). */
  async sample(n: number, seed: number, opts: FamilySampleOptions = {}): Promise<FamilySamples> {
    // texts hold the prompt and its continuation; the stream shows the same (onText of
    // generate() gives only new text).
    let head = opts.prompt ?? '';
    const onText = opts.onText;
    const r = await this.generate({
      n,
      seed,
      prompt: opts.prompt,
      tokens: opts.tokens,
      temperature: opts.temperature,
      topK: opts.topK,
      topP: opts.topP,
      onText:
        onText &&
        ((t) => {
          onText(head + t);
          head = '';
        }),
    });
    if (onText && head) onText(head);
    return { kind: 'text', texts: r.texts };
  }

  /** Writes model.safetensors (state dict, family 'transformer', config + vocabulary in metadata) and config.json (Node.js). */
  async save(dir: string): Promise<void> {
    await writeGpt(dir, this.net, this.stored);
  }

  /**
   * The files `save` writes, as bytes and text (e.g. for a browser download);
   * `GPT.load(rt, files)` reads them back.
   */
  toFiles(): ModelDirFiles {
    return gptFiles(this.net, this.stored);
  }

  /**
   * Load what `save` wrote: a directory (Node.js), a URL base (browsers) or the files
   * (`toFiles()`, `modelFilesFromList(input.files)`). GptError / CheckpointError name the
   * file and the problem.
   */
  static async load(rt: Runtime, source: ModelSource): Promise<GPT> {
    const { stored, stateDict } = await readModelDir<GptStored>(source, GPT_READ);
    return gptFromCheckpoint(rt, stored, stateDict, source);
  }

  /** 'decoder' (the KV-cache decoder, see decoder.ts) as a standalone ONNX model's bytes. */
  onnx(part = 'decoder'): Uint8Array {
    return gptOnnx(this.net, this.stored, part);
  }

  /** Write `onnx(part)` to `path` (Node.js). */
  async exportOnnx(path: string, part = 'decoder'): Promise<void> {
    const bytes = this.onnx(part);
    await writeFileAtomic(path, bytes, (why) => new GptError(`cannot write '${path}': ${why}`));
  }
}

/**
 * A GPT from what a checkpoint read from `source` holds (`GPT.load`, and the family's
 * loader, which reads once and then picks the kind of model).
 */
export function gptFromCheckpoint(
  rt: Runtime,
  stored: Partial<GptStored> | null,
  stateDict: Record<string, Tensor>,
  source: ModelSource,
): GPT {
  const s = checkGptStored(stored, source);
  const net = new GptNetwork(s.config, new Rng(0));
  try {
    net.loadStateDict(stateDict);
  } catch (e) {
    throw new GptError(
      `${describeModelSource(source)}: model.safetensors does not match its config: ${(e as Error).message}`,
    );
  }
  return new GPT(rt, net, new Vocabulary(s.vocab), s.preset, s.corpus);
}
