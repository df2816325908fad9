/**
 * A map that holds at most `limit` entries: adding one more evicts the oldest (insertion
 * order). Encoding caches each distinct pre-token's ids, and a long text of rare words must
 * not grow that without bound.
 */
export class BoundedCache<V> {
  readonly #map = new Map<string, V>();

  constructor(readonly limit: number) {}

  get(key: string): V | undefined {
    return this.#map.get(key);
  }

  set(key: string, value: V): void {
    if (this.limit <= 0) return;
    if (this.#map.size >= this.limit && !this.#map.has(key)) {
      this.#map.delete(this.#map.keys().next().value as string);
    }
    this.#map.set(key, value);
  }

  get size(): number {
    return this.#map.size;
  }
}
