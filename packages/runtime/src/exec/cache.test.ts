import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import { ExecutableCache } from './cache.js';
import type { Executable } from './executable.js';
import { Runtime } from './runtime.js';

async function identity(rt: Runtime): Promise<Executable> {
  const g = new Graph('id');
  const x = g.input('x', 'float32', [1]);
  return rt.compile(g, { y: x });
}

describe('ExecutableCache', () => {
  it('compiles once per key, also for concurrent calls, and releases every session on clear', async () => {
    const rt = await Runtime.create({ device: 'cpu', threads: 1 });
    const cache = new ExecutableCache<string>();
    let compiles = 0;
    const released: string[] = [];
    const compile = (name: string) => async () => {
      compiles++;
      const exe = await identity(rt);
      const dispose = exe.dispose.bind(exe);
      exe.dispose = async () => {
        released.push(name);
        await dispose();
      };
      return exe;
    };
    const [a, b] = await Promise.all([cache.get('a', compile('a')), cache.get('a', compile('a'))]);
    expect(a).toBe(b);
    await cache.get('b', compile('b'));
    expect(compiles).toBe(2);
    cache.clear();
    await new Promise((r) => setTimeout(r, 10));
    expect(released.sort()).toEqual(['a', 'b']);
    expect(await cache.get('a', compile('a'))).not.toBe(a);
    expect(compiles).toBe(3);
  });

  it('does not keep a failed compile', async () => {
    const cache = new ExecutableCache<string>();
    await expect(cache.get('x', () => Promise.reject(new Error('bad graph')))).rejects.toThrow(
      'bad graph',
    );
    const rt = await Runtime.create({ device: 'cpu', threads: 1 });
    const exe = await cache.get('x', () => identity(rt));
    expect(exe).toBeDefined();
  });
});
