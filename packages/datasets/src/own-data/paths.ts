/** Relative paths inside a dataset: normalized with `/`, sorted the same way everywhere. */

/** `a\\b//./c` -> `a/b/c`: `/` separators, no empty or '.' segments. */
export function normalizeRel(name: string): string {
  return name
    .split(/[\\/]+/)
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/**
 * Compare paths segment by segment, each by UTF-16 code units (so `a/x` sorts before
 * `a-b/y`, as folder `a` before `a-b`): the same order on every platform and locale.
 */
export function comparePaths(a: string, b: string): number {
  const sa = a.split('/');
  const sb = b.split('/');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++)
    if (sa[i] !== sb[i]) return sa[i] < sb[i] ? -1 : 1;
  return sa.length - sb.length;
}

/** True when a segment of `rel` starts with '.' (hidden files and folders, macOS `._*`). */
export function isHidden(rel: string): boolean {
  return rel.split('/').some((s) => s.startsWith('.'));
}
