/**
 * The vitest config every package uses: tests beside the code, run against `src/` through
 * the `source` export condition (no build needed), in forked workers.
 *
 * Timeouts only catch hangs. turbo runs several packages' test pools at once on a 2-core
 * machine, often beside other jobs, so a test's wall time varies several-fold; a test
 * must pass on what it computes, never on how fast. Speed is measured in `pnpm bench`.
 */
import { defineConfig } from 'vitest/config';

/** The one wall-clock limit of a test or hook (a hang guard, far above any honest run). */
export const HANG_TIMEOUT_MS = 20 * 60_000;

export const packageTestConfig = defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: HANG_TIMEOUT_MS,
    hookTimeout: HANG_TIMEOUT_MS,
    pool: 'forks',
  },
});
