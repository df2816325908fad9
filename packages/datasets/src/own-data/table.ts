/**
 * CSV / TSV tables of points (one row per point, one numeric column per dimension) as a
 * float32 Tensor [N, D], for the 2-D and low-dimensional models. Strict: every row has the
 * header's number of cells, every cell is a finite decimal number; the first problem is a
 * TableFormatError naming the file, the 1-based line and the column.
 */
import { Tensor } from '@genmodels/runtime';
import {
  DataReadError,
  EmptyDataError,
  shownName,
  TableFormatError,
  textPrefix,
} from './errors.js';
import { type DataSource, loadSource } from './source.js';

/** Cell separators {@link readPointTable} knows; `'whitespace'` is one or more spaces or tabs. */
export type TableDelimiter = ',' | '\t' | ';' | '|' | 'whitespace';

/** Options of {@link readPointTable} and {@link parsePointTable}. */
export interface PointTableOptions {
  /**
   * Cell separator; default `'auto'`: from the first row, tab if it has one, else comma,
   * else semicolon, else whitespace.
   */
  delimiter?: TableDelimiter | 'auto';
  /** Whether the first row names the columns; default `'auto'`: yes when any of its cells is not a number. */
  header?: 'auto' | boolean;
  /** Refuse a file larger than this many bytes. Default 64 MiB. */
  maxBytes?: number;
}

/** A table read by {@link readPointTable}. */
export interface PointTable {
  /** float32 [N, D]: row i is line i of the data, in file order. */
  points: Tensor<'float32'>;
  /** The header's column names, or null when the table has no header. */
  columns: string[] | null;
  /** The separator used (detected or given). */
  delimiter: TableDelimiter;
}

/** Default cap on a table file: 64 MiB. */
export const DEFAULT_TABLE_MAX_BYTES = 64 * 1024 ** 2;

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** Split a line into cells; double-quoted cells may hold the delimiter ("" is a quote). */
function splitCells(line: string, delim: TableDelimiter, fail: (why: string) => never): string[] {
  if (delim === 'whitespace') return line.trim().split(/[ \t]+/);
  if (!line.includes('"')) return line.split(delim).map((c) => c.trim());
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ') i++;
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) fail('a quoted cell is not closed on its line');
        cell += line.slice(i, q);
        if (line[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const next = line.indexOf(delim, i);
      const rest = (next < 0 ? line.slice(i) : line.slice(i, next)).trim();
      if (rest !== '') fail(`text after a quoted cell: ${textPrefix(rest)}`);
      cells.push(cell);
      if (next < 0) break;
      i = next + 1;
    } else {
      const next = line.indexOf(delim, i);
      cell = next < 0 ? line.slice(i) : line.slice(i, next);
      cells.push(cell.trim());
      if (next < 0) break;
      i = next + 1;
    }
  }
  return cells;
}

function detectDelimiter(line: string): TableDelimiter {
  if (line.includes('\t')) return '\t';
  if (line.includes(',')) return ',';
  if (line.includes(';')) return ';';
  return 'whitespace';
}

/**
 * Parse CSV/TSV text (see {@link readPointTable}); `name` is used in errors.
 *
 * @example
 * const { points, columns } = parsePointTable('x,y\n0.5,1\n-1,2\n'); // float32 [2, 2], ['x', 'y']
 */
export function parsePointTable(
  text: string,
  options: Omit<PointTableOptions, 'maxBytes'> & { name?: string } = {},
): PointTable {
  const name = options.name ?? '<text>';
  const shown = shownName(name);
  if (typeof text !== 'string')
    throw new DataReadError(`parsePointTable: expected the table's text, got ${typeof text}`, name);
  const lines = text.split('\n');
  // Rows to read: non-blank lines that are not '#' comments, with their 1-based line numbers.
  const rows: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    lines[i] = l;
    const t = l.trim();
    if (t !== '' && !t.startsWith('#')) rows.push(i);
  }
  if (rows.length === 0)
    throw new EmptyDataError(
      `'${shown}': the table is empty (no rows${text.trim() ? ' besides comments' : ''})`,
      name,
    );
  const delimiter =
    !options.delimiter || options.delimiter === 'auto'
      ? detectDelimiter(lines[rows[0]])
      : options.delimiter;
  const cellsOf = (r: number) =>
    splitCells(lines[r], delimiter, (why) => {
      throw new TableFormatError(`'${shown}' line ${r + 1}: ${why}`, name, r + 1);
    });
  const first = cellsOf(rows[0]);
  const isHeader =
    options.header === true ||
    ((options.header ?? 'auto') === 'auto' && first.some((c) => !NUMBER.test(c)));
  const columns = isHeader ? first : null;
  const dataRows = isHeader ? rows.slice(1) : rows;
  const d = first.length;
  if (dataRows.length === 0)
    throw new EmptyDataError(
      `'${shown}': the table has a header (line ${rows[0] + 1}) but no data rows`,
      name,
    );
  const out = new Float32Array(dataRows.length * d);
  const shownDelim =
    delimiter === '\t' ? 'tab' : delimiter === 'whitespace' ? 'whitespace' : `'${delimiter}'`;
  dataRows.forEach((r, n) => {
    const cells = cellsOf(r);
    if (cells.length !== d)
      throw new TableFormatError(
        `'${shown}' line ${r + 1}: ${cells.length} cell${cells.length === 1 ? '' : 's'}, expected ${d} as on line ${rows[0] + 1} (separator ${shownDelim})`,
        name,
        r + 1,
      );
    for (let j = 0; j < d; j++) {
      const c = cells[j];
      const at = `'${shown}' line ${r + 1}, column ${j + 1}${columns ? ` (${textPrefix(columns[j], 16)})` : ''}`;
      if (NON_FINITE.test(c))
        throw new TableFormatError(
          `${at}: ${textPrefix(c)} is not a finite number (the first non-finite row); remove or fix the row`,
          name,
          r + 1,
          j + 1,
        );
      if (!NUMBER.test(c))
        throw new TableFormatError(
          `${at}: ${c === '' ? 'empty cell' : `${textPrefix(c)} is not a number`}${n === 0 && options.header === false ? ' (header: false was given)' : ''}`,
          name,
          r + 1,
          j + 1,
        );
      const v = Math.fround(Number(c));
      if (!Number.isFinite(v))
        throw new TableFormatError(
          `${at}: ${textPrefix(c)} is beyond float32's range (the first non-finite row)`,
          name,
          r + 1,
          j + 1,
        );
      out[n * d + j] = v;
    }
  });
  return { points: new Tensor('float32', [dataRows.length, d], out), columns, delimiter };
}

/**
 * Read a CSV / TSV table of points as a float32 Tensor [N, D] plus the column names: a path
 * (Node.js: a regular file only, at most `maxBytes`; browsers: a URL), bytes, a `Blob` /
 * `File`, or `{ name, bytes }` (UTF-8; text already in memory goes to {@link parsePointTable}).
 *
 * - Separator: `delimiter`, or detected from the first row (tab, comma, semicolon, else
 *   whitespace). Double-quoted cells may hold the separator.
 * - Header: `header: true / false`, or detected (`'auto'`): the first row is a header when
 *   any of its cells is not a number.
 * - Blank lines and lines starting with `#` are skipped; `\r\n` line ends are fine.
 * - A row with another number of cells than the first, a cell that is not a decimal number,
 *   NaN / Inf / a value beyond float32, are each a TableFormatError naming the file, the
 *   1-based line and column (the first bad row). No rows is an EmptyDataError.
 *
 * @example
 * const { points, columns } = await readPointTable('data/points.csv'); // float32 [N, 2], ['x', 'y']
 * const tsv = await readPointTable('data/points.tsv', { header: false });
 */
export async function readPointTable(
  source: DataSource,
  options: PointTableOptions = {},
): Promise<PointTable> {
  const { name, bytes } = await loadSource(
    source,
    'readPointTable',
    options.maxBytes ?? DEFAULT_TABLE_MAX_BYTES,
  );
  if (bytes.length === 0)
    throw new EmptyDataError(`'${shownName(name)}': the table file is empty`, name);
  return parsePointTable(new TextDecoder().decode(bytes), { ...options, name });
}
