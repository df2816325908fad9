import { describe, expect, it } from 'vitest';
import { BoundedCache } from './cache.js';

describe('BoundedCache', () => {
  it('keeps at most `limit` entries, evicting the oldest', () => {
    const c = new BoundedCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.set('a', 3); // an update evicts nothing
    expect([c.size, c.get('a')]).toEqual([2, 3]);
    c.set('c', 4);
    expect([c.size, c.get('a'), c.get('b'), c.get('c')]).toEqual([2, undefined, 2, 4]);
  });

  it('stores nothing with limit 0', () => {
    const c = new BoundedCache<number>(0);
    c.set('a', 1);
    expect([c.size, c.get('a')]).toEqual([0, undefined]);
  });
});
