/**
 * The page that browser.test.ts bundles for Chromium: it puts a few functions on
 * `globalThis.genmodelsTest` for the test to call through `page.evaluate`. Only
 * functions are defined at load time, since onnxruntime-web's WASM threads load this
 * same bundle as their worker script.
 */
import { ort } from '#backend';
import { DeviceError } from '../errors.js';
import { Runtime, type RuntimeOptions } from '../exec/runtime.js';
import { Graph, primitive } from '../graph/graph.js';
import { readModelDir } from '../io/model-dir.js';
import { emit1 } from '../ops/core.js';
import { type ParityResult, threeAdamSteps } from './parity.js';

/** What the page reports about its environment after a WASM session ran. */
export interface PageEnv {
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  /** Threads the runtime asked for. */
  runtimeThreads: number;
  /** Threads onnxruntime-web was initialised with. */
  ortThreads: number | undefined;
}

/** How `Runtime.create` failed: the error's class and message (null: it did not fail). */
export interface CreateFailure {
  deviceError: boolean;
  name: string;
  message: string;
}

export interface BrowserTestApi {
  threeAdamSteps(opts: RuntimeOptions): Promise<ParityResult>;
  createFailure(opts: RuntimeOptions): Promise<CreateFailure | null>;
  /** The message of compiling a LogSoftmax (no WebGPU kernel) with strictDevice, or null. */
  strictFallbackFailure(): Promise<string | null>;
  env(): Promise<PageEnv>;
  /** readModelDir over a URL base: the stored config and the state dict as plain arrays, or the error message. */
  readModel(
    url: string,
  ): Promise<{ stored: unknown; tensors: Record<string, number[]> } | { error: string }>;
}

const api: BrowserTestApi = {
  threeAdamSteps: async (opts) => threeAdamSteps(await Runtime.create(opts)),
  async createFailure(opts) {
    try {
      await Runtime.create(opts);
      return null;
    } catch (e) {
      const err = e as Error;
      return { deviceError: e instanceof DeviceError, name: err.name, message: err.message };
    }
  },
  async strictFallbackFailure() {
    const rt = await Runtime.create({ device: 'webgpu', strictDevice: true });
    const g = new Graph('fallback');
    const x = g.input('x', 'float32', [2, 3]);
    const y = emit1(
      g,
      primitive('LogSoftmax'),
      [x],
      { dtype: 'float32', shape: [2, 3] },
      { axis: { i: -1 } },
    );
    try {
      await (await rt.compile(g, { y })).dispose();
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  },
  async readModel(url) {
    try {
      const { stored, stateDict } = await readModelDir(url, {
        family: 'test',
        label: 'test',
        fail: (m) => new Error(m),
      });
      const tensors = Object.fromEntries(
        Object.entries(stateDict).map(([k, t]) => [k, Array.from(t.data as Float32Array)]),
      );
      return { stored, tensors };
    } catch (e) {
      return { error: (e as Error).message };
    }
  },
  async env() {
    // ORT reads its thread count when the first session starts WASM: start one.
    const rt = await Runtime.create({ device: 'wasm' });
    const g = new Graph('env');
    const x = g.input('x', 'float32', [1]);
    await (await rt.compile(g, { y: x })).dispose();
    return {
      crossOriginIsolated: globalThis.crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
      runtimeThreads: rt.threads,
      ortThreads: ort.env.wasm.numThreads,
    };
  },
};

(globalThis as { genmodelsTest?: BrowserTestApi }).genmodelsTest = api;
