/**
 * Messages between a family page and its training Web Worker. Generic over the family's
 * view type `V` (what it draws: samples, a density grid, text, ...). Nothing here imports
 * a model package, so the page's own bundle stays free of model code.
 */

export type Device = 'wasm' | 'webgpu';

/** A preset the page offers; the worker owns the configs. */
export interface PresetInfo {
  name: string;
  description: string;
}

/** What the page shows about the current model. */
export interface ModelInfo {
  family: string;
  preset: string;
  description: string;
  /** Trainable parameters. */
  parameters: number;
  /** The model config, as stored in config.json. */
  config: unknown;
  /** Where the model came from: 'preset' (fresh) or the loaded file names. */
  origin: string;
  /** Whether `train` can continue this model here (false e.g. for a GPT without its corpus). */
  trainable: boolean;
  /** Why not, when `trainable` is false. */
  note?: string;
  /** Training steps taken so far. */
  step: number;
  /** The user's own data this model trains on (absent: the page's built-in data). */
  data?: DataSummary;
}

/** What a user can give a page: a folder (or files) of PNG/JPEG images, or a CSV/TSV table of 2-D points. */
export type DataKind = 'images' | 'points';

/** A file the page was given (dropped or picked), with its path inside what was given (`cat/001.png`). */
export interface DataFile {
  path: string;
  file: File;
}

/** The user's own data, as the page hands it to the worker (read there, with @genmodels/datasets). */
export interface DataRequest {
  kind: DataKind;
  files: DataFile[];
  /** What was given, for messages and provenance: a folder or file name, or 'N files'. */
  source: string;
  /** Images: the side S they are resized and center-cropped to ([C, S, S]). */
  imageSize?: number;
}

/** Per kind: true when the family trains on it here, else why not (shown when such data is given). */
export type OwnDataSupport = Record<DataKind, true | string>;

/** What the page shows about the user's data a model trains on. */
export interface DataSummary {
  kind: DataKind;
  source: string;
  /** [N, C, S, S] images or [N, 2] points. */
  shape: number[];
  /** Rows trained on and held out (a seeded tenth, as the CLI's --val-fraction 0.1). */
  trainRows: number;
  valRows: number;
  batchSize: number;
  /** What the reader noted (ignored files, channels, standardization). */
  notes: string[];
}

/** The runtime a worker set up. */
export interface RuntimeInfo {
  device: Device;
  threads: number;
  crossOriginIsolated: boolean;
}

export type ToWorker =
  /** First message: the device, and the URL prefix of onnxruntime-web's .wasm/.mjs files. */
  | { type: 'init'; device: Device; wasmPaths: string; dataUrl: string }
  /** A fresh model of `preset`; `extra` is family-specific (e.g. the GPT's own text). */
  | { type: 'create'; preset: string; seed: number; extra?: unknown }
  /** Start or resume training. */
  | { type: 'train' }
  /** Stop after the current chunk of steps. */
  | { type: 'stop' }
  /** Send the model's files (model.safetensors, config.json). */
  | { type: 'save' }
  /** Load a model from files (a .safetensors and optionally its config.json). */
  | { type: 'load'; files: File[] }
  /**
   * Train on the user's own data from now on (`request`; null: back to the page's built-in
   * data): read it, then a fresh model of `preset` on it. Later `create`s keep using it.
   */
  | { type: 'data'; preset: string; seed: number; request: DataRequest | null }
  /** A family-specific request (e.g. 'generate' text, 'pair' for a new interpolation). */
  | { type: 'action'; name: string; args?: unknown };

/** Loss-like series: name -> [step, value] points. */
export type Series = Record<string, [number, number][]>;

export type FromWorker<V> =
  | {
      type: 'hello';
      presets: PresetInfo[];
      defaultPreset: string;
      runtime: RuntimeInfo;
      /** Which of the user's own data the family trains on; null: none (no drop zone). */
      ownData: OwnDataSupport | null;
    }
  | { type: 'ready'; info: ModelInfo }
  /** The same model, described anew (e.g. it became trainable). */
  | { type: 'info'; info: ModelInfo }
  | { type: 'state'; state: 'idle' | 'training' | 'busy' }
  | { type: 'progress'; step: number; series: Series; stepsPerSec: number }
  | { type: 'view'; view: V }
  | { type: 'files'; files: { name: string; data: Uint8Array | string }[] }
  | { type: 'error'; message: string };
