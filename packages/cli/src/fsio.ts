/**
 * Output-path helpers: every file the CLI writes goes through `writeOutput` (atomic,
 * parent directories created), and every failure becomes an OutputError naming the path.
 */
import { constants, type Stats } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '@genmodels/runtime/internal';
import { OutputError } from './errors.js';

/** The message of a Node file-system error, without the stack. */
function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOTDIR') return 'a parent of it is a file, not a directory';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'EEXIST') return 'a file with that name exists';
  return err.message ?? String(e);
}

/** What a path that is neither a regular file nor a directory is, for messages. */
function specialKind(s: Stats): string | null {
  if (s.isFile() || s.isDirectory()) return null;
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Create `dir` (and parents) and check that files can be written inside it. */
export async function ensureWritableDir(dir: string): Promise<string> {
  if (dir.trim() === '') throw new OutputError('the output directory is empty; give a path');
  const abs = resolve(dir);
  const existing = await stat(abs).catch(() => null);
  if (existing && !existing.isDirectory())
    throw new OutputError(`cannot write to directory '${dir}': it is a file, not a directory`);
  try {
    await mkdir(abs, { recursive: true });
    const s = await stat(abs);
    if (!s.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'EEXIST' });
    await access(abs, constants.W_OK);
  } catch (e) {
    throw new OutputError(`cannot write to directory '${dir}': ${why(e)}`);
  }
  return abs;
}

/** Check that `file` can be written: its parent is created or writable, and it is not a directory. */
export async function ensureWritableFile(file: string): Promise<string> {
  if (file.trim() === '') throw new OutputError('the output file is empty; give a path');
  const abs = resolve(file);
  await ensureWritableDir(dirname(abs)).catch((e: unknown) => {
    throw new OutputError(`cannot write '${file}': ${(e as Error).message}`);
  });
  const s = await stat(abs).catch(() => null);
  if (s?.isDirectory()) throw new OutputError(`cannot write '${file}': it is a directory`);
  // Replacing a device or a pipe by a regular file (e.g. --out /dev/null as root) is never meant.
  const special = s && specialKind(s);
  if (special)
    throw new OutputError(`cannot write '${file}': it is ${special}, not a regular file`);
  return abs;
}

/** Write `data` to `file` atomically, creating parent directories. */
export async function writeOutput(file: string, data: Uint8Array | string): Promise<void> {
  const abs = await ensureWritableFile(file);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  await writeFileAtomic(
    abs,
    bytes,
    (reason) => new OutputError(`cannot write '${file}': ${reason}`),
  );
}

/** Write `value` as pretty JSON with a trailing newline, atomically. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeOutput(file, `${JSON.stringify(value, null, 2)}\n`);
}
