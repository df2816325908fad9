import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { bundleReport } from './build/bundle-report.js';
import { demoStaticFiles, ISOLATION_HEADERS } from './build/static-files.js';

const root = dirname(fileURLToPath(import.meta.url));
const report = bundleReport(resolve(root, '../..'));

/** One HTML page per family, plus the index that links them. */
export const PAGES = ['index', 'vae', 'gan', 'transformer', 'flow', 'diffusion'] as const;

export default defineConfig({
  resolve: {
    // 'source': workspace packages resolve to their src/ (no build needed); 'browser' (in
    // Vite's defaults) picks the runtime's onnxruntime-web backend; the ORT condition picks
    // its build without an embedded WASM loader: the workers load ort/*.mjs and ort/*.wasm
    // from this app (Runtime.create's wasmPaths), so the 28 MB binary is emitted once.
    conditions: ['source', ...defaultClientConditions, 'onnxruntime-web-use-extern-wasm'],
  },
  optimizeDeps: {
    // Pre-bundling would move ORT away from the files it loads.
    exclude: ['onnxruntime-web'],
    // Dependencies only the workers import (the dev scan does not follow workers): bundled
    // up front, so the first page load is not reloaded when they are found.
    include: [
      '@genmodels/runtime > onnx-proto',
      '@genmodels/runtime > onnxruntime-common',
      '@genmodels/datasets > fast-png',
    ],
  },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es', plugins: () => [report.workerPlugin()] },
  plugins: [demoStaticFiles(root), report.pagePlugin()],
  build: {
    target: 'es2022',
    // onnxruntime-web alone is ~400 kB minified; the limit is there to catch surprises.
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      input: Object.fromEntries(PAGES.map((p) => [p, resolve(root, `${p}.html`)])),
    },
  },
});
