/**
 * The small interface every model family implements (VAE, GAN, Transformer, Flow,
 * Diffusion), so the `genmodels` CLI and the demo app treat all five alike, on Node.js and
 * in browsers: paths there are URLs (read with `fetch`), and a model hands out its files
 * and ONNX exports as bytes (`toFiles`, `onnx`) where nothing can be written.
 */
import type { Device, Runtime } from './exec/runtime.js';
import type { ModelFiles, ModelSource } from './io/model-dir.js';
import type { Tensor } from './tensor.js';
import type { ProgressEvent } from './train/fit.js';

/** A named configuration of a family (architecture + training hyper-parameters). */
export interface FamilyPreset<C = unknown> {
  name: string;
  description: string;
  config: C;
  /** Training length when neither `epochs` nor `steps` is given (e.g. the README's one-minute run). */
  defaultEpochs?: number;
}

export interface FamilyTrainOptions {
  preset: string;
  /** Passes over the training data; or give `steps`. */
  epochs?: number;
  steps?: number;
  seed?: number;
  /** Progress of the training loop; `total` steps when known. */
  onProgress?: (e: ProgressEvent & { total: number | null }) => void;
  signal?: AbortSignal;
  /**
   * Where the family's dataset lives when it is not found by default (e.g. MNIST IDX
   * files): a directory on Node.js, the URL base the files are served from in browsers.
   */
  dataDir?: string;
  /** Text families: path (Node.js) or URL (browsers) of the UTF-8 training corpus (e.g. tiny-shakespeare). */
  corpus?: string;
  /** Text families: the training text itself, instead of `corpus`. */
  corpusText?: string;
  /**
   * The user's own training data instead of the preset's (families whose `trainOptions`
   * list 'data'): a file of points (.csv, .tsv, .npy) for the 2-D presets, a folder of
   * images (PNG, JPEG) for image families that read it. A seeded `valFraction` of it is
   * held out for `evaluate()`.
   */
  data?: string;
  /** The fraction of `data` held out for evaluation (default 0.1). */
  valFraction?: number;
  /** Image families with `data` (a folder of images): the side the images are resized and center-cropped to. */
  imageSize?: number;
  /** Image families with `data`: class labels from the first-level subfolders ('folders') or none. */
  labels?: 'folders' | 'none';
}

/** Where a model's training data came from, as `genmodels train` records it in config.json. */
export interface DataProvenance {
  /** The file (an absolute path on Node.js) or a name. */
  source: string;
  /** The shape of all the data before the split, e.g. [N, 2] for points. */
  shape: number[];
  /** How values were scaled for training ('none' when used as they are). */
  normalization: string;
  /** The held-out split: its fraction and seed, and the rows on each side. */
  split: { valFraction: number; seed: number; trainRows: number; valRows: number };
}

/** Options of `TrainedModel.sample` that only some families use (text generation). */
export interface FamilySampleOptions {
  /** Text to continue (language models) or the input sequence (seq2seq). */
  prompt?: string;
  /** New tokens to generate per sample. */
  tokens?: number;
  /** Softmax temperature (>= 0); 1 samples the model's distribution, 0 always takes the most likely token. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Nucleus sampling: the smallest set of tokens with probability >= topP (1: all). */
  topP?: number;
  /** Each new piece of text as it is generated (of the first sample). */
  onText?: (text: string) => void;
  /** Class-conditional families: the class of every sample (e.g. 7 for "draw a 7"). */
  label?: number;
  /** Iterative samplers (diffusion): number of denoising steps. */
  steps?: number;
  /** Iterative samplers: which sampler (diffusion: 'ddpm' or 'ddim'). */
  sampler?: string;
  /** DDIM stochasticity in [0, 1] (0: deterministic given the starting noise). */
  eta?: number;
  /** Classifier-free guidance weight w >= 0 (class-conditional diffusion). */
  guidance?: number;
}

/** What `sample` returns, by kind of data. */
export type FamilySamples =
  | { kind: 'images'; images: Tensor; range: '01' | '-11' }
  | { kind: 'text'; texts: string[] }
  | { kind: 'points'; points: Tensor; reference?: Tensor };

/** A trained (or loaded) model of a family. */
export interface TrainedModel {
  readonly family: string;
  readonly preset: string;
  /** JSON-serializable model config (written to config.json). */
  readonly config: unknown;
  /**
   * Write `model.safetensors` (and anything else the family needs to load) into `dir`
   * (Node.js; in a browser take {@link TrainedModel.toFiles} instead).
   */
  save(dir: string): Promise<void>;
  /**
   * The files `save` writes, as bytes and text (`model.safetensors`, `config.json`), for a
   * browser to offer as downloads or keep; `ModelFamily.load` reads them back.
   *
   * @example const files = model.toFiles(); const back = await family.load(rt, files);
   */
  toFiles(): ModelFiles;
  sample(n: number, seed: number, opts?: FamilySampleOptions): Promise<FamilySamples>;
  /**
   * Test-set metrics with the snake_case names of the CLI contract (e.g. neg_elbo, recon, kl).
   * `corpus`: text families, the text to evaluate on (a loaded model reads no path its
   * config records); only for families whose `evalOptions` list it.
   */
  evaluate(opts?: FamilyEvalOptions): Promise<Record<string, number>>;
  /**
   * This model's exportable parts, the first being the default, when the family has
   * several kinds of model with different parts; absent: the family's `parts`.
   */
  readonly parts?: readonly string[];
  /** The user's data the model was trained on, when it was (see FamilyTrainOptions.data). */
  readonly data?: DataProvenance;
  /** Export one part (see ModelFamily.parts) as a standalone ONNX file (the bytes of `onnx(part)`). */
  exportOnnx(path: string, part?: string): Promise<void>;
  /**
   * One part (see ModelFamily.parts; default the first) as a standalone ONNX model's bytes:
   * what `exportOnnx` writes, e.g. for `InferenceSession.create(bytes)` or a download.
   */
  onnx(part?: string): Uint8Array;
  /** Extra family-specific pictures written into `dir` (Node.js; e.g. reconstructions.png); returns the file names. */
  pictures?(dir: string, seed: number): Promise<string[]>;
}

/** What `TrainedModel.evaluate` takes. */
export interface FamilyEvalOptions {
  seed?: number;
  /** Text families: the corpus (path or URL) whose validation split is scored. */
  corpus?: string;
  /** Held-out data to score against (a file of points for the 2-D presets). */
  data?: string;
}

export interface ModelFamily {
  readonly name: string;
  readonly description: string;
  readonly presets: Readonly<Record<string, FamilyPreset>>;
  /** Exportable parts, the first being the default (e.g. ['decoder', 'encoder']). */
  readonly parts: readonly string[];
  /**
   * The `FamilySampleOptions` this family's models read (besides `onText`), so a caller
   * can refuse the others instead of ignoring them; absent or empty: none.
   */
  readonly sampleOptions?: readonly Exclude<keyof FamilySampleOptions, 'onText'>[];
  /** The `FamilyTrainOptions` of the user's own data that this family reads; absent: none. */
  readonly trainOptions?: readonly ('data' | 'valFraction' | 'corpus' | 'imageSize' | 'labels')[];
  /** The `FamilyEvalOptions` besides `seed` that this family's models read; absent: none. */
  readonly evalOptions?: readonly Exclude<keyof FamilyEvalOptions, 'seed'>[];
  train(rt: Runtime, opts: FamilyTrainOptions): Promise<TrainedModel>;
  /**
   * Load what `save` wrote (or `toFiles` gave): a directory (Node.js), a URL base
   * (browsers) or the files themselves; a checkpoint of another family is a CheckpointError.
   */
  load(rt: Runtime, source: ModelSource): Promise<TrainedModel>;
}

export type { Device };
