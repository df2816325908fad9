/**
 * A build report per page: the JavaScript a page can load (its HTML entry's chunk, the
 * chunks it imports statically or dynamically, and every chunk of the Web Workers it
 * starts), with sizes and the npm packages their modules come from. Written to
 * dist/bundle-report.json, so a test can check that a page using one model family ships
 * no code of the others.
 *
 * Workers are bundled by separate Rollup builds (Vite's `worker.plugins`): `workerPlugin`
 * records those bundles, and `pagePlugin` (in the main build, which finishes last) links
 * each page to the workers whose entry file names its chunks mention.
 */
import { basename, relative, sep } from 'node:path';
import type { Plugin, Rollup } from 'vite';

type OutputBundle = Rollup.OutputBundle;
type OutputChunk = Rollup.OutputChunk;

/** One JavaScript file of a page. */
export interface ReportChunk {
  file: string;
  /** Bytes of the emitted file. */
  bytes: number;
  /** 'page': loaded by the HTML page; 'worker': part of a Web Worker it starts. */
  role: 'page' | 'worker';
  /** Rendered bytes per source package (`@genmodels/vae`, `onnxruntime-web`, `demo`, ...). */
  packages: Record<string, number>;
}

export interface PageReport {
  html: string;
  totalBytes: number;
  /** Every source package of the page's chunks, sorted. */
  packages: string[];
  chunks: ReportChunk[];
}

export interface BundleReport {
  pages: Record<string, PageReport>;
  /** Other emitted files (the ORT WASM binary, MNIST, CSS), with sizes. */
  assets: { file: string; bytes: number }[];
}

/** The package a module belongs to: the npm name under node_modules, `@genmodels/<dir>` in the workspace. */
export function packageOf(id: string, repoRoot: string): string {
  const clean = id.replace(/^\0/, '').split('?')[0];
  const nm = clean.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = clean.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const rel = relative(repoRoot, clean).split(sep);
  if (rel[0] === 'packages' && rel.length > 1) return `@genmodels/${rel[1]}`;
  if (rel[0] === 'apps' && rel.length > 1) return rel[1];
  return clean.startsWith('vite/') || clean.includes('vite/') ? 'vite' : 'other';
}

function describe(chunk: OutputChunk, role: ReportChunk['role'], repoRoot: string): ReportChunk {
  const packages: Record<string, number> = {};
  for (const [id, m] of Object.entries(chunk.modules)) {
    if (m.renderedLength === 0) continue;
    const p = packageOf(id, repoRoot);
    packages[p] = (packages[p] ?? 0) + m.renderedLength;
  }
  return { file: chunk.fileName, bytes: Buffer.byteLength(chunk.code), role, packages };
}

/** Chunks reachable from `entry` through static and dynamic imports. */
function closure(entry: OutputChunk, bundle: OutputBundle): OutputChunk[] {
  const seen = new Map<string, OutputChunk>();
  const visit = (c: OutputChunk) => {
    if (seen.has(c.fileName)) return;
    seen.set(c.fileName, c);
    for (const f of [...c.imports, ...c.dynamicImports]) {
      const next = bundle[f];
      if (next?.type === 'chunk') visit(next);
    }
  };
  visit(entry);
  return [...seen.values()];
}

/** The report plugins: `pagePlugin()` in `plugins`, `workerPlugin` in `worker.plugins`. */
export function bundleReport(repoRoot: string, fileName = 'bundle-report.json') {
  /** Worker bundles by the file name of their entry chunk. */
  const workers = new Map<string, ReportChunk[]>();
  let summary: BundleReport | undefined;

  const workerPlugin = (): Plugin => ({
    name: 'genmodels-bundle-report-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((c): c is OutputChunk => c.type === 'chunk');
      const entry = chunks.find((c) => c.isEntry);
      if (entry)
        workers.set(
          entry.fileName,
          chunks.map((c) => describe(c, 'worker', repoRoot)),
        );
    },
  });

  const pagePlugin = (): Plugin => ({
    name: 'genmodels-bundle-report',
    apply: 'build',
    generateBundle(_options, bundle) {
      const report: BundleReport = { pages: {}, assets: [] };
      const chunks = Object.values(bundle).filter((c): c is OutputChunk => c.type === 'chunk');
      for (const entry of chunks.filter((c) => c.isEntry && c.facadeModuleId?.endsWith('.html'))) {
        const html = basename(entry.facadeModuleId as string);
        const own = closure(entry, bundle);
        const page = own.map((c) => describe(c, 'page', repoRoot));
        for (const [workerFile, workerChunks] of workers)
          if (own.some((c) => c.code.includes(basename(workerFile)))) page.push(...workerChunks);
        const packages = new Set(page.flatMap((c) => Object.keys(c.packages)));
        report.pages[html.replace(/\.html$/, '')] = {
          html,
          totalBytes: page.reduce((s, c) => s + c.bytes, 0),
          packages: [...packages].sort(),
          chunks: page,
        };
      }
      const workerFiles = new Set([...workers.values()].flat().map((c) => c.file));
      for (const f of Object.values(bundle))
        if (f.type === 'asset' && !workerFiles.has(f.fileName))
          report.assets.push({
            file: f.fileName,
            bytes: typeof f.source === 'string' ? Buffer.byteLength(f.source) : f.source.byteLength,
          });
      this.emitFile({ type: 'asset', fileName, source: `${JSON.stringify(report, null, 2)}\n` });
      summary = report;
    },
    closeBundle() {
      if (summary) console.log(formatSummary(summary, fileName));
    },
  });

  return { pagePlugin, workerPlugin };
}

/** Per page: total JavaScript, and the bytes of each workspace / ONNX Runtime package in it. */
export function formatSummary(report: BundleReport, fileName: string): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  const lines = [`\nJavaScript per page (details in dist/${fileName}):`];
  for (const [name, page] of Object.entries(report.pages)) {
    const byPackage: Record<string, number> = {};
    for (const c of page.chunks)
      for (const [p, n] of Object.entries(c.packages)) byPackage[p] = (byPackage[p] ?? 0) + n;
    const shown = Object.entries(byPackage)
      .filter(([p]) => p.startsWith('@genmodels/') || p.startsWith('onnxruntime'))
      .sort((a, b) => b[1] - a[1])
      .map(([p, n]) => `${p} ${kb(n)}`);
    lines.push(`  ${name.padEnd(12)} ${kb(page.totalBytes).padStart(9)}  ${shown.join(', ')}`);
  }
  return lines.join('\n');
}
