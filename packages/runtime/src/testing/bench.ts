/**
 * Machine-readable benchmark figures. Each family's `pnpm bench` prints its human line and,
 * with GENMODELS_BENCH_JSON=1 in the environment, one JSON line per figure that
 * `pnpm bench:vs-torch` (scripts/bench-vs-torch.mjs) pairs with the PyTorch scripts' lines.
 */
import type { RuntimeOptions } from '../exec/runtime.js';

/** One throughput figure of a reference config. */
export interface BenchFigure {
  /** Reference config, e.g. `vae/mnist-mlp`. */
  config: string;
  /** What was timed: `train`, `sample`, ... */
  phase: string;
  value: number;
  /** e.g. `samples/s`, `tokens/s`, `ms/evaluation` (lower is better for ms units). */
  unit: string;
  /** Peak resident set size of the process so far, in MiB (Node.js). */
  peakRssMiB?: number;
}

/** Print `figure` as a JSON line prefixed `BENCH ` when GENMODELS_BENCH_JSON is set. */
export function reportBench(figure: BenchFigure): void {
  const env = typeof process === 'undefined' ? undefined : process.env;
  if (!env?.GENMODELS_BENCH_JSON) return;
  const usage = typeof process.resourceUsage === 'function' ? process.resourceUsage() : undefined;
  // maxRSS is in KiB on Linux and macOS.
  const peakRssMiB = usage ? Math.round(usage.maxRSS / 1024) : undefined;
  console.log(`BENCH ${JSON.stringify({ peakRssMiB, ...figure })}`);
}

/**
 * The CPU runtime options of every family's bench, from the environment:
 * GENMODELS_BENCH_PROFILE=<prefix> writes ORT per-node profiles (see
 * scripts/profile-summary.ts), GENMODELS_BENCH_NCHWC=0 keeps training convolutions on the
 * im2col path (to measure the NCHWc lowering's share), GENMODELS_BENCH_ARENA=0 turns ORT's
 * CPU memory arena off.
 */
export function benchRuntimeOptions(): RuntimeOptions {
  const env = typeof process === 'undefined' ? {} : process.env;
  return {
    device: 'cpu',
    profile: env.GENMODELS_BENCH_PROFILE,
    nchwc: env.GENMODELS_BENCH_NCHWC !== '0',
    memoryArena: env.GENMODELS_BENCH_ARENA !== '0',
  };
}
