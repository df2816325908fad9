/**
 * Where a reader's bytes come from: a path (Node.js: a regular file, read with the runtime's
 * `readBytes` under a byte cap; browsers: a URL, fetched), bytes already in memory, a
 * `Blob` / `File` (e.g. from `<input type=file>` or a drop), or `{ name, bytes }`.
 */
import { readBytes } from '@genmodels/runtime/internal';
import { DataBudgetError, DataReadError, formatBytes, shownName } from './errors.js';

/** File content: bytes, or a `Blob` / `File` (read when needed). */
export type DataBytes = Uint8Array | ArrayBuffer | Blob;

/** Content with a name (a relative path inside a dataset, or a file name for messages). */
export interface NamedData {
  /** The file's name or relative path (`cats/001.png`); used in messages, and for labels by the image readers. */
  name: string;
  /** The content. */
  bytes: DataBytes;
}

/**
 * What a reader reads: a path (Node.js) or URL (browsers), bytes, a `Blob` / `File`, or
 * `{ name, bytes }`.
 */
export type DataSource = string | DataBytes | NamedData;

/** Default cap on one file's size for the array and table readers: 2 GiB. */
export const DEFAULT_FILE_MAX_BYTES = 2 * 1024 ** 3;

function isBlob(x: unknown): x is Blob {
  return typeof Blob !== 'undefined' && x instanceof Blob;
}

/** `{ name, bytes }` (a `File` also has a name, and a `bytes()` method in newer runtimes: not this). */
export function isNamed(x: unknown): x is NamedData {
  return (
    typeof x === 'object' &&
    x !== null &&
    !isBlob(x) &&
    typeof (x as NamedData).name === 'string' &&
    'bytes' in x
  );
}

/** The name a source is shown as in messages. */
export function sourceName(source: DataSource): string {
  if (typeof source === 'string') return source;
  if (isNamed(source)) return source.name;
  if (isBlob(source)) return (source as File).name || '<blob>';
  return '<bytes>';
}

/** `bytes` as a Uint8Array, refusing more than `maxBytes` before reading a Blob. */
export async function contentOf(
  bytes: unknown,
  name: string,
  fn: string,
  maxBytes: number,
): Promise<Uint8Array> {
  const tooLarge = (n: number) =>
    new DataBudgetError(
      `${fn}: '${shownName(name)}' has ${n} bytes (${formatBytes(n)}), more than the limit of ${maxBytes} (${formatBytes(maxBytes)}); raise the \`maxBytes\` option if the file is meant to be this large`,
      name,
    );
  let out: Uint8Array;
  if (bytes instanceof Uint8Array) out = bytes;
  else if (bytes instanceof ArrayBuffer) out = new Uint8Array(bytes);
  else if (isBlob(bytes)) {
    if (bytes.size > maxBytes) throw tooLarge(bytes.size);
    out = new Uint8Array(await bytes.arrayBuffer());
  } else
    throw new DataReadError(
      `${fn}: '${shownName(name)}': expected bytes (Uint8Array, ArrayBuffer), a Blob/File or a path, got ${bytes === null ? 'null' : typeof bytes}`,
      name,
    );
  if (out.length > maxBytes) throw tooLarge(out.length);
  return out;
}

/**
 * The bytes at `path` (Node.js: a regular file only, at most `maxBytes`; browsers: fetched),
 * or a DataReadError naming it. A FIFO, device or directory is refused without reading.
 */
export async function readPath(path: string, fn: string, maxBytes: number): Promise<Uint8Array> {
  let bytes: Uint8Array | null;
  try {
    bytes = await readBytes(path, { maxBytes });
  } catch (e) {
    const why = (e as Error).message;
    if (/more than the limit/.test(why))
      throw new DataBudgetError(
        `${fn}: ${why}; raise the \`maxBytes\` option if the file is meant to be this large`,
        path,
      );
    throw new DataReadError(`${fn}: ${why}`, path);
  }
  if (!bytes)
    throw new DataReadError(
      `${fn}: no file at '${shownName(path)}' (a path on Node.js, a URL in browsers; or pass the bytes, a File, or { name, bytes })`,
      path,
    );
  return bytes;
}

/** A source's name and bytes, under `maxBytes`. */
export async function loadSource(
  source: DataSource,
  fn: string,
  maxBytes: number,
): Promise<{ name: string; bytes: Uint8Array }> {
  const name = sourceName(source);
  if (typeof source === 'string') return { name, bytes: await readPath(source, fn, maxBytes) };
  const raw = isNamed(source) ? source.bytes : source;
  return { name, bytes: await contentOf(raw, name, fn, maxBytes) };
}
