/**
 * Seq2seq: the encoder-decoder Transformer bound to a Runtime and a synthetic task, with
 * training (AdamW, warmup + cosine, clipping), held-out metrics, greedy and beam
 * decoding, save/load and ONNX export. Built on the runtime's `GenerativeModel`
 * (family 'transformer').
 */
import type { Seq2seqTask } from '@genmodels/datasets';
import {
  adamw,
  compileTrainStep,
  type Executable,
  type FamilySampleOptions,
  type FamilySamples,
  type FitResult,
  type ModelSource,
  noDecayOnBiasAndNorm,
  ops,
  Rng,
  type Runtime,
  type Tensor,
  type TrainStep,
} from '@genmodels/runtime';
import {
  describeModelSource,
  GenerativeModel,
  type LoadedModel,
  type ModelFitOptions,
} from '@genmodels/runtime/internal';
import { type ScheduledFitOptions, type ScheduledRun, scheduledFit } from '../schedule.js';
import {
  checkTaskSpec,
  resolveSeq2seqConfig,
  type Seq2seqConfig,
  type Seq2seqTaskSpec,
  seq2seqPreset,
} from './config.js';
import {
  type BeamOptions,
  BOS,
  beamDecode,
  greedyDecode,
  type Hypothesis,
  type NextTokenFn,
} from './decode.js';
import { Seq2seqModelError } from './errors.js';
import { padIds, partFn, partInputs, SEQ2SEQ_PARTS, type Seq2seqPart } from './graphs.js';
import { type Seq2seqFields, type Seq2seqStored, seq2seqOnnx, seq2seqStore } from './io.js';
import { exactMatch, targetNll } from './metrics.js';
import { PAD, Seq2seqNetwork } from './network.js';
import { checkTaskFits, openTask, TokenText, taskTokens } from './task.js';

/**
 * Options of `Seq2seq.fit` (`steps` defaults to the config's; the learning rate follows
 * the config's warmup + cosine schedule). The seed draws the training examples; a later
 * fit with the same seed continues the stream. Progress metrics add `lr` and
 * `examples_per_sec`.
 */
export interface Seq2seqFitOptions
  extends Omit<ModelFitOptions, 'epochs' | 'lr'>,
    ScheduledFitOptions {
  /** Held-out metrics (`evaluate({ examples: 256 })`) every this many steps, to `onEval`. */
  evalEvery?: number;
  onEval?: (step: number, metrics: Seq2seqMetrics) => void;
}

/** Options of `Seq2seq.evaluate`. */
export interface Seq2seqEvalOptions {
  /** Seeds the held-out draw (default 0). */
  seed?: number;
  /** Held-out examples (default 1000). */
  examples?: number;
  /** Score the task's 'test' split (default: held-out sources) or its 'train' split. */
  split?: 'train' | 'test';
  /** Also decode with beams of this width and report `beam_exact_match` (default: greedy only). */
  beam?: number;
  lengthPenalty?: number;
}

/** Held-out figures. */
export interface Seq2seqMetrics extends Record<string, number> {
  /** Mean cross-entropy in nats per target token, EOS included (teacher forcing). */
  val_loss: number;
  /** Share of examples whose greedy decoding equals the target exactly. */
  exact_match: number;
  /** Examples scored. */
  val_examples: number;
}

/** Options of decoding: greedy by default, beam search with `beam` > 1 (or = 1). */
export interface Seq2seqDecodeOptions extends Partial<BeamOptions> {
  /** Each decoded token of example 0 (greedy only). */
  onToken?: (token: number) => void;
}

/** Examples per encoder/decoder batch while decoding and scoring. */
const CHUNK = 256;

/** An encoder-decoder Transformer bound to a Runtime and a task. */
export class Seq2seq extends GenerativeModel<
  Seq2seqConfig,
  Seq2seqNetwork,
  TrainStep,
  Seq2seqFields
> {
  readonly family = 'transformer';
  /** Exportable parts, 'model' (src, tgt_in -> logits) first. */
  readonly parts: readonly string[] = SEQ2SEQ_PARTS;
  protected readonly store = seq2seqStore;
  readonly text: TokenText;
  /** The training example stream; restarted with each new seed, so a second fit with the same seed continues it. */
  #train?: Seq2seqTask;

  constructor(
    rt: Runtime,
    net: Seq2seqNetwork,
    readonly task: Seq2seqTaskSpec,
    tokens: readonly string[],
    preset = 'custom',
  ) {
    super(rt, net, preset);
    checkTaskFits(task, net.cfg, tokens.length);
    this.text = new TokenText(tokens);
  }

  /**
   * A freshly initialized model for a preset, or a config over a task, seeded.
   *
   * @example const m = await Seq2seq.create(rt, 'seq2seq-reverse', { seed: 0 });
   */
  static async create(
    rt: Runtime,
    preset: string | { config?: Partial<Seq2seqConfig>; task: Seq2seqTaskSpec },
    opts: { seed?: number } = {},
  ): Promise<Seq2seq> {
    const p = typeof preset === 'string' ? seq2seqPreset(preset) : undefined;
    const task = p ? p.task : (preset as { task: Seq2seqTaskSpec }).task;
    checkTaskSpec(task);
    const tokens = await taskTokens(task);
    const cfg = p
      ? resolveSeq2seqConfig(p.name)
      : resolveSeq2seqConfig({
          vocabSize: tokens.length,
          ...(preset as { config?: Partial<Seq2seqConfig> }).config,
        });
    const net = new Seq2seqNetwork(cfg, new Rng(opts.seed ?? 0));
    return new Seq2seq(rt, net, task, tokens, p?.name ?? 'custom');
  }

  protected override storedFields(): Seq2seqFields {
    return { model: 'seq2seq', task: this.task, tokens: [...this.text.tokens] };
  }

  /** What config.json holds. */
  get stored(): Seq2seqStored {
    return {
      family: 'transformer',
      preset: this.preset,
      config: this.config,
      ...this.storedFields(),
    };
  }

  /** Minimize cross-entropy (PAD targets ignored) on fresh examples of the task's training split. */
  async fit(opts: Seq2seqFitOptions = {}): Promise<FitResult> {
    const cfg = this.config;
    const seed = opts.seed ?? 0;
    const step = await this.trainSteps(seed);
    const task = this.#train as Seq2seqTask;
    const shape = { srcLen: cfg.maxSrcLen, tgtLen: cfg.maxTgtLen };
    const run: ScheduledRun = {
      cfg,
      next: () => {
        const { src, tgtIn, tgtOut } = task.batch(cfg.batchSize, shape);
        return { src, tgt_in: tgtIn, tgt_out: tgtOut };
      },
      rate: (e) => ({ examples_per_sec: e.samplesPerSec }),
      evaluate: async (s) => {
        await this.syncWeights(step);
        const m = await this.evaluate({ seed, examples: 256 });
        opts.onEval?.(s, m);
        return m;
      },
    };
    return this.train(step, () => scheduledFit(step, run, opts));
  }

  protected override async onSeed(seed: number): Promise<void> {
    this.#train = await openTask(this.task, 'train', seed);
  }

  protected compileSteps(seed: number): Promise<TrainStep> {
    const cfg = this.config;
    const net = this.net;
    const src = { dtype: 'int64', shape: [cfg.batchSize, cfg.maxSrcLen] } as const;
    const tgt = { dtype: 'int64', shape: [cfg.batchSize, cfg.maxTgtLen] } as const;
    return compileTrainStep(this.rt, {
      module: net,
      name: 'seq2seq_train_step',
      inputs: { src, tgt_in: tgt, tgt_out: tgt },
      loss: (_p, b) => ops.crossEntropy(net.call(b.src, b.tgt_in), b.tgt_out, { ignoreIndex: 0 }),
      optimizer: adamw({ betas: cfg.betas, weightDecay: cfg.weightDecay }),
      groups: noDecayOnBiasAndNorm,
      clipNorm: cfg.gradClip > 0 ? cfg.gradClip : undefined,
      seed,
    });
  }

  /** The compiled graph `part` (see graphs.ts), cached until the weights change. */
  graph(part: Seq2seqPart): Promise<Executable> {
    return this.compiled(part, partInputs(this.config, part), (i, net) => partFn(net, part)(i), {
      name: `seq2seq_${part}`,
    });
  }

  /** Teacher-forced logits [B, T, vocab] for sources and decoder inputs (BOS first), PAD-padded. */
  async logits(
    sources: readonly ArrayLike<number>[],
    tgtIn: readonly ArrayLike<number>[],
  ): Promise<Tensor> {
    this.#checkSources(sources);
    const out = await (await this.graph('model')).runHost({
      src: padIds(sources),
      tgt_in: padIds(tgtIn),
    });
    return out.logits;
  }

  #checkSources(sources: readonly ArrayLike<number>[]): void {
    const { maxSrcLen, vocabSize } = this.config;
    sources.forEach((s, i) => {
      if (s.length < 1) throw new Seq2seqModelError(`source ${i} is empty`);
      if (s.length > maxSrcLen)
        throw new Seq2seqModelError(
          `source ${i} has ${s.length} tokens but the model's maxSrcLen is ${maxSrcLen}`,
        );
      for (const id of Array.from(s))
        if (!(Number.isInteger(id) && id >= 3 && id < vocabSize))
          throw new Seq2seqModelError(
            `source ${i} holds id ${id}, outside the vocabulary's symbol ids 3..${vocabSize - 1}`,
          );
    });
  }

  /**
   * Decode source id sequences (without BOS/EOS/PAD): greedy, or beam search with
   * `opts.beam`. The encoder runs once per source; decoding is batched over sources.
   * PAD and BOS are excluded from the predictions (log-probabilities are renormalized
   * over the other ids).
   */
  async decode(
    sources: readonly ArrayLike<number>[],
    opts: Seq2seqDecodeOptions = {},
  ): Promise<Hypothesis[]> {
    this.#checkSources(sources);
    const out: Hypothesis[] = [];
    for (let i = 0; i < sources.length; i += CHUNK) {
      const chunk = sources.slice(i, i + CHUNK);
      const next = await this.#nextToken(chunk);
      const maxLen = this.config.maxTgtLen;
      const onToken = i === 0 && opts.onToken;
      const hyps =
        opts.beam === undefined
          ? await greedyDecode(
              next,
              chunk.length,
              maxLen,
              onToken ? (ex, t) => ex === 0 && onToken(t) : undefined,
            )
          : await beamDecode(next, chunk.length, maxLen, {
              beam: opts.beam,
              lengthPenalty: opts.lengthPenalty,
            });
      out.push(...hyps);
    }
    return out;
  }

  /** Encode `sources` once; the returned function runs the decoder over prefixes. */
  async #nextToken(sources: readonly ArrayLike<number>[]): Promise<NextTokenFn> {
    const src = padIds(sources);
    const memory = (await (await this.graph('encoder')).runHost({ src })).memory;
    const decoder = await this.graph('decoder');
    const V = this.config.vocabSize;
    return async (prefixes, examples) => {
      const len = prefixes[0].length;
      const out = await decoder.runHost({
        memory: memory.takeRows(examples),
        src: src.takeRows(examples),
        tgt_in: padIds(prefixes),
      });
      const logits = out.logits.data as Float32Array;
      return prefixes.map((_, r) => {
        const last = logits.slice((r * len + len - 1) * V, (r * len + len) * V);
        // PAD and BOS are never predicted: decoding renormalizes over the other ids.
        last[PAD] = Number.NEGATIVE_INFINITY;
        last[BOS] = Number.NEGATIVE_INFINITY;
        return last;
      });
    };
  }

  /** Decode source texts (e.g. '3172' or '123+989'); returns the predicted target texts. */
  async translate(sources: readonly string[], opts: Seq2seqDecodeOptions = {}): Promise<string[]> {
    const ids = sources.map((s, i) => this.text.parse(s, `source ${i}`));
    return (await this.decode(ids, opts)).map((h) => this.text.format(h.tokens));
  }

  /**
   * Metrics on the task's test split (sources never seen in training; `split: 'train'`
   * scores fresh draws of the training split instead).
   */
  async evaluate(opts: Seq2seqEvalOptions = {}): Promise<Seq2seqMetrics> {
    const n = opts.examples ?? 1000;
    if (!(Number.isInteger(n) && n >= 1))
      throw new Seq2seqModelError(`examples (${n}) must be a positive integer`);
    const split = opts.split ?? 'test';
    if (split !== 'train' && split !== 'test')
      throw new Seq2seqModelError(`split '${String(split)}' must be 'train' or 'test'`);
    const examples = (await openTask(this.task, split, opts.seed ?? 0)).take(n);
    const sources = examples.map((e) => e.src);
    const { nll, tokens } = await targetNll((x, y) => this.logits(x, y), examples, CHUNK);
    const m: Seq2seqMetrics = {
      val_loss: nll / tokens,
      exact_match: exactMatch(await this.decode(sources), examples),
      val_examples: n,
    };
    if (opts.beam !== undefined)
      m.beam_exact_match = exactMatch(
        await this.decode(sources, { beam: opts.beam, lengthPenalty: opts.lengthPenalty }),
        examples,
      );
    return m;
  }

  /**
   * `n` held-out sources drawn with `seed`, decoded greedily: texts 'src -> prediction'.
   * With `opts.prompt` (a source such as '3172' or '123+989') only that source is decoded.
   * `opts.onText` streams the first text as it is decoded.
   */
  async sample(n: number, seed: number, opts: FamilySampleOptions = {}): Promise<FamilySamples> {
    for (const k of ['tokens', 'temperature', 'topK', 'topP', 'label'] as const) {
      if (opts[k] !== undefined)
        throw new Seq2seqModelError(
          `sample: a seq2seq model decodes greedily to EOS and takes no ${k}; give a prompt (the source) or nothing`,
        );
    }
    let sources: number[][];
    if (opts.prompt !== undefined) sources = [this.text.parse(opts.prompt, 'prompt')];
    else {
      if (!(Number.isInteger(n) && n >= 1))
        throw new Seq2seqModelError(`n (${n}) must be a positive integer`);
      sources = (await openTask(this.task, 'test', seed)).take(n).map((e) => Array.from(e.src));
    }
    this.#checkSources(sources);
    const head = `${this.text.format(sources[0])} -> `;
    opts.onText?.(head);
    const hyps = await this.decode(sources, {
      onToken: opts.onText && ((t) => opts.onText?.(this.text.format([t]))),
    });
    return {
      kind: 'text',
      texts: hyps.map((h, i) => `${this.text.format(sources[i])} -> ${this.text.format(h.tokens)}`),
    };
  }

  /**
   * Load what `save` wrote: a directory (Node.js), a URL base (browsers) or the files
   * (`toFiles()`, `modelFilesFromList(input.files)`). Seq2seqModelError / CheckpointError
   * name the file and the problem.
   */
  static async load(rt: Runtime, source: ModelSource): Promise<Seq2seq> {
    return seq2seqFromStore(rt, await seq2seqStore.load(source), source);
  }

  /** 'model' (src, tgt_in -> logits), 'encoder' or 'decoder' (see graphs.ts). */
  protected exportPart(part: string): Uint8Array {
    return seq2seqOnnx(this.net, this.stored, part);
  }
}

/**
 * A seq2seq model from what `seq2seqStore` loaded from `source` (`Seq2seq.load`, and the
 * family's loader, which reads once and then picks the kind of model).
 */
export function seq2seqFromStore(
  rt: Runtime,
  m: LoadedModel<Seq2seqNetwork, Seq2seqConfig, Seq2seqFields>,
  source: ModelSource,
): Seq2seq {
  const { tokens, task } = m.fields;
  if (tokens.length !== m.cfg.vocabSize)
    throw new Seq2seqModelError(
      `${describeModelSource(source)}: the token list has ${tokens.length} entries but vocabSize is ${m.cfg.vocabSize}`,
    );
  return new Seq2seq(rt, m.net, task, tokens, m.preset);
}
