/**
 * A user's own text for the character models: one file, or every `.txt` file of a folder
 * (recursively), concatenated in a fixed order under a size cap. The text then goes to
 * `new TextCorpus(text)` (or `TextCorpus.fromFiles`, which does both).
 */
import { joinPath } from '@genmodels/runtime/internal';
import { listTree } from '#walk';
import {
  DataBudgetError,
  DataReadError,
  EmptyDataError,
  formatBytes,
  shownName,
} from './errors.js';
import { comparePaths, isHidden, normalizeRel } from './paths.js';
import { contentOf, isNamed, type NamedData, readPath } from './source.js';

/** Default cap on the total text read: 64 MiB (a text that size tokenizes into about 0.5 GB). */
export const DEFAULT_TEXT_MAX_BYTES = 64 * 1024 ** 2;

/** Options of {@link readTextFiles}. */
export interface TextFilesOptions {
  /** Refuse more than this many bytes in all (checked before each file is read). Default 64 MiB. */
  maxBytes?: number;
  /** Put between consecutive files' texts. Default `'\n'`. */
  separator?: string;
  /** File names (case-insensitive endings) read from a folder. Default `['.txt']`. */
  extensions?: readonly string[];
  /** Refuse a folder tree with more entries than this. Default 1,000,000. */
  maxEntries?: number;
}

/** What {@link readTextFiles} returns. */
export interface TextFiles {
  /** The files' texts joined by the separator, in `files` order. */
  text: string;
  /** The files read: relative paths in a folder (sorted), else the path or name given. */
  files: string[];
  /** Bytes read in all. */
  bytes: number;
}

/**
 * Read UTF-8 text: a file (any name), a folder (Node.js: every `.txt` file below it, by
 * `extensions`, recursively, in sorted path order; hidden names skipped), or a list of
 * `File` / `{ name, bytes }` entries (browsers: e.g. a dropped folder; read in sorted name
 * order). Texts are joined with `separator` (default one newline) in that order. The total
 * is capped by `maxBytes` (default 64 MiB; over it is a DataBudgetError); invalid UTF-8, a
 * FIFO or device, a missing path, or no text files at all (EmptyDataError) are errors naming
 * the file. In a browser a string is one URL (fetched).
 *
 * @example
 * const { text, files } = await readTextFiles('data/poems');   // every .txt below data/poems
 * const corpus = new TextCorpus(text);                        // or: await TextCorpus.fromFiles('data/poems')
 */
export async function readTextFiles(
  source: string | readonly (File | NamedData)[],
  options: TextFilesOptions = {},
): Promise<TextFiles> {
  const fn = 'readTextFiles';
  const maxBytes = options.maxBytes ?? DEFAULT_TEXT_MAX_BYTES;
  if (!(Number.isInteger(maxBytes) && maxBytes > 0))
    throw new DataReadError(
      `${fn}: option \`maxBytes\` must be a positive integer, got ${String(options.maxBytes)}`,
    );
  const separator = options.separator ?? '\n';
  const exts = (options.extensions ?? ['.txt']).map((e) => e.toLowerCase());
  const wanted = (rel: string) => exts.some((e) => rel.toLowerCase().endsWith(e)) && !isHidden(rel);
  let items: { rel: string; shown: string; read: (max: number) => Promise<Uint8Array> }[];
  let where: string;
  let root: string | undefined;
  if (typeof source === 'string') {
    root = source;
    where = `'${shownName(source)}'`;
    const tree = await listTree(source, { fn, maxEntries: options.maxEntries ?? 1_000_000 });
    if (tree.kind === 'missing')
      throw new DataReadError(`${fn}: no file or folder at ${where}`, source);
    if (tree.kind === 'other')
      throw new DataReadError(`${fn}: ${where} is ${tree.what}, not a file or folder`, source);
    if (tree.kind === 'file')
      items = [{ rel: source, shown: source, read: (max) => readPath(source, fn, max) }];
    else
      items = tree.files
        .filter(wanted)
        .sort(comparePaths)
        .map((rel) => {
          const full = joinPath(source, rel);
          return { rel, shown: full, read: (max: number) => readPath(full, fn, max) };
        });
  } else if (Array.isArray(source)) {
    where = `the ${source.length} given files`;
    items = source
      .map((e, i) => {
        if (typeof e !== 'object' || e === null || typeof e.name !== 'string')
          throw new DataReadError(`${fn}: entry ${i} is not a File or { name, bytes }`);
        const wr = (e as File).webkitRelativePath;
        const rel = normalizeRel(typeof wr === 'string' && wr !== '' ? wr : e.name);
        const content = isNamed(e) ? e.bytes : e;
        return { rel, shown: rel, read: (max: number) => contentOf(content, rel, fn, max) };
      })
      .filter((e) => wanted(e.rel))
      .sort((a, b) => comparePaths(a.rel, b.rel));
  } else
    throw new DataReadError(
      `${fn}: expected a path, or a list of File / { name, bytes } entries, got ${source === null ? 'null' : typeof source}`,
    );
  if (items.length === 0)
    throw new EmptyDataError(`${fn}: ${where} has no text files (${exts.join(', ')})`, root);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const texts: string[] = [];
  let total = 0;
  for (const item of items) {
    const left = maxBytes - total;
    let bytes: Uint8Array;
    try {
      bytes = await item.read(Math.max(0, left));
    } catch (e) {
      if (e instanceof DataBudgetError)
        throw new DataBudgetError(
          `${fn}: ${where}: '${shownName(item.shown)}' takes the text past the limit of ${maxBytes} bytes (${formatBytes(maxBytes)}; ${total} bytes read before it); raise \`maxBytes\` or point at fewer files`,
          item.shown,
        );
      throw e;
    }
    total += bytes.length;
    try {
      texts.push(decoder.decode(bytes));
    } catch {
      throw new DataReadError(
        `${fn}: '${shownName(item.shown)}' is not valid UTF-8 text; convert it to UTF-8 (or leave it out)`,
        item.shown,
      );
    }
  }
  return { text: texts.join(separator), files: items.map((i) => i.rel), bytes: total };
}
