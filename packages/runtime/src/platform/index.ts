/**
 * File access for this platform (Node.js: the file system; browsers: `fetch`), chosen by
 * the package's `#platform` import. Model packages and datasets use these instead of
 * `node:` modules, so they run unchanged in browsers.
 */
export {
  baseName,
  dirOf,
  gunzip,
  joinPath,
  makeDir,
  platformName,
  readBytes,
  writeFileAtomic,
} from '#platform';
