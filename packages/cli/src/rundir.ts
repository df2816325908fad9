/**
 * A run directory written as one unit. `train` writes every file of a run into a fresh
 * sibling `.<name>.tmp-<pid>-<random>`, then switches it into place with two renames: the
 * old run moves aside to `.<name>.old-<pid>-<random>`, the new one takes its name, and the
 * old one is deleted. A crash (even SIGKILL) at any moment leaves either the old run or the
 * new one complete: only between the two renames is the name empty, and then the old run
 * waits beside it under `.old-`, put back by the next command that reads or writes the run
 * ({@link recoverRunDir}). Leftovers of dead processes are removed on the next save.
 */
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputError } from './errors.js';

const TMP = '.tmp-';
const OLD = '.old-';

/** A leftover of a staged save: `.<name>.tmp-<pid>-<x>` or `.<name>.old-<pid>-<x>`. */
interface Leftover {
  path: string;
  kind: 'tmp' | 'old';
  pid: number;
}

/** Whether process `pid` is running (a save in progress there must not be touched). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The leftovers of saves into `dir` beside it, newest first. */
async function leftovers(dir: string): Promise<Leftover[]> {
  const parent = dirname(dir);
  const prefix = `.${basename(dir)}`;
  const names = await readdir(parent).catch(() => [] as string[]);
  const found: (Leftover & { mtime: number })[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const kind = rest.startsWith(TMP) ? 'tmp' : rest.startsWith(OLD) ? 'old' : null;
    if (!kind) continue;
    const pid = Number.parseInt(rest.slice(TMP.length), 10);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const path = join(parent, name);
    const s = await stat(path).catch(() => null);
    if (s?.isDirectory()) found.push({ path, kind, pid, mtime: s.mtimeMs });
  }
  return found.sort((a, b) => b.mtime - a.mtime);
}

/**
 * Put back a run that a crash left aside: when `dir` is missing but a save of a process
 * that is no longer running moved the old run to `.<name>.old-*`, rename it back.
 * Returns whether it did.
 */
export async function recoverRunDir(dir: string): Promise<boolean> {
  if (await stat(dir).catch(() => null)) return false;
  const old = (await leftovers(dir)).find((l) => l.kind === 'old' && !alive(l.pid));
  if (!old) return false;
  await rename(old.path, dir).catch(() => undefined);
  return !!(await stat(dir).catch(() => null));
}

/** Remove the leftovers of saves into `dir` by processes that are no longer running. */
export async function cleanRunLeftovers(dir: string): Promise<number> {
  await recoverRunDir(dir);
  let removed = 0;
  for (const l of await leftovers(dir)) {
    if (alive(l.pid)) continue;
    await rm(l.path, { recursive: true, force: true }).catch(() => undefined);
    removed++;
  }
  return removed;
}

/** fsync a directory, so the renames inside it survive a power loss (best effort). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  if (!fh) return;
  await fh.sync().catch(() => undefined);
  await fh.close();
}

/** A run being written: files go into `path`; `commit` switches it in as `dir`. */
export interface StagedRun {
  /** The run directory it will become. */
  readonly dir: string;
  /** The temporary directory the files are written into. */
  readonly path: string;
  /** Switch the staged run into place (the old run, if any, is replaced whole). */
  commit(): Promise<void>;
  /** Delete the staged files (after a failure); the old run stays as it was. */
  discard(): Promise<void>;
}

/**
 * Start writing a new run that will replace `dir` (an absolute path) as one unit. The
 * parent must exist and be writable; leftovers of earlier crashed saves are cleaned.
 */
export async function stageRunDir(dir: string): Promise<StagedRun> {
  const parent = dirname(dir);
  await cleanRunLeftovers(dir);
  const tag = () => `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const path = join(parent, `.${basename(dir)}${TMP}${tag()}`);
  try {
    await mkdir(path);
  } catch (e) {
    throw new OutputError(
      `cannot write a run into '${dir}': cannot create a directory beside it (${(e as Error).message})`,
    );
  }
  return {
    dir,
    path,
    async commit() {
      await syncDir(path);
      const existing = await stat(dir).catch(() => null);
      let old: string | null = null;
      if (existing) {
        if (!existing.isDirectory())
          throw new OutputError(`cannot replace '${dir}': it is not a directory`);
        old = join(parent, `.${basename(dir)}${OLD}${tag()}`);
        try {
          await rename(dir, old);
        } catch (e) {
          throw new OutputError(
            `cannot replace the run in '${dir}' (${(e as Error).message}); it is left as it was`,
          );
        }
      }
      try {
        await rename(path, dir);
      } catch (e) {
        if (old) await rename(old, dir).catch(() => undefined);
        throw new OutputError(
          `cannot move the new run into '${dir}' (${(e as Error).message}); the old run is left as it was`,
        );
      }
      await syncDir(parent);
      if (old) await rm(old, { recursive: true, force: true }).catch(() => undefined);
    },
    async discard() {
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
