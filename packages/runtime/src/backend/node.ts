/**
 * Node.js backend: onnxruntime-node with the CPU, CUDA and WebGPU providers.
 * The browser backend (onnxruntime-web) lives in web.ts; the package's
 * conditional exports pick one, so a bundle never carries both.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DeviceError } from '../errors.js';
import { decodeModel } from '../graph/encode.js';
import type { Device } from './device.js';

export type { Device };
export { ort };

export const DEVICES: readonly Device[] = ['cpu', 'cuda', 'webgpu'];
export const DEFAULT_DEVICE: Device = 'cpu';
export const backendName = 'onnxruntime-node';

/** Intra-op threads by default: the machine's available parallelism. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** Session options as they are (the web backend drops the Node-only knobs). */
export function adaptSessionOptions(
  opts: ort.InferenceSession.SessionOptions,
): ort.InferenceSession.SessionOptions {
  return opts;
}

/** What to do about a session that failed to start, when the cause is known. */
export function sessionErrorHint(_message: string): string {
  return '';
}

/** Threads are per session on Node.js (intraOpNumThreads): nothing global to set. */
export function configureThreads(_threads: number, _explicit: boolean): void {}

/** Browser-only: where onnxruntime-web finds its .wasm files. */
export function setWasmPaths(_prefix: string): void {
  throw new DeviceError('wasmPaths: only browsers load ONNX Runtime from .wasm files');
}

/** What the WebGPU probe needs: a tiny model, how to open it in this process, and whether to show native output. */
export interface WebGpuProbe {
  /** A tiny ONNX model (the probe opens a WebGPU session on it). */
  model: Uint8Array;
  /** Open a WebGPU session on `model` in this process. */
  createSession: () => Promise<{ release(): Promise<void> }>;
  /** Show what the GPU drivers (Dawn, Vulkan) print while probing. */
  verbose: boolean;
}

const WEBGPU_HELP =
  'On Linux without a GPU: apt-get install libvulkan1 chromium, then set ' +
  "VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json; or use device 'cpu'.";

/**
 * Throw a DeviceError with setup instructions when no WebGPU adapter can be created. The
 * first try runs in a child process, so that what the drivers print to stderr while they
 * look for an adapter (Dawn and Vulkan warnings, several lines) is shown only when
 * `verbose`; only when it succeeds does this process open its own WebGPU session. The
 * Vulkan loader complains on every start when XDG_RUNTIME_DIR is unset, so (unless
 * `verbose`) it is set to a private directory for this process when it is missing.
 */
export async function probeWebGpu(probe: WebGpuProbe): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'genmodels-webgpu-'));
  if (!probe.verbose && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = dir;
  let child: { status: number | null; stdout: string; stderr: string; error?: Error };
  const file = join(dir, 'probe.onnx');
  try {
    writeFileSync(file, probe.model);
    const ortPath = require.resolve('onnxruntime-node');
    const script = `const ort = require(${JSON.stringify(ortPath)});
ort.InferenceSession.create(${JSON.stringify(file)}, { executionProviders: ['webgpu'] })
  .then((s) => s.release()).then(() => process.exit(0), (e) => { console.log(String(e && e.message || e)); process.exit(3); });`;
    // Asynchronously: the probe takes seconds, and the event loop should not stall meanwhile.
    child = await new Promise((resolve) => {
      execFile(
        process.execPath,
        ['-e', script],
        { encoding: 'utf8', env: process.env, timeout: 300_000 },
        (err, stdout, stderr) => {
          const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({
            status,
            stdout,
            stderr,
            error: err && typeof err.code !== 'number' ? err : undefined,
          });
        },
      );
    });
  } finally {
    rmSync(process.env.XDG_RUNTIME_DIR === dir ? file : dir, { recursive: true, force: true });
  }
  const native = String(child.stderr ?? '').trim();
  if (probe.verbose && native) process.stderr.write(`${native}\n`);
  if (child.status !== 0) {
    const said = String(child.stdout ?? '').trim();
    // ORT's message starts with its source location; the last sentence is what happened.
    const why =
      said.match(/Failed to get a WebGPU adapter[^\n]*/)?.[0] ??
      (said || (child.error?.message ?? `exit ${child.status}`));
    throw new DeviceError(
      `device 'webgpu': no WebGPU adapter could be created (${why}). ${WEBGPU_HELP}` +
        (probe.verbose || !native ? '' : ' (--verbose shows what the drivers printed)'),
    );
  }
  try {
    await (await probe.createSession()).release();
  } catch (e) {
    throw new DeviceError(
      `device 'webgpu': no WebGPU adapter could be created (${(e as Error).message}). ${WEBGPU_HELP}`,
    );
  }
}

const require = createRequire(import.meta.url);

/** Fail early, with instructions, when a device cannot work in this install. */
export function checkDevice(device: string): asserts device is Device {
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw new DeviceError(
      `unknown device '${device}'; on Node.js use one of ${DEVICES.join(', ')} ('wasm' is browser-only)`,
    );
  }
  if (device === 'cuda') {
    const dir = dirname(require.resolve('onnxruntime-node/package.json'));
    const lib = join(
      dir,
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
      'libonnxruntime_providers_cuda.so',
    );
    if (!existsSync(lib)) {
      throw new DeviceError(
        "device 'cuda': the CUDA execution provider libraries are not installed. " +
          'Reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 (and allow its install script), ' +
          "or use device 'cpu' or 'webgpu'.",
      );
    }
  }
}

/** `OpType (name)` of every node, as ORT's placement log prints them. */
function allNodes(model: Uint8Array): string[] {
  return (decodeModel(model).graph?.node ?? []).map((n) => `${n.opType} (${n.name})`);
}

/**
 * Names of the nodes that ONNX Runtime placed on the CPU provider when the model
 * runs on `device`. ORT only reports placements in its verbose log, so a child
 * process creates the session and its log is parsed.
 */
export function cpuPlacedNodes(model: Uint8Array, device: Device): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'genmodels-placement-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, model);
    const ortPath = require.resolve('onnxruntime-node');
    const script = `const ort = require(${JSON.stringify(ortPath)});
ort.InferenceSession.create(${JSON.stringify(file)}, { executionProviders: [${JSON.stringify(device)}], logSeverityLevel: 0 })
  .then(() => process.exit(0), (e) => { console.error('SESSION-ERROR ' + e.message); process.exit(3); });`;
    const spawn = () =>
      spawnSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        env: process.env,
        maxBuffer: 256 << 20,
      });
    let r = spawn();
    // A child that neither succeeded nor reported a session error crashed natively (seen now
    // and then with Dawn on SwiftShader, about 1 run in 10): the placement is deterministic,
    // so ask again rather than fail.
    for (let attempt = 2; attempt <= 3 && r.status !== 0 && r.status !== 3; attempt++) r = spawn();
    if (r.status !== 0)
      throw new DeviceError(
        `cpuPlacedNodes: could not create a '${device}' session (child exit ${r.status ?? r.signal}): ${(
          r.stderr ?? ''
        )
          .split('\n')
          .filter((l) => l.includes('SESSION-ERROR') || l.includes('[E:'))
          .join(' ')}`,
      );
    const lines = r.stderr.split('\n');
    const nodes: string[] = [];
    let onCpu = false;
    for (const line of lines) {
      if (!line.includes('VerifyEachNodeIsAssignedToAnEp]')) continue;
      // Either "All nodes placed on [EP]" (no listing follows) or "Node(s) placed on [EP]" + one line per node.
      if (/All nodes placed on \[CPUExecutionProvider\]/.test(line)) return allNodes(model);
      const m = /Node\(s\) placed on \[(\w+)\]/.exec(line);
      if (m) onCpu = m[1] === 'CPUExecutionProvider';
      else {
        const n = /VerifyEachNodeIsAssignedToAnEp\]\s{3}(\S.*)$/.exec(line);
        if (n && onCpu) nodes.push(n[1].trim());
        else if (!n) onCpu = false;
      }
    }
    return nodes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
