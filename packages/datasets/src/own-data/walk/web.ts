/**
 * Browsers and Web Workers cannot list a folder behind a URL: a path is one file (fetched).
 * Folders come as `File` lists instead (`<input type=file webkitdirectory>`, a drop), which
 * the readers take directly. Same exports as `node.ts`.
 */

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

/** A URL is always read as one file (fetch says whether it exists). */
export async function listTree(_path: string, _opts: ListTreeOptions): Promise<PathKind> {
  return { kind: 'file' };
}

/** True where folders can be listed (Node.js). */
export const canListFolders = false;
