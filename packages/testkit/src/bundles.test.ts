/**
 * Each package's browser bundle carries no Node.js builtin and no onnxruntime-node, and
 * the runtime's Node.js bundle no onnxruntime-web: the guard that keeps `src/index.ts` of
 * every package importable from a browser app.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { externalImports, isNodeBuiltin } from './bundle.js';

const packages = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const entry = (name: string) => join(packages, name, 'src', 'index.ts');
const BROWSER = ['runtime', 'datasets', 'vae', 'gan', 'transformer', 'flow', 'diffusion'];

/** `importer -> path` of each offending import, for a readable failure. */
const describeImports = (list: { path: string; importer: string }[]) =>
  list.map((i) => `${i.importer} -> ${i.path}`);

describe('browser bundles (esbuild, conditions browser + source)', () => {
  it.each(BROWSER)('%s: no node: builtin, no onnxruntime-node', async (name) => {
    const imports = await externalImports(entry(name), 'browser');
    const bad = imports.filter((i) => isNodeBuiltin(i.path) || i.path === 'onnxruntime-node');
    expect(describeImports(bad)).toEqual([]);
  });
});

describe('Node.js bundle (esbuild, condition source)', () => {
  it('runtime: onnxruntime-node and no onnxruntime-web', async () => {
    const imports = await externalImports(entry('runtime'), 'node');
    expect(imports.map((i) => i.path)).toContain('onnxruntime-node');
    expect(describeImports(imports.filter((i) => i.path === 'onnxruntime-web'))).toEqual([]);
  });
});
