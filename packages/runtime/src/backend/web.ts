/**
 * Browser backend: onnxruntime-web with the WASM and WebGPU providers. The Node.js
 * backend is `node.ts`; the package's `#backend` import (package.json "imports") picks
 * one, so a browser bundle never carries onnxruntime-node. Same exports as `node.ts`.
 */
import * as ort from 'onnxruntime-web';
import { DeviceError } from '../errors.js';
import type { Device } from './device.js';

export type { Device };
export { ort };

export const DEVICES: readonly Device[] = ['wasm', 'webgpu'];
export const DEFAULT_DEVICE: Device = 'wasm';
export const backendName = 'onnxruntime-web';

/** Fail early, with instructions, when a device cannot work here. */
export function checkDevice(device: string): asserts device is Device {
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw new DeviceError(
      `unknown device '${device}'; in a browser use one of ${DEVICES.join(', ')} ('cpu' and 'cuda' are Node.js devices)`,
    );
  }
}

/** Threads ORT may use: WASM threads need cross-origin isolation (COOP/COEP headers). */
export function defaultThreads(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, cores)) : 1;
}

let configuredThreads: number | null = null;

/**
 * Web session options from the portable ones: thread counts and session config entries
 * are Node-only knobs; WASM threads are set once, globally, on `ort.env`.
 */
export function adaptSessionOptions(
  opts: ort.InferenceSession.SessionOptions,
  threads: number,
): ort.InferenceSession.SessionOptions {
  if (configuredThreads === null) {
    configuredThreads = globalThis.crossOriginIsolated ? threads : 1;
    ort.env.wasm.numThreads = configuredThreads;
  }
  const { intraOpNumThreads: _a, interOpNumThreads: _b, extra: _c, ...rest } = opts;
  return rest;
}

/** Point ORT at the app's copies of its .wasm/.mjs files (default: beside the bundled ORT). */
export function setWasmPaths(prefix: string): void {
  ort.env.wasm.wasmPaths = prefix;
}

/** Throw a DeviceError that suggests 'wasm' when this browser has no usable WebGPU adapter. */
export async function probeWebGpu(createSession: () => Promise<{ release(): Promise<void> }>) {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu)
    throw new DeviceError(
      "device 'webgpu': this browser has no WebGPU (navigator.gpu is missing; it needs a secure context, https or localhost); use device 'wasm'",
    );
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter)
    throw new DeviceError(
      "device 'webgpu': the browser found no WebGPU adapter (no GPU, or WebGPU disabled); use device 'wasm'",
    );
  try {
    await (await createSession()).release();
  } catch (e) {
    throw new DeviceError(
      `device 'webgpu': ONNX Runtime could not start WebGPU (${(e as Error).message}); use device 'wasm'`,
    );
  }
}

/** ORT's placement log is not available in browsers. */
export function cpuPlacedNodes(_model: Uint8Array, _device: Device): string[] {
  throw new DeviceError('cpuFallbacks: the placement log is only available on Node.js');
}
