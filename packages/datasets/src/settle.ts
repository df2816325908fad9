/**
 * Waiting on reads that run at once, with errors that do not depend on timing: when several
 * fail, the error reported is the first in the order given, not the first to happen (which
 * varies with I/O and load).
 */

/** Like `Promise.all`, but waits for all and rethrows the first rejection in input order. */
export async function allInOrder<T extends readonly unknown[]>(
  promises: { [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const settled = await Promise.allSettled(promises);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
