/**
 * Listing a folder for the own-data readers, on Node.js. The browser twin is `web.ts`; the
 * package's `#walk` import picks one (package.json "imports"), so browser bundles never see
 * `node:fs`. Both files export the same names with the same meaning.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataBudgetError, DataReadError, shownName } from '../errors.js';

/** What a path is: nothing, a file to read, a folder (with its files), or something else (a FIFO, a device). */
export type PathKind =
  | { kind: 'missing' }
  | { kind: 'file' }
  | { kind: 'dir'; files: string[] }
  | { kind: 'other'; what: string };

/** Options of {@link listTree}. */
export interface ListTreeOptions {
  /** Refuse a tree with more entries than this. */
  maxEntries: number;
  /** The calling reader, for messages. */
  fn: string;
}

/** Deepest folder nesting followed. */
const MAX_DEPTH = 64;

function what(st: import('node:fs').Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file or folder';
}

/**
 * What `path` is; for a folder, every file below it (recursively) as a path relative to it
 * with `/` separators, unsorted. Names starting with '.' (hidden files and folders, macOS
 * `._*` files) are left out; symbolic links to folders are not followed (no cycles); links to
 * files and special files are listed (reading one refuses a non-regular file by name).
 */
export async function listTree(path: string, opts: ListTreeOptions): Promise<PathKind> {
  let st: import('node:fs').Stats;
  try {
    st = await stat(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return { kind: 'missing' };
    throw new DataReadError(`${opts.fn}: cannot read '${shownName(path)}': ${err.message}`, path);
  }
  if (st.isFile()) return { kind: 'file' };
  if (!st.isDirectory()) return { kind: 'other', what: what(st) };
  const files: string[] = [];
  let entries = 0;
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH)
      throw new DataReadError(
        `${opts.fn}: '${shownName(path)}' nests folders more than ${MAX_DEPTH} deep (at '${shownName(rel)}')`,
        path,
      );
    let list: Dirent[];
    try {
      list = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw new DataReadError(
        `${opts.fn}: cannot list '${shownName(dir)}': ${(e as Error).message}`,
        path,
      );
    }
    entries += list.length;
    if (entries > opts.maxEntries)
      throw new DataBudgetError(
        `${opts.fn}: '${shownName(path)}' has more than ${opts.maxEntries} entries; point at a smaller folder`,
        path,
      );
    for (const d of list) {
      if (d.name.startsWith('.')) continue;
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(join(dir, d.name), childRel, depth + 1);
      else if (d.isSymbolicLink()) {
        const target = await stat(join(dir, d.name)).catch(() => null);
        if (target && !target.isDirectory()) files.push(childRel); // dangling links are skipped
      } else files.push(childRel);
    }
  };
  await walk(path, '', 0);
  return { kind: 'dir', files };
}

/** True where folders can be listed (Node.js). */
export const canListFolders = true;
