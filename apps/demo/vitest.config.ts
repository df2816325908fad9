import { defineConfig, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../../vitest.shared.js';

// The tests drive the built app (dist/, from `vite build` in the `test` script) in Chromium:
// one browser, one page at a time, so no file parallelism (timeouts: the shared hang guard).
export default mergeConfig(
  packageTestConfig,
  defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      fileParallelism: false,
    },
  }),
);
