import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GenmodelsError } from '../errors.js';

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
