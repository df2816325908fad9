/**
 * The vitest config every package uses: tests beside the code, run against `src/` through
 * the `source` export condition (no build needed), in forked workers.
 */
import { defineConfig } from 'vitest/config';

export const packageTestConfig = defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
