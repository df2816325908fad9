/** The tsup config every package uses: ESM + .d.ts, ONNX Runtime left to the user's install. */
import { defineConfig, type Options } from 'tsup';

export function packageBuildConfig(entry: string[] = ['src/index.ts']) {
  const options: Options = {
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    external: ['onnxruntime-node', 'onnxruntime-web'],
  };
  return defineConfig(options);
}
