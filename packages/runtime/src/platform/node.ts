/**
 * File access on Node.js. The browser twin is `web.ts`; the package's `#platform` import
 * picks one (package.json "imports"), so browser bundles never see `node:` modules.
 * Both files export the same names with the same meaning.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GenmodelsError } from '../errors.js';
import { GUNZIP_MAX_BYTES } from './limits.js';

export { GUNZIP_MAX_BYTES };

/** Which platform file access is for: 'node' (the file system) or 'web' (fetch). */
export const platformName: 'node' | 'web' = 'node';

/** Options of {@link readBytes}. */
export interface ReadBytesOptions {
  /** Refuse a file larger than this many bytes (named in the error), before reading it. */
  maxBytes?: number;
}

/** What a path is, for messages about files that are not regular files. */
function kindOf(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * `path`'s bytes, or null when there is no such file. Only regular files are read (after
 * following links): a FIFO, a device or a directory is a GenmodelsError naming it, so a
 * reader never blocks on a pipe or reads /dev/zero until memory runs out; the size read is
 * the size the file had when opened. Other failures throw GenmodelsError.
 */
export async function readBytes(
  path: string,
  opts: ReadBytesOptions = {},
): Promise<Uint8Array | null> {
  let fh: import('node:fs/promises').FileHandle;
  try {
    // Non-blocking, so that opening a FIFO with no writer returns instead of hanging.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return null;
    if (err.code === 'EISDIR') throw new GenmodelsError(`cannot read '${path}': it is a directory`);
    throw new GenmodelsError(`cannot read '${path}': ${err.message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile())
      throw new GenmodelsError(`cannot read '${path}': it is ${kindOf(st)}, not a regular file`);
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes)
      throw new GenmodelsError(
        `cannot read '${path}': it has ${st.size} bytes, more than the limit of ${opts.maxBytes}`,
      );
    const out = new Uint8Array(st.size);
    let at = 0;
    while (at < out.length) {
      const { bytesRead } = await fh.read(out, at, out.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    // A file that shrank while being read gives what was there; one that grew, its size at open.
    return at === out.length ? out : out.subarray(0, at);
  } catch (e) {
    if (e instanceof GenmodelsError) throw e;
    throw new GenmodelsError(`cannot read '${path}': ${(e as Error).message}`);
  } finally {
    await fh.close();
  }
}

/** Create `dir` and its parents (no error when it exists). */
export async function makeDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

export const joinPath: (...parts: string[]) => string = join;
export const dirOf: (path: string) => string = dirname;
export const baseName: (path: string) => string = basename;

/**
 * Decompress gzip bytes, at most `maxBytes` of output (default {@link GUNZIP_MAX_BYTES}):
 * a small file that expands without bound (a gzip bomb) is a GenmodelsError, not an
 * out-of-memory crash.
 */
export async function gunzip(
  bytes: Uint8Array,
  opts: { maxBytes?: number } = {},
): Promise<Uint8Array> {
  const max = opts.maxBytes ?? GUNZIP_MAX_BYTES;
  try {
    return gunzipSync(bytes, { maxOutputLength: max });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      throw new GenmodelsError(`gunzip: the data expands to more than ${max} bytes (the limit)`);
    throw e;
  }
}

/** Best-effort fsync of a directory so a rename inside it is durable (no-op where unsupported). */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic.
  }
}

/** A reason a user can act on, from a Node file-system error. */
function reason(path: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return `directory '${dirname(path)}' does not exist`;
  if (err.code === 'EISDIR' || err.code === 'ENOTEMPTY' || err.code === 'EEXIST')
    return `'${path}' is a directory`;
  return err.message;
}

/**
 * Write `data` to `path` without ever leaving a partial file there: write
 * `${path}.tmp-<pid>-<random>` in the same directory, fsync, rename over `path`, and
 * remove the temp file on any failure. `path` is then either the old file (or absent)
 * or the complete new one. Failures throw `fail(reason)` (default: GenmodelsError).
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  fail: (why: string) => Error = (why) => new GenmodelsError(`cannot write '${path}': ${why}`),
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw fail(reason(path, e));
  }
  await syncDir(dirname(path));
}
