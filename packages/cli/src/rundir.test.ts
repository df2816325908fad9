import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeFamily, testContext } from '../test/fake-family.js';
import { main } from './main.js';
import { cleanRunLeftovers, recoverRunDir, stageRunDir } from './rundir.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'genmodels-rundir-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A pid that is not running (the kernel's pid_max is far below it). */
const DEAD = 2 ** 30 - 7;

const families = () => ({ fake: fakeFamily(), other: fakeFamily('other') });

async function train(family: string, dir: string, extra: string[] = []): Promise<number> {
  const ctx = testContext(families());
  return main(['train', family, '--steps', '2', '--out', dir, ...extra], ctx);
}

describe('run directories are written as one unit', () => {
  it('a commit replaces the old run whole: no file of the old run stays', async () => {
    const run = join(tmp, 'run');
    expect(await train('fake', run)).toBe(0);
    await writeFile(join(run, 'stale.png'), 'from the old run');
    expect(await train('other', run, ['--force'])).toBe(0);
    expect((await readdir(run)).sort()).toEqual(
      ['config.json', 'extra.png', 'metrics.json', 'model.safetensors', 'samples.png'].sort(),
    );
    expect(JSON.parse(await readFile(join(run, 'config.json'), 'utf8')).family).toBe('other');
    // Nothing of the staging is left beside it.
    expect(await readdir(tmp)).toEqual(['run']);
  });

  it('refuses a non-empty directory that is not a run, and leaves it as it was', async () => {
    const mine = join(tmp, 'mine');
    await mkdir(mine);
    await writeFile(join(mine, 'notes.txt'), 'keep me');
    const ctx = testContext(families());
    expect(await main(['train', 'fake', '--steps', '2', '--out', mine, '--force'], ctx)).toBe(1);
    expect(ctx.stderr.text).toMatch(
      /'.*mine' is not empty and is not a genmodels run directory .*choose a new or empty --out/,
    );
    expect(await readdir(mine)).toEqual(['notes.txt']);
    expect(await readdir(tmp)).toEqual(['mine']);
    // An empty directory is fine.
    const empty = join(tmp, 'empty');
    await mkdir(empty);
    expect(await train('fake', empty)).toBe(0);
  });

  it('a failed run discards its staging and leaves the old run byte-identical', async () => {
    const run = join(tmp, 'run');
    expect(await train('fake', run)).toBe(0);
    const before = await readFile(join(run, 'config.json'), 'utf8');
    const fam = fakeFamily();
    const broken = {
      ...fam,
      async train(...a: Parameters<typeof fam.train>) {
        const m = await fam.train(...a);
        return {
          ...m,
          async evaluate(): Promise<Record<string, number>> {
            throw new Error('evaluation failed');
          },
        };
      },
    };
    const ctx = testContext({ fake: broken });
    expect(await main(['train', 'fake', '--steps', '2', '--out', run], ctx)).toBe(1);
    expect(ctx.stderr.text).toContain('evaluation failed');
    expect(await readFile(join(run, 'config.json'), 'utf8')).toBe(before);
    expect(await readdir(tmp)).toEqual(['run']);
  });

  it('a save killed between its two renames is put back by the next command', async () => {
    const run = join(tmp, 'run');
    expect(await train('fake', run)).toBe(0);
    const config = await readFile(join(run, 'config.json'), 'utf8');
    // What a SIGKILL after `rename(run, old)` leaves: the old run aside, a complete staging.
    const { rename } = await import('node:fs/promises');
    await rename(run, join(tmp, `.run.old-${DEAD}-x`));
    await mkdir(join(tmp, `.run.tmp-${DEAD}-y`));
    const ctx = testContext(families());
    expect(await main(['eval', 'fake', '--from', run], ctx)).toBe(0);
    expect(await readFile(join(run, 'config.json'), 'utf8')).toBe(config);
    // The next save removes the dead process's staging.
    expect(await train('fake', run)).toBe(0);
    expect(await readdir(tmp)).toEqual(['run']);
  });

  it('leftovers of running processes are not touched; of dead ones, removed', async () => {
    const run = join(tmp, 'run');
    await mkdir(run);
    await mkdir(join(tmp, `.run.tmp-${process.pid}-live`));
    await mkdir(join(tmp, `.run.tmp-${DEAD}-dead`));
    await mkdir(join(tmp, `.run.old-${DEAD}-dead`));
    await mkdir(join(tmp, '.runner.tmp-1-other')); // another run's name: not ours
    expect(await cleanRunLeftovers(run)).toBe(2);
    expect((await readdir(tmp)).sort()).toEqual(
      ['.runner.tmp-1-other', `.run.tmp-${process.pid}-live`, 'run'].sort(),
    );
    expect(await recoverRunDir(run)).toBe(false);
  });

  it('stage, commit and discard', async () => {
    const run = join(tmp, 'run');
    const a = await stageRunDir(run);
    await writeFile(join(a.path, 'model.safetensors'), 'A');
    await a.commit();
    const b = await stageRunDir(run);
    await writeFile(join(b.path, 'model.safetensors'), 'B');
    await b.discard();
    expect(await readFile(join(run, 'model.safetensors'), 'utf8')).toBe('A');
    expect(await stat(b.path).catch(() => null)).toBeNull();
    expect(await readdir(tmp)).toEqual(['run']);
  });
});
