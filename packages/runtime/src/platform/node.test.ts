import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenmodelsError } from '../errors.js';
import { GUNZIP_MAX_BYTES, gunzip, readBytes } from './node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'read-bytes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readBytes (Node.js)', () => {
  it('reads a regular file whole, and gives null for a missing one', async () => {
    const f = join(dir, 'a.bin');
    await writeFile(f, Uint8Array.from([1, 2, 3]));
    expect(Array.from((await readBytes(f)) ?? [])).toEqual([1, 2, 3]);
    expect(await readBytes(join(dir, 'missing'))).toBeNull();
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(readBytes(fifo)).rejects.toThrow(
      `cannot read '${fifo}': it is a FIFO (named pipe), not a regular file`,
    );
  });

  it('refuses a link to /dev/zero and a directory, naming what they are', async () => {
    const zero = join(dir, 'zero');
    await symlink('/dev/zero', zero);
    await expect(readBytes(zero)).rejects.toThrow('it is a character device, not a regular file');
    await expect(readBytes(dir)).rejects.toThrow(GenmodelsError);
    await expect(readBytes(dir)).rejects.toThrow('directory');
  });

  it('refuses a file over maxBytes before reading it', async () => {
    const f = join(dir, 'big.bin');
    await writeFile(f, new Uint8Array(100));
    expect((await readBytes(f, { maxBytes: 100 }))?.length).toBe(100);
    await expect(readBytes(f, { maxBytes: 99 })).rejects.toThrow(
      'it has 100 bytes, more than the limit of 99',
    );
  });

  it('gunzip stops a gzip bomb at its limit with a named error', async () => {
    const zeros = gzipSync(new Uint8Array(4 * 1024 * 1024)); // 4 MiB of zeros in a few KB
    expect(zeros.length).toBeLessThan(10_000);
    expect((await gunzip(zeros)).length).toBe(4 * 1024 * 1024);
    await expect(gunzip(zeros, { maxBytes: 1024 * 1024 })).rejects.toThrow(
      'gunzip: the data expands to more than 1048576 bytes (the limit)',
    );
    expect(GUNZIP_MAX_BYTES).toBe(256 * 1024 * 1024);
  });
});
