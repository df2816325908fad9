import { defineConfig, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../../vitest.shared.js';

// The tests drive the built app (dist/, from `vite build` in the `test` script) in Chromium:
// one browser, one page at a time, so longer timeouts and no file parallelism.
export default mergeConfig(
  packageTestConfig,
  defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: 180_000,
      hookTimeout: 120_000,
      fileParallelism: false,
    },
  }),
);
