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
  /** A family-specific request (e.g. 'generate' text, 'pair' for a new interpolation). */
  | { type: 'action'; name: string; args?: unknown };

/** Loss-like series: name -> [step, value] points. */
export type Series = Record<string, [number, number][]>;

export type FromWorker<V> =
  | { type: 'hello'; presets: PresetInfo[]; defaultPreset: string; runtime: RuntimeInfo }
  | { type: 'ready'; info: ModelInfo }
  /** The same model, described anew (e.g. it became trainable). */
  | { type: 'info'; info: ModelInfo }
  | { type: 'state'; state: 'idle' | 'training' | 'busy' }
  | { type: 'progress'; step: number; series: Series; stepsPerSec: number }
  | { type: 'view'; view: V }
  | { type: 'files'; files: { name: string; data: Uint8Array | string }[] }
  | { type: 'error'; message: string };
