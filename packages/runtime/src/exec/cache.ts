/** A model's compiled inference sessions, compiled once per key and released together. */
import type { Executable } from './executable.js';

/**
 * Compiled sessions by key (e.g. 'decoder', 'encoder'). A session is compiled on first
 * use, once even when several calls ask at the same time; `clear()` releases them all,
 * e.g. after training changed the weights they were compiled with.
 *
 * @example
 * const cache = new ExecutableCache<string>();
 * const dec = await cache.get('decoder', () => compileInference(rt, net, inputs, fn));
 * cache.clear(); // after fit: the next get compiles with the new weights
 */
export class ExecutableCache<K = string> {
  readonly #entries = new Map<K, Promise<Executable>>();

  /** The session under `key`, from `compile` the first time (a failed compile is not kept). */
  get(key: K, compile: () => Promise<Executable>): Promise<Executable> {
    let e = this.#entries.get(key);
    if (!e) {
      e = compile();
      this.#entries.set(key, e);
      e.catch(() => {
        if (this.#entries.get(key) === e) this.#entries.delete(key);
      });
    }
    return e;
  }

  /** Release every session and forget them; the next `get` compiles afresh. */
  clear(): void {
    for (const e of this.#entries.values()) void e.then((x) => x.dispose()).catch(() => {});
    this.#entries.clear();
  }
}
