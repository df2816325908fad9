/**
 * Browsers and Web Workers have no `node_modules` to look in: data comes from a URL the app
 * serves or from bytes the user picked. Same exports as `node.ts`.
 */

/** Always a reason: an npm package's files are found on Node.js only. */
export function npmDataDir(name: string, _sub = 'data'): { dir: string } | { why: string } {
  return {
    why: `npm package ${name} (found on Node.js only; in a browser serve the files and pass their URL as { dir }, or pass { files })`,
  };
}
