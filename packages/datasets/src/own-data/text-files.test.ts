import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataBudgetError,
  DataReadError,
  EmptyDataError,
  readTextFiles,
  TextCorpus,
} from '../index.js';

const dir = mkdtempSync(join(tmpdir(), 'genmodels-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function put(rel: string, text: string | Uint8Array): string {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe('readTextFiles', () => {
  it('reads a file, or a folder of .txt files recursively in sorted order joined by a newline', async () => {
    put('poems/b.txt', 'second');
    put('poems/a.txt', 'first');
    put('poems/sub/c.TXT', 'third\n');
    put('poems/notes.md', 'not read');
    put('poems/.hidden.txt', 'not read');
    const all = await readTextFiles(join(dir, 'poems'));
    expect(all.files).toEqual(['a.txt', 'b.txt', 'sub/c.TXT']);
    expect(all.text).toBe('first\nsecond\nthird\n');
    expect(all.bytes).toBe(17);
    const one = await readTextFiles(join(dir, 'poems/notes.md'));
    expect(one.text).toBe('not read');
    const sep = await readTextFiles(join(dir, 'poems'), {
      separator: '\n\n',
      extensions: ['.txt', '.md'],
    });
    expect(sep.files).toEqual(['a.txt', 'b.txt', 'notes.md', 'sub/c.TXT']);
    expect(sep.text).toBe('first\n\nsecond\n\nnot read\n\nthird\n');
    const entries = await readTextFiles([
      { name: 'z.txt', bytes: new TextEncoder().encode('zz') },
      new File(['yy'], 'y.txt'),
    ]);
    expect(entries.text).toBe('yy\nzz');
    const corpus = await TextCorpus.fromFiles(join(dir, 'poems'));
    expect(corpus.text).toBe('first\nsecond\nthird\n');
  });

  it('names the cap, invalid UTF-8, an empty folder, a missing path and a FIFO', async () => {
    let err = await readTextFiles(join(dir, 'poems'), { maxBytes: 8 }).catch((e) => e);
    expect(err).toBeInstanceOf(DataBudgetError);
    expect(err.message).toContain(
      `'${join(dir, 'poems', 'b.txt')}' takes the text past the limit of 8 bytes`,
    );
    expect(err.file).toBe(join(dir, 'poems', 'b.txt'));
    put('latin1/a.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
    err = await readTextFiles(join(dir, 'latin1')).catch((e) => e);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain(`'${join(dir, 'latin1', 'a.txt')}' is not valid UTF-8`);
    mkdirSync(join(dir, 'empty'));
    err = await readTextFiles(join(dir, 'empty')).catch((e) => e);
    expect(err).toBeInstanceOf(EmptyDataError);
    expect(err.message).toContain('has no text files (.txt)');
    err = await readTextFiles(join(dir, 'nope')).catch((e) => e);
    expect(err.message).toContain('no file or folder at');
    err = await TextCorpus.fromFile(join(dir, 'poems/a.txt'), { maxBytes: 2 }).catch((e) => e);
    expect(err.message).toContain('more than the limit of 2');
    const fifo = join(dir, 'pipe.txt');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return;
    }
    err = await readTextFiles(fifo).catch((e) => e);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain('is a FIFO (named pipe), not a file or folder');
    put('withpipe/a.txt', 'a');
    execFileSync('mkfifo', [join(dir, 'withpipe/b.txt')]);
    err = await readTextFiles(join(dir, 'withpipe')).catch((e) => e);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain('FIFO');
  });
});
