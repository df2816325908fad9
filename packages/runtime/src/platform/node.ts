/**
 * File access on Node.js. The browser twin is `web.ts`; the package's `#platform` import
 * picks one (package.json "imports"), so browser bundles never see `node:` modules.
 * Both files export the same names with the same meaning.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GenmodelsError } from '../errors.js';

/** Which platform file access is for: 'node' (the file system) or 'web' (fetch). */
export const platformName: 'node' | 'web' = 'node';

/** `path`'s bytes, or null when there is no such file. Other failures throw GenmodelsError. */
export async function readBytes(path: string): Promise<Uint8Array | null> {
  try {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return null;
    if (err.code === 'EISDIR') throw new GenmodelsError(`cannot read '${path}': it is a directory`);
    throw new GenmodelsError(`cannot read '${path}': ${err.message}`);
  }
}

/** Create `dir` and its parents (no error when it exists). */
export async function makeDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

export const joinPath: (...parts: string[]) => string = join;
export const dirOf: (path: string) => string = dirname;
export const baseName: (path: string) => string = basename;

/** Decompress gzip bytes. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return gunzipSync(bytes);
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
