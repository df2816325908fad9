import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

// The op families import each other (elementwise -> shape -> reduce -> elementwise, and
// gather/creation/slice/concat through them). ES modules allow that cycle only while no
// module uses another's binding at top level; such a slip works in one import order and
// throws in another. So every ops module must load when it is the first one imported.
const files = readdirSync(fileURLToPath(new URL('.', import.meta.url)))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

describe('ops import order', () => {
  it('covers the elementwise/shape/reduce cycle', () => {
    expect(files).toEqual(expect.arrayContaining(['elementwise', 'shape', 'reduce']));
  });

  it.each(files)(
    '%s.ts loads first, alone, in a fresh module graph, and the ops then trace',
    async (file) => {
      vi.resetModules();
      const first = await import(/* @vite-ignore */ new URL(`./${file}.ts`, import.meta.url).href);
      expect(Object.keys(first).length).toBeGreaterThan(0);

      // The rest of the graph, loaded after it, works: a symbolic-batch mean and its gradient
      // go through elementwise, shape, reduce, gather and creation.
      const { Graph } = await import('../graph/graph.js');
      const { grad } = await import('../autodiff/grad.js');
      const ops = await import('./index.js');
      const g = new Graph();
      const x = g.input('x', 'float32', ['batch', 3]);
      const [dx] = grad(ops.mean(ops.sum(ops.mul(x, x), 1)), [x]);
      expect(dx.shape).toEqual(['batch', 3]);
    },
  );
});
