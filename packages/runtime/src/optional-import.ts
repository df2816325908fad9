/**
 * An optional package, imported on demand. `load` is the caller's own `import()`, so the
 * package resolves from the caller's install; when it is missing the caller's error (from
 * `fail`, given why) says what to install.
 *
 * @example
 * const datasets = () =>
 *   importOptional(() => import('@genmodels/datasets'), (why) => new FlowError(`install @genmodels/datasets (${why})`));
 */
export async function importOptional<T>(
  load: () => Promise<T>,
  fail: (why: string) => Error,
): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw fail((e as Error).message);
  }
}
