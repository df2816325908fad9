/**
 * The build report (dist/bundle-report.json, written by build/bundle-report.ts) shows that
 * each family page ships its own model package and no other: a page using one family
 * contains no code of the others.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BundleReport } from '../build/bundle-report.js';
import { packageOf } from '../build/bundle-report.js';

const FAMILIES = ['vae', 'gan', 'transformer', 'flow', 'diffusion'] as const;
const MODEL_PACKAGES = FAMILIES.map((f) => `@genmodels/${f}`);

function report(): BundleReport {
  const path = fileURLToPath(new URL('../dist/bundle-report.json', import.meta.url));
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BundleReport;
  } catch (e) {
    throw new Error(`no build report at ${path}: run 'vite build' first (${(e as Error).message})`);
  }
}

describe('bundle report', () => {
  it.each(FAMILIES)('the %s page bundles its own model package and no other', (family) => {
    const page = report().pages[family];
    expect(page, `page '${family}' in the report`).toBeDefined();
    const own = `@genmodels/${family}`;
    expect(page.packages).toContain(own);
    expect(page.packages).toContain('@genmodels/runtime');
    expect(page.packages).toContain('onnxruntime-web');
    expect(page.packages.filter((p) => MODEL_PACKAGES.includes(p) && p !== own)).toEqual([]);
    expect(page.packages).not.toContain('onnxruntime-node');
    expect(page.packages).not.toContain('@genmodels/cli');
    // The model runs in the worker: the page's own chunks carry no model or runtime code.
    const pageSide = page.chunks.filter((c) => c.role === 'page');
    expect(pageSide.length).toBeGreaterThan(0);
    for (const c of pageSide)
      expect(Object.keys(c.packages).filter((p) => p.startsWith('@genmodels/'))).toEqual([]);
    expect(page.chunks.some((c) => c.role === 'worker' && c.packages[own] > 0)).toBe(true);
  });

  it('the index page loads no model code', () => {
    const page = report().pages.index;
    expect(
      page.packages.filter((p) => p.startsWith('@genmodels/') || p.startsWith('onnxruntime')),
    ).toEqual([]);
  });

  it('serves onnxruntime-web WASM, MNIST and the tiny GPT-2 itself', () => {
    const files = report().assets.map((a) => a.file);
    expect(files).toContain('ort/ort-wasm-simd-threaded.jsep.wasm');
    expect(files).toContain('ort/ort-wasm-simd-threaded.jsep.mjs');
    expect(files).toContain('mnist/train-images-idx3-ubyte.gz');
    for (const f of ['model.safetensors', 'config.json', 'vocab.json', 'merges.txt'])
      expect(files).toContain(`gpt2-tiny/${f}`);
  });

  it('attributes modules to packages', () => {
    const root = '/repo';
    expect(packageOf('/repo/packages/vae/src/vae.ts', root)).toBe('@genmodels/vae');
    expect(packageOf('/repo/apps/demo/src/shared/page.ts', root)).toBe('demo');
    expect(packageOf('/repo/node_modules/.pnpm/a@1/node_modules/@scope/pkg/dist/x.js', root)).toBe(
      '@scope/pkg',
    );
    expect(packageOf('/repo/node_modules/.pnpm/b@2/node_modules/fflate/esm/index.mjs', root)).toBe(
      'fflate',
    );
  });
});
