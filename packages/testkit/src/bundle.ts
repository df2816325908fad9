/**
 * esbuild bundles for browser tests and bundle checks. Workspace packages resolve to
 * their `src/` through the `source` export condition (no build needed), and under the
 * `browser` condition @genmodels/runtime's `#backend`/`#platform` pick onnxruntime-web
 * and fetch.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';

/** Options of {@link bundleForBrowser}. */
export interface BrowserBundleOptions {
  /** The page's entry module (TypeScript or JavaScript). */
  entry: string;
  /** Where index.js, index.html and ONNX Runtime's .wasm files are written. */
  outdir: string;
}

/** What {@link bundleForBrowser} wrote. */
export interface BrowserBundle {
  /** `outdir/index.html`, a page that loads the bundle as a module. */
  html: string;
  /** `outdir/index.js`, the ES module bundle. */
  js: string;
  /** File names of onnxruntime-web's runtime files copied next to the bundle. */
  assets: string[];
}

/**
 * Bundle `entry` for browsers into `outdir/index.js` (ESM) with an `index.html`, and copy
 * the onnxruntime-web files it loads at run time (its .wasm, and the .mjs its threads
 * start) next to it: the bundled ORT finds them through `import.meta.url`, so the same
 * server serves them and no CDN is involved.
 *
 * @example
 * const { assets } = await bundleForBrowser({ entry: 'src/testing/browser-entry.ts', outdir });
 * const server = await serveStatic(outdir);
 */
export async function bundleForBrowser(opts: BrowserBundleOptions): Promise<BrowserBundle> {
  const outdir = resolve(opts.outdir);
  await mkdir(outdir, { recursive: true });
  const js = join(outdir, 'index.js');
  const result = await build({
    entryPoints: [resolve(opts.entry)],
    outfile: js,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['browser', 'source'],
    target: 'es2022',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'error',
  });
  const assets = await copyOrtAssets(result.metafile, outdir);
  const html = join(outdir, 'index.html');
  await writeFile(
    html,
    '<!doctype html>\n<meta charset="utf-8">\n<title>genmodels test</title>\n<link rel="icon" href="data:,">\n<script type="module" src="./index.js"></script>\n',
  );
  return { html, js, assets };
}

/** Copy the ort-wasm-* files that the bundled onnxruntime-web build names into `outdir`. */
async function copyOrtAssets(meta: Metafile, outdir: string): Promise<string[]> {
  const ortFile = Object.keys(meta.inputs).find((f) =>
    /onnxruntime-web\/dist\/[^/]+\.m?js$/.test(f),
  );
  if (!ortFile) return [];
  const path = resolve(ortFile);
  const names = new Set((await readFile(path, 'utf8')).match(/ort-wasm[\w.-]*\.(?:wasm|mjs)/g));
  for (const name of names) await copyFile(join(dirname(path), name), join(outdir, name));
  return [...names].map((n) => basename(n));
}

/** An import that a bundle leaves to its environment, and the module that asked for it. */
export interface ExternalImport {
  /** As written, e.g. `node:fs` or `onnxruntime-web`. */
  path: string;
  /** The importing file, relative to the working directory. */
  importer: string;
}

const BUILTINS = new Set(builtinModules);

/**
 * Bundle `entry` in memory for `platform` (conditions `browser`+`source` for 'browser',
 * `source` for 'node') and list the imports it leaves external: Node.js builtins (with
 * or without `node:`) and both ONNX Runtime packages are kept external so that the
 * caller can assert on them; everything else is bundled, dependencies included.
 *
 * @example
 * const imports = await externalImports('packages/vae/src/index.ts', 'browser');
 * expect(imports.filter((i) => i.path.startsWith('node:'))).toEqual([]);
 */
export async function externalImports(
  entry: string,
  platform: 'browser' | 'node',
): Promise<ExternalImport[]> {
  const result = await build({
    entryPoints: [resolve(entry)],
    bundle: true,
    write: false,
    outdir: '/dev/null/out',
    format: 'esm',
    platform,
    conditions: platform === 'browser' ? ['browser', 'source'] : ['source'],
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
    external: ['node:*', ...builtinModules, 'onnxruntime-node', 'onnxruntime-web'],
  });
  const found: ExternalImport[] = [];
  for (const [importer, input] of Object.entries(result.metafile.inputs)) {
    for (const imp of input.imports) {
      // '<runtime>' is esbuild's own helper module, not an import of the code.
      if (imp.external && !imp.path.startsWith('<'))
        found.push({ path: imp.original ?? imp.path, importer });
    }
  }
  return found;
}

/** Whether `path` names a Node.js builtin module (`node:fs`, `fs`, `fs/promises`). */
export function isNodeBuiltin(path: string): boolean {
  return path.startsWith('node:') || BUILTINS.has(path);
}
