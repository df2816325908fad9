import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { Runtime } from '../exec/runtime.js';
import type { Graph, Value } from '../graph/graph.js';
import type { Tensor } from '../tensor.js';

/** Debian chromium's SwiftShader Vulkan driver: WebGPU on machines without a GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Whether WebGPU tests can run here. Points the Vulkan loader at SwiftShader when
 * no driver was chosen. In CI a missing driver is a failure, not a skip.
 */
export function webgpuAvailable(): boolean {
  if (process.env.VK_ICD_FILENAMES) return true;
  if (existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    return true;
  }
  if (process.env.CI)
    throw new Error(`WebGPU tests need ${SWIFTSHADER_ICD}: apt-get install -y libvulkan1 chromium`);
  return false;
}

/** How closely two runs' outputs must agree. */
export interface MatchOptions {
  /** Every element's difference must be strictly below this (default 1e-4). */
  tol?: number;
  /** Measure each difference relative to max(1, |expected|) rather than absolutely. */
  relative?: boolean;
}

/**
 * Expect `got` to hold every output of `want` with the same shape and each element within
 * `tol` of it (a NaN on either side fails). Reports the worst element.
 */
export function expectAllClose(
  got: Readonly<Record<string, Tensor>>,
  want: Readonly<Record<string, Tensor>>,
  { tol = 1e-4, relative = false }: MatchOptions = {},
): void {
  for (const [k, w] of Object.entries(want)) {
    expect(got[k]?.shape, `${k} shape`).toEqual(w.shape);
    const [a, b] = [got[k].toArray(), w.toArray()];
    let [worst, at] = [0, -1];
    for (let i = 0; i < b.length && !Number.isNaN(worst); i++) {
      const d = Math.abs(a[i] - b[i]) / (relative ? Math.max(1, Math.abs(b[i])) : 1);
      if (!(d <= worst)) [worst, at] = [d, i];
    }
    expect(worst, `${k}[${at}]: ${a[at]} vs ${b[at]}`).toBeLessThan(tol);
  }
}

export interface CpuWebGpuOptions extends MatchOptions {
  /** CPU-placed WebGPU nodes to accept, named as `Runtime.cpuFallbacks` names them (default: none). */
  allowFallback?: (node: string) => boolean;
}

/**
 * Compile `outputs` of `g` on `cpu` and on a fresh WebGPU runtime, expect no node on the CPU
 * beyond `allowFallback`, run both on `feeds` and expect WebGPU's outputs to match the CPU's
 * (see {@link expectAllClose}).
 */
export async function expectCpuWebGpuMatch(
  cpu: Runtime,
  g: Graph,
  outputs: Readonly<Record<string, Value>>,
  feeds: Readonly<Record<string, Tensor>>,
  { allowFallback = () => false, ...match }: CpuWebGpuOptions = {},
): Promise<void> {
  const gpu = await Runtime.create({ device: 'webgpu' });
  const [exeCpu, exeGpu] = [await cpu.compile(g, outputs), await gpu.compile(g, outputs)];
  try {
    const fallbacks = gpu.cpuFallbacks(exeGpu).filter((node) => !allowFallback(node));
    expect(fallbacks, 'nodes placed on the CPU').toEqual([]);
    expectAllClose(await exeGpu.runHost(feeds), await exeCpu.runHost(feeds), match);
  } finally {
    await Promise.all([exeCpu.dispose(), exeGpu.dispose()]);
  }
}
