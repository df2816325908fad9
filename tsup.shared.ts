/**
 * The tsup config every package uses: ESM + .d.ts, ONNX Runtime left to the user's install.
 * With `web`, a second build for browsers goes to dist/web: the package's `#backend` and
 * `#platform` imports resolve under the 'browser' condition there (onnxruntime-web,
 * fetch), so neither ONNX Runtime ends up in the other's bundle.
 */
import { defineConfig, type Options } from 'tsup';

export function packageBuildConfig(
  entry: string[] | Record<string, string> = ['src/index.ts'],
  opts: { web?: boolean } = {},
) {
  const options: Options = {
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'node',
    external: ['onnxruntime-node', 'onnxruntime-web'],
  };
  if (!opts.web) return defineConfig(options);
  return defineConfig([
    options,
    { ...options, platform: 'browser', outDir: 'dist/web', dts: false, clean: false },
  ]);
}
