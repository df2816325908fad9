import { describe, expect, it } from 'vitest';
import { allInOrder } from './settle.js';

const settleAfter = <T>(ms: number, f: () => T) =>
  new Promise<T>((res, rej) =>
    setTimeout(() => {
      try {
        res(f());
      } catch (e) {
        rej(e);
      }
    }, ms),
  );

describe('allInOrder', () => {
  it('resolves to the values in order', async () => {
    await expect(allInOrder([settleAfter(5, () => 1), Promise.resolve('b')])).resolves.toEqual([
      1,
      'b',
    ]);
  });

  it('reports the first failure in input order, even when a later one fails first', async () => {
    const first = settleAfter(30, () => {
      throw new Error('images missing');
    });
    const second = Promise.reject(new Error('labels missing'));
    await expect(allInOrder([first, second])).rejects.toThrow('images missing');
  });
});
