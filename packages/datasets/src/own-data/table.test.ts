import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataReadError,
  EmptyDataError,
  parsePointTable,
  readPointTable,
  TableFormatError,
} from '../index.js';

const dir = mkdtempSync(join(tmpdir(), 'genmodels-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The error `readPointTable(path)` rejects with. */
const failure = (path: string, opts = {}): Promise<TableFormatError> =>
  readPointTable(path, opts).then(
    () => {
      throw new Error(`expected ${path} to fail`);
    },
    (e) => e as TableFormatError,
  );

describe('readPointTable', () => {
  it('reads CSV with a header, CSV without, TSV, semicolons and whitespace; CRLF, blank and # lines', async () => {
    const a = await readPointTable(file('a.csv', 'x,y\n0.5,1\n-1.5e2,2\n'));
    expect(a.columns).toEqual(['x', 'y']);
    expect(a.delimiter).toBe(',');
    expect(a.points.shape).toEqual([2, 2]);
    expect(Array.from(a.points.data)).toEqual([0.5, 1, -150, 2]);
    const b = await readPointTable(file('b.csv', '# points\r\n1,2,3\r\n\r\n4,5,6\r\n'));
    expect(b.columns).toBeNull();
    expect(b.points.shape).toEqual([2, 3]);
    expect(Array.from(b.points.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const c = await readPointTable(file('c.tsv', 'a\tb\n.25\t+3\n'));
    expect(c.delimiter).toBe('\t');
    expect(c.columns).toEqual(['a', 'b']);
    expect(Array.from(c.points.data)).toEqual([0.25, 3]);
    const d = parsePointTable('1;2\n3;4', { name: 'd.csv' });
    expect(Array.from(d.points.data)).toEqual([1, 2, 3, 4]);
    const e = parsePointTable('  1   2\n3\t 4  \n');
    expect(e.delimiter).toBe('whitespace');
    expect(Array.from(e.points.data)).toEqual([1, 2, 3, 4]);
    const q = parsePointTable('"x, left","y"\n"1",2\n');
    expect(q.columns).toEqual(['x, left', 'y']);
    expect(Array.from(q.points.data)).toEqual([1, 2]);
    const one = parsePointTable('v\n1\n2\n3');
    expect(one.points.shape).toEqual([3, 1]);
    // header: true / false override detection.
    expect(parsePointTable('1,2\n3,4', { header: true }).columns).toEqual(['1', '2']);
    expect(parsePointTable('1,2\n3,4', { header: false, delimiter: ',' }).points.shape).toEqual([
      2, 2,
    ]);
    // From bytes and Blobs too.
    const bytes = new TextEncoder().encode('\ufeffx,y\n1,2\n');
    expect((await readPointTable({ name: 'mem.csv', bytes })).columns).toEqual(['x', 'y']);
    expect(Array.from((await readPointTable(new Blob([bytes]))).points.data)).toEqual([1, 2]);
  });

  it('names the file, line and column of a ragged row, a non-numeric cell and NaN / Inf', async () => {
    let err = await failure(file('ragged.csv', 'x,y\n1,2\n\n3,4,5\n'));
    expect(err).toBeInstanceOf(TableFormatError);
    expect(err.message).toBe(
      `'${join(dir, 'ragged.csv')}' line 4: 3 cells, expected 2 as on line 1 (separator ',')`,
    );
    expect(err.line).toBe(4);
    expect(err.file).toBe(join(dir, 'ragged.csv'));
    err = await failure(file('word.csv', 'x,y\n1,2\n3,abc\n'));
    expect(err.message).toBe(
      `'${join(dir, 'word.csv')}' line 3, column 2 ("y"): "abc" is not a number`,
    );
    expect([err.line, err.column]).toEqual([3, 2]);
    err = await failure(file('empty-cell.csv', '1,2\n3,\n'));
    expect(err.message).toContain('line 2, column 2: empty cell');
    err = await failure(file('nan.csv', 'x,y\n1,2\n3,4\nNaN,1\n-inf,2\n'));
    expect(err.message).toContain(
      'line 4, column 1 ("x"): "NaN" is not a finite number (the first non-finite row)',
    );
    expect(err.line).toBe(4);
    err = await failure(file('inf.tsv', '1\t2\n1\tInfinity\n'));
    expect(err.message).toContain('line 2, column 2: "Infinity" is not a finite number');
    err = await failure(file('huge.csv', '1,2\n1e39,0\n'));
    expect(err.message).toContain('line 2, column 1: "1e39" is beyond float32\'s range');
    err = await failure(file('hex.csv', '1,2\n0x10,0\n'));
    expect(err.message).toContain('"0x10" is not a number');
    err = await failure(file('quote.csv', 'x,y\n"1,2\n'));
    expect(err.message).toContain('line 2: a quoted cell is not closed');
    // A long, odd cell is shown as a short escaped prefix.
    err = await failure(file('odd.csv', `1,2\n1,${'\u0007'.repeat(3)}${'z'.repeat(100)}\n`));
    expect(err.message).toContain(
      '"\\u0007\\u0007\\u0007zzzzzzzzzzzzzzzzzzzzz..." is not a number',
    );
  });

  it('names an empty file, a header without rows, a missing file and a FIFO', async () => {
    let err = await failure(file('empty.csv', ''));
    expect(err).toBeInstanceOf(EmptyDataError);
    expect(err.message).toContain("empty.csv': the table file is empty");
    err = await failure(file('blank.csv', '\n  \n# only a comment\n'));
    expect(err).toBeInstanceOf(EmptyDataError);
    expect(err.message).toContain('no rows besides comments');
    err = await failure(file('header.csv', 'x,y\n'));
    expect(err).toBeInstanceOf(EmptyDataError);
    expect(err.message).toContain('has a header (line 1) but no data rows');
    err = await failure(join(dir, 'missing.csv'));
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain('no file at');
    const fifo = join(dir, 'pipe.csv');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return;
    }
    err = await failure(fifo);
    expect(err).toBeInstanceOf(DataReadError);
    expect(err.message).toContain('FIFO');
  });
});
