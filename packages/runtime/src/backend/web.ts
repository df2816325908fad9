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
 * Set ORT's WASM thread count, which holds for the whole page or worker once the first
 * session exists: the first runtime decides; a later one that asks for another count
 * explicitly is told so instead of being ignored.
 */
export function configureThreads(threads: number, explicit: boolean): void {
  const wanted = globalThis.crossOriginIsolated ? threads : 1;
  if (configuredThreads === null) {
    configuredThreads = wanted;
    ort.env.wasm.numThreads = wanted;
  } else if (explicit && wanted !== configuredThreads) {
    throw new DeviceError(
      `threads: ${threads} requested, but ONNX Runtime's WASM threads are fixed at ${configuredThreads} for this page by its first Runtime (create that one with the count you want)`,
    );
  }
}

/**
 * Web session options from the portable ones. Thread counts are Node-only knobs: WASM
 * threads are set once, globally, on `ort.env` (configureThreads). Session config entries
 * (`extra`) work as on Node, except that 'wasm' *is* ORT's CPU provider, so strictDevice's
 * "no CPU fallback" entry would reject every node there and is left out.
 */
export function adaptSessionOptions(
  opts: ort.InferenceSession.SessionOptions,
): ort.InferenceSession.SessionOptions {
  const { intraOpNumThreads: _a, interOpNumThreads: _b, ...rest } = opts;
  const session = rest.extra?.session as Record<string, unknown> | undefined;
  if (
    session?.disable_cpu_ep_fallback !== undefined &&
    !rest.executionProviders?.includes('webgpu')
  ) {
    const { disable_cpu_ep_fallback: _d, ...kept } = session;
    return { ...rest, extra: { ...rest.extra, session: kept } };
  }
  return rest;
}

/** What to do about a session that failed to start, when the cause is known. */
export function sessionErrorHint(message: string): string {
  return /no available backend|fetching of the wasm failed|\.wasm/i.test(message)
    ? " (onnxruntime-web could not load its .wasm files: serve them from your app beside the bundled ORT module, or pass Runtime.create({ wasmPaths: '/url/of/the/files/' }))"
    : '';
}

/** Point ORT at the app's copies of its .wasm/.mjs files (default: beside the bundled ORT). */
export function setWasmPaths(prefix: string): void {
  ort.env.wasm.wasmPaths = prefix;
}

/** Throw a DeviceError that suggests 'wasm' when this browser has no usable WebGPU adapter. */
export async function probeWebGpu({
  createSession,
}: {
  model: Uint8Array;
  createSession: () => Promise<{ release(): Promise<void> }>;
  verbose: boolean;
}) {
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
