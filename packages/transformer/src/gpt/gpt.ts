/**
 * GPT: a decoder-only Transformer (character vocabulary, or GPT-2's BPE when read from a
 * GPT-2 directory) bound to a Runtime, with training
 * (AdamW, warmup + cosine, clipping), validation metrics, KV-cache generation, save/load
 * and ONNX export. Built on the runtime's `GenerativeModel` (family 'transformer').
 */
import {
  adamw,
  compileTrainStep,
  type Executable,
  type FamilySampleOptions,
  type FamilySamples,
  type FitResult,
  freezeExcept,
  type ModelSource,
  noDecayOnBiasAndNorm,
  ops,
  Rng,
  type Runtime,
  type TrainStep,
} from '@genmodels/runtime';
import {
  GenerativeModel,
  type LoadedModel,
  type ModelFitOptions,
} from '@genmodels/runtime/internal';
import { BpeTokenizer } from '../bpe/index.js';
import { type ScheduledFitOptions, type ScheduledRun, scheduledFit } from '../schedule.js';
import { type GptConfig, resolveGptConfig } from './config.js';
import { type GptCorpus, readCorpus, type TokenizedCorpus } from './data.js';
import { decoderFn, decoderInputs } from './decoder.js';
import { GptError } from './errors.js';
import { type GenerateOptions, type GenerateResult, generate } from './generate.js';
import type { Gpt2HfConfig } from './gpt2-format.js';
import { type Gpt2LoadOptions, readGpt2, writeGpt2Dir, writeGpt2Tokenizer } from './gpt2-io.js';
import {
  GPT_PARTS,
  type GptFields,
  type GptStored,
  gptOnnx,
  gptStore,
  storedTokenizer,
} from './io.js';
import { type GptLoraOptions, type LoraAdapters, startLora } from './lora.js';
import { GptNetwork } from './network.js';
import { randomWindowLoss, SCORER_INPUTS, scorerFn, streamLoss } from './score.js';
import {
  checkTokenizerSize,
  describeTokenizer,
  type GptTokenizer,
  storeTokenizer,
} from './tokenizer.js';
import { Vocabulary } from './vocab.js';

/**
 * Options of `GPT.fit` (`steps` defaults to the config's; the learning rate follows the
 * config's warmup + cosine schedule). The seed draws the training windows; a later fit
 * with the same seed continues its stream. Progress metrics add `lr`, `grad_norm` and
 * `tokens_per_sec`.
 */
export interface GptFitOptions extends Omit<ModelFitOptions, 'epochs' | 'lr'>, ScheduledFitOptions {
  /** Peak learning rate of this fit (default: the config's `lr`). */
  lr?: number;
  /** Learning rate at the end of the cosine decay (default: the config's `minLr`, at most `lr`). */
  minLr?: number;
  /** Warm-up steps of this fit (default: the config's `warmupSteps`). */
  warmupSteps?: number;
  /** Validation loss on 10 batches of random windows every this many steps, to `onEval`. */
  evalEvery?: number;
  onEval?: (step: number, valLoss: number) => void;
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
export class GPT extends GenerativeModel<GptConfig, GptNetwork, TrainStep, GptFields> {
  readonly family = 'transformer';
  /** Exportable parts: the KV-cache decoder. */
  readonly parts: readonly string[] = GPT_PARTS;
  protected readonly store = gptStore;
  /** Encodes corpora and prompts, decodes generated ids. */
  readonly tokenizer: GptTokenizer;
  /** config.json of the GPT-2 directory this model was read from (kept by `saveGpt2`). */
  hfConfig: Gpt2HfConfig | null = null;
  #lora?: LoraAdapters;
  /** Bumped when the weights change outside training (a LoRA merge): keys of the inference sessions. */
  #weightsVersion = 0;
  #corpus?: GptCorpus;
  #corpusPath: string | null;
  /** Draws the training windows; restarted with each new seed, so a second fit with the same seed continues the stream. */
  #batchRng = new Rng(0);

  constructor(
    rt: Runtime,
    net: GptNetwork,
    tokenizer: GptTokenizer,
    preset = 'custom',
    corpus: GptCorpus | string | null = null,
  ) {
    super(rt, net, preset);
    if (tokenizer instanceof Vocabulary && tokenizer.size !== net.cfg.vocabSize)
      throw new GptError(
        `the vocabulary has ${tokenizer.size} characters but the network's vocabSize is ${net.cfg.vocabSize}`,
      );
    checkTokenizerSize(tokenizer, net.cfg.vocabSize, 'GPT');
    this.tokenizer = tokenizer;
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

  /** The character vocabulary (a character GPT); a BPE GPT has none: see `tokenizer`. */
  get vocab(): Vocabulary {
    if (!(this.tokenizer instanceof Vocabulary))
      throw new GptError(
        'this GPT uses a BPE tokenizer, not a character vocabulary: see gpt.tokenizer',
      );
    return this.tokenizer;
  }

  /**
   * A GPT holding a GPT-2 checkpoint (a Hugging Face directory, a URL base or its files:
   * model.safetensors, config.json, vocab.json, merges.txt), with its BPE tokenizer and the
   * fine-tuning defaults {@link GPT_FINETUNE_DEFAULTS} under `opts.training`.
   *
   * @example const gpt = await GPT.fromGpt2(rt, 'models/gpt2');
   */
  static async fromGpt2(
    rt: Runtime,
    source: ModelSource,
    opts: Gpt2LoadOptions = {},
  ): Promise<GPT> {
    const read = await readGpt2(source, {
      ...opts,
      training: { ...GPT_FINETUNE_DEFAULTS, ...opts.training },
    });
    if (!read.tokenizer)
      throw new GptError(
        `${typeof source === 'string' ? `'${source}'` : 'the GPT-2 files'} has no vocab.json and merges.txt: a GPT-2 model directory needs its tokenizer`,
      );
    let tok: BpeTokenizer;
    try {
      tok = BpeTokenizer.fromGpt2Files(read.tokenizer.vocab, read.tokenizer.merges);
    } catch (e) {
      throw new GptError(`the GPT-2 tokenizer cannot be read: ${(e as Error).message}`);
    }
    const gpt = new GPT(rt, read.net, tok, 'custom', null);
    gpt.hfConfig = read.hfConfig;
    return gpt;
  }

  /**
   * Write the model as a GPT-2 directory (Node.js): model.safetensors in GPT-2 names,
   * config.json (Hugging Face's, keeping the fields of the one read), and, with a BPE
   * tokenizer, vocab.json and merges.txt. LoRA adapters must be merged first (`mergeLora`).
   */
  async saveGpt2(dir: string): Promise<void> {
    this.#noOpenLora('saveGpt2');
    await writeGpt2Dir(dir, this.net, { config: this.hfConfig });
    if (this.tokenizer instanceof BpeTokenizer) await writeGpt2Tokenizer(dir, this.tokenizer);
  }

  /**
   * Fine-tune with LoRA: low-rank adapters on `opts.targets` (default GPT-2's c_attn, our
   * `attn.in_proj_weight`); the next fit updates only them. Call before the first fit.
   * Fine-tuning rates: LoRA takes a higher `lr` (1e-3) than full fine-tuning (1e-4).
   */
  addLora(opts: GptLoraOptions = {}): LoraAdapters {
    if (this.#lora) throw new GptError('addLora: this GPT already has LoRA adapters');
    if (this.#trainOnly)
      throw new GptError(
        'addLora: this GPT fine-tunes the parameters of trainOnly; use one or the other',
      );
    if (this.#stepCompiled)
      throw new GptError(
        'addLora must come before the first fit: the train step is already compiled',
      );
    this.#lora = startLora(this.net, opts);
    return this.#lora;
  }

  /**
   * Partial fine-tuning: the next fit updates only the parameters matching `patterns`
   * (state-dict keys or prefixes such as `'h.3'`, or RegExps; e.g. the last block and the
   * final LayerNorm); the others are frozen (read-only, no optimizer state). Call before the
   * first fit; not together with LoRA. A pattern that matches nothing is a GptError.
   *
   * @example gpt.trainOnly('h.11', 'ln_f'); await gpt.fit(corpus, { steps: 200 });
   */
  trainOnly(...patterns: (string | RegExp)[]): void {
    if (this.#stepCompiled)
      throw new GptError(
        'trainOnly must come before the first fit: the train step is already compiled',
      );
    if (this.#lora)
      throw new GptError('trainOnly: this GPT trains LoRA adapters; use one or the other');
    if (patterns.length === 0) throw new GptError('trainOnly: give at least one name pattern');
    const keys = this.net.namedParameters().map(([k]) => k);
    const unused = patterns.filter((p) => !keys.some((k) => freezeExcept(p)(k)));
    if (unused.length > 0)
      throw new GptError(
        `trainOnly: ${unused.map(String).join(', ')} match no parameter; names are like ${keys.slice(0, 4).join(', ')}, ...`,
      );
    this.#trainOnly = freezeExcept(...patterns);
  }

  #trainOnly?: (name: string) => boolean;

  /** The LoRA adapters added by `addLora` and not merged yet. */
  get lora(): LoraAdapters | undefined {
    return this.#lora;
  }

  /** Fold the LoRA adapters into the weights (W + scale B A); the model is a plain GPT again. */
  mergeLora(): void {
    if (!this.#lora) throw new GptError('mergeLora: this GPT has no LoRA adapters (addLora)');
    this.#lora.merge();
    this.#lora = undefined;
    this.#merged = true;
    this.#weightsVersion++;
  }

  #merged = false;

  #noOpenLora(what: string): void {
    if (this.#lora) throw new GptError(`${what}: merge the LoRA adapters first (gpt.mergeLora())`);
  }

  override async save(dir: string): Promise<void> {
    this.#noOpenLora('save');
    await super.save(dir);
  }

  protected override storedFields(): GptFields {
    return { model: 'gpt', ...storeTokenizer(this.tokenizer), corpus: this.#corpusPath };
  }

  /** What config.json holds. */
  get stored(): GptStored {
    return {
      family: 'transformer',
      preset: this.preset,
      config: this.config,
      ...this.storedFields(),
    };
  }

  /** Minimize next-token cross-entropy on random windows of `corpus.train`. */
  async fit(corpus: GptCorpus, opts: GptFitOptions = {}): Promise<FitResult> {
    if (this.#merged)
      throw new GptError(
        'fit after mergeLora: save the merged model and load it to train it further',
      );
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
    const step = await this.trainSteps(seed);
    const rng = this.#batchRng;
    const lr = opts.lr ?? cfg.lr;
    const schedule = {
      lr,
      minLr: Math.min(opts.minLr ?? cfg.minLr, lr),
      warmupSteps: opts.warmupSteps ?? cfg.warmupSteps,
      steps: cfg.steps,
    };
    const run: ScheduledRun = {
      cfg: schedule,
      next: () => {
        const { x, y } = corpus.train.randomBatch(rng, cfg.batchSize, T);
        return { x, y };
      },
      rate: (e) => ({ tokens_per_sec: e.samplesPerSec * T }),
      evaluate: async (s) => {
        await this.syncWeights(step);
        const valLoss = await this.#randomWindowLoss(corpus.val, seed, 10, cfg.batchSize);
        opts.onEval?.(s, valLoss);
        return { val_loss: valLoss };
      },
    };
    return this.train(step, () => scheduledFit(step, run, opts));
  }

  #checkCorpus(corpus: GptCorpus): void {
    const tok = this.tokenizer;
    const name = `the corpus${corpus.source ? ` '${corpus.source}'` : ''}`;
    if (tok instanceof BpeTokenizer) {
      if (corpus.tokenizer !== tok)
        throw new GptError(
          `${name} was not encoded by this model's ${describeTokenizer(tok)}; build it with tokenizeCorpus(text, gpt.tokenizer) or readCorpus(path, { tokenizer: gpt.tokenizer })`,
        );
      return;
    }
    const same =
      corpus.chars.length === tok.size && corpus.chars.every((c, i) => c === tok.chars[i]);
    if (!same)
      throw new GptError(
        `${name} has a different vocabulary (${corpus.chars.length} characters) from the model's (${tok.size})`,
      );
  }

  protected override onSeed(seed: number): void {
    this.#batchRng = new Rng(seed);
  }

  /**
   * Gradient checkpointing: the train step recomputes each block's forward (`h.0` ...) in
   * the backward pass instead of keeping its activations, for lower peak memory at the cost
   * of about one more forward pass per step; same results bit for bit. Set it before the
   * first `fit` (the step is compiled then).
   */
  get gradientCheckpointing(): boolean {
    return this.#recompute;
  }

  set gradientCheckpointing(on: boolean) {
    if (this.#stepCompiled && on !== this.#recompute)
      throw new GptError(
        'gradientCheckpointing must be set before the first fit: the train step is already compiled',
      );
    this.#recompute = on;
  }

  #recompute = false;
  #stepCompiled = false;

  protected compileSteps(seed: number): Promise<TrainStep> {
    const cfg = this.config;
    const net = this.net;
    const lora = this.#lora;
    this.#stepCompiled = true;
    const shape = [cfg.batchSize, cfg.blockSize];
    return compileTrainStep(this.rt, {
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
      recompute: this.#recompute ? net.h.map((_, i) => `h.${i}`) : undefined,
      // With LoRA only the adapters are updated (and have optimizer state); with trainOnly
      // only the matching parameters. The frozen weights are fed read-only, outside the state.
      trainable: lora ? (k: string) => lora.trainable(k) : this.#trainOnly,
      frozen: lora || this.#trainOnly ? 'fixed' : undefined,
      seed,
    });
  }

  /** The compiled KV-cache decoder (see decoder.ts). */
  decoder(): Promise<Executable> {
    return this.compiled(
      `decoder:${this.#weightsVersion}`,
      decoderInputs(this.config),
      (i, net) => decoderFn(net)(i),
      {
        name: 'gpt_decoder',
      },
    );
  }

  #scorer(): Promise<Executable> {
    return this.compiled(
      `scorer:${this.#weightsVersion}`,
      SCORER_INPUTS,
      (i, net) => scorerFn(net)(i),
      {
        name: 'gpt_scorer',
      },
    );
  }

  async #randomWindowLoss(
    val: TokenizedCorpus,
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
  async evaluateOn(val: TokenizedCorpus, opts: GptEvalOptions = {}): Promise<GptMetrics> {
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
   * Metrics on the validation split (last 10%) of a corpus: `opts.corpus` (a path, or a URL
   * in browsers), else the one in memory after `fit`. A loaded model does not read the path
   * its config.json records: that path is information, and a model directory must not make
   * the loader read an arbitrary file; pass `{ corpus }` (CLI: `eval --corpus PATH`).
   */
  async evaluate(opts: GptEvalOptions & { corpus?: string } = {}): Promise<GptMetrics> {
    let corpus = opts.corpus ? undefined : this.#corpus;
    if (!corpus) {
      const path = opts.corpus;
      if (!path) {
        const recorded = this.#corpusPath
          ? ` (its config.json says it was trained on ${JSON.stringify(this.#corpusPath.slice(0, 200))})`
          : '';
        throw new GptError(
          `evaluate: this model has no corpus in memory${recorded}; pass { corpus: PATH } with the text to evaluate on (CLI: eval --corpus PATH)`,
        );
      }
      corpus = await readCorpus(path, { tokenizer: this.tokenizer });
      this.#checkCorpus(corpus);
      this.#corpus = corpus;
    }
    return this.evaluateOn(corpus.val, opts);
  }

  /** Continue `prompt` (see GenerateOptions; KV cache by default). */
  async generate(opts: GenerateOptions = {}): Promise<GenerateResult> {
    return generate(await this.decoder(), this.config, this.tokenizer, opts);
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

  /**
   * Load what `save` wrote: a directory (Node.js), a URL base (browsers) or the files
   * (`toFiles()`, `modelFilesFromList(input.files)`). GptError / CheckpointError name the
   * file and the problem.
   */
  static async load(rt: Runtime, source: ModelSource): Promise<GPT> {
    return gptFromStore(rt, await gptStore.load(source), source);
  }

  /** 'decoder': the KV-cache decoder (see decoder.ts). */
  protected exportPart(part: string): Uint8Array {
    return gptOnnx(this.net, this.stored, part);
  }
}

/**
 * A GPT from what `gptStore` loaded from `source` (`GPT.load`, and the family's loader,
 * which reads once and then picks the kind of model).
 */
export function gptFromStore(
  rt: Runtime,
  m: LoadedModel<GptNetwork, GptConfig, GptFields>,
  source: ModelSource,
): GPT {
  const tok = storedTokenizer(m.fields, m.cfg, source);
  return new GPT(rt, m.net, tok, m.preset, m.fields.corpus);
}

/**
 * Training fields of a GPT read from a GPT-2 directory: fine-tuning rates (full fine-tuning
 * 1e-4; pass `lr: 1e-3` to a LoRA fit), a short warm-up, small batches, no weight decay.
 */
export const GPT_FINETUNE_DEFAULTS: Readonly<Partial<GptConfig>> = {
  lr: 1e-4,
  minLr: 1e-5,
  warmupSteps: 10,
  betas: [0.9, 0.999],
  weightDecay: 0,
  gradClip: 1,
  batchSize: 8,
  steps: 200,
};

/** Peak learning rates of fine-tuning: all weights, or LoRA adapters only. */
export const FINETUNE_LR = { full: 1e-4, lora: 1e-3 } as const;
