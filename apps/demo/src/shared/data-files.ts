/**
 * What the user gave a page, sorted out by file name before anything is read: a folder (or
 * files) of PNG/JPEG images, or one CSV/TSV table of points. Pure functions (no DOM, no
 * model code), shared by the drop zone and its tests; the worker reads the files.
 */
import type { DataFile, DataKind, DataRequest, OwnDataSupport } from './protocol.js';

const IMAGE = /\.(png|jpe?g)$/i;
const TABLE = /\.(csv|tsv|txt)$/i;

/** Extensions the file input offers, per kind. */
export const DATA_ACCEPT: Record<DataKind, string> = {
  images: '.png,.jpg,.jpeg',
  points: '.csv,.tsv,.txt',
};

/** Hidden files (and macOS `._*` / `.DS_Store`) anywhere on the path: never data. */
function hidden(path: string): boolean {
  return path.split('/').some((p) => p.startsWith('.'));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Paths relative to what was given: when every path starts with the same folder (a picked
 * or dropped folder), that folder is the root and its name the source; otherwise the source
 * is the one file's name or 'N files'.
 */
export function relativeTo(paths: string[]): { paths: string[]; source: string } {
  const clean = paths.map((p) => p.replace(/\\/g, '/').replace(/^\/+/, ''));
  const first = clean[0]?.split('/')[0] ?? '';
  if (clean.length > 0 && clean.every((p) => p.startsWith(`${first}/`)))
    return { paths: clean.map((p) => p.slice(first.length + 1)), source: first };
  return { paths: clean, source: clean.length === 1 ? clean[0] : plural(clean.length, 'file') };
}

/**
 * The request for `files` (paths relative to `source`), or a message saying what is wrong:
 * images when any file is a PNG/JPEG (other files are the reader's to list as ignored),
 * else points from the one CSV/TSV/TXT table; a kind the page cannot train on is refused
 * with the page's reason.
 */
export function dataRequest(
  files: DataFile[],
  source: string,
  support: OwnDataSupport,
  imageSize: number,
): DataRequest | string {
  const visible = files.filter((f) => !hidden(f.path));
  if (visible.length === 0)
    return files.length === 0
      ? `${source}: no files (an empty folder?); give a folder of PNG/JPEG images or a CSV/TSV file of points`
      : `${source}: only hidden files (names starting with '.')`;
  const images = visible.filter((f) => IMAGE.test(f.path));
  const tables = visible.filter((f) => TABLE.test(f.path));
  let kind: DataKind;
  if (images.length > 0) kind = 'images';
  else if (tables.length > 0) kind = 'points';
  else if (support.images === true)
    kind = 'images'; // the reader names what it found instead
  else
    return `${source}: no CSV/TSV table (.csv, .tsv, .txt) among ${plural(visible.length, 'file')} (e.g. '${visible[0].path}'); give a table of 2-D points, one row per point`;
  const ok = support[kind];
  if (ok !== true) return ok;
  if (kind === 'points' && tables.length > 1)
    return `${source}: ${plural(tables.length, 'table')} (${tables
      .slice(0, 3)
      .map((t) => `'${t.path}'`)
      .join(', ')}${tables.length > 3 ? ', ...' : ''}); give one CSV/TSV file of points`;
  return kind === 'images'
    ? { kind, files: visible, source, imageSize }
    : { kind, files: tables, source };
}
