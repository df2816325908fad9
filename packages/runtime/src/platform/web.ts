/**
 * File access in browsers and Web Workers: a path is a URL (relative ones resolve
 * against the page or worker), read with `fetch`. Nothing can be written to a directory;
 * models hand out their files instead (`toFiles()`), which an app downloads.
 * Same exports as `node.ts`.
 */
import { GenmodelsError } from '../errors.js';
import { GUNZIP_MAX_BYTES } from './limits.js';

export { GUNZIP_MAX_BYTES };

/** Which platform file access is for: 'node' (the file system) or 'web' (fetch). */
export const platformName: 'node' | 'web' = 'web';

function noFiles(what: string): GenmodelsError {
  return new GenmodelsError(
    `${what}: writing files needs Node.js; in a browser take the bytes instead ` +
      '(model.toFiles(), encodeOnnx) and offer them as a download',
  );
}

/** Options of {@link readBytes}. */
export interface ReadBytesOptions {
  /** Refuse a response larger than this many bytes (named in the error). */
  maxBytes?: number;
}

/** The bytes at URL `path`, or null on HTTP 404. Other failures throw GenmodelsError. */
export async function readBytes(
  path: string,
  opts: ReadBytesOptions = {},
): Promise<Uint8Array | null> {
  let res: Response;
  try {
    res = await fetch(path);
  } catch (e) {
    throw new GenmodelsError(`cannot fetch '${path}': ${(e as Error).message}`);
  }
  if (res.status === 404) return null;
  if (!res.ok)
    throw new GenmodelsError(`cannot fetch '${path}': HTTP ${res.status} ${res.statusText}`);
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  const tooLarge = (n: number) =>
    new GenmodelsError(
      `cannot fetch '${path}': it has ${n} bytes, more than the limit of ${opts.maxBytes}`,
    );
  if (opts.maxBytes !== undefined && declared > opts.maxBytes) throw tooLarge(declared);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (opts.maxBytes !== undefined && bytes.length > opts.maxBytes) throw tooLarge(bytes.length);
  return bytes;
}

export async function makeDir(dir: string): Promise<void> {
  throw noFiles(`cannot create directory '${dir}'`);
}

/** URL-style join: one '/' between parts. */
export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p !== '')
    .map((p, i) => (i === 0 ? p.replace(/\/+$/, '') : p.replace(/^\/+|\/+$/g, '')))
    .join('/');
}

export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : path.slice(0, i) || '/';
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Decompress gzip bytes with the browser's DecompressionStream, at most `maxBytes` of
 * output (default {@link GUNZIP_MAX_BYTES}); more is a GenmodelsError (a gzip bomb).
 */
export async function gunzip(
  bytes: Uint8Array,
  opts: { maxBytes?: number } = {},
): Promise<Uint8Array> {
  const max = opts.maxBytes ?? GUNZIP_MAX_BYTES;
  const reader = new Blob([bytes as BlobPart])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'))
    .getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      throw new GenmodelsError(`gunzip: the data expands to more than ${max} bytes (the limit)`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export async function writeFileAtomic(
  path: string,
  _data: Uint8Array | string,
  _fail?: (why: string) => Error,
): Promise<void> {
  throw noFiles(`cannot write '${path}'`);
}
