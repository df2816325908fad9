/**
 * Errors of the readers for users' own data (image folders, .npy/.npz, CSV/TSV, text), and
 * the small helpers that keep their messages short and safe: a message names the file (and,
 * for tables, the line and column) and shows at most a short, escaped prefix of bad content.
 */
import { GenmodelsError } from '@genmodels/runtime';

/**
 * A user's data file or folder could not be read: missing, not a regular file (a FIFO, a
 * device), over a size cap, or malformed. Base class of every reader error below;
 * `file` names the file (or folder) when there is one.
 *
 * @example
 * try { await readNpy('x.npy'); } catch (e) { if (e instanceof DataReadError) console.error(e.file, e.message); }
 */
export class DataReadError extends GenmodelsError {
  /** The file or folder the error is about (a path, URL or entry name), when known. */
  readonly file: string | undefined;
  constructor(message: string, file?: string) {
    super(message);
    this.file = file;
  }
}

/** An image file could not be decoded (truncated, corrupt, not PNG/JPEG, unsupported kind, too large). */
export class ImageDecodeError extends DataReadError {}

/** A `.npy` / `.npz` file is malformed: bad magic or header, unsupported dtype, data length that disagrees with the header, bad zip. */
export class NpyFormatError extends DataReadError {}

/** A CSV/TSV point table is malformed; `line` (1-based) and `column` (1-based, when one cell is at fault) say where. */
export class TableFormatError extends DataReadError {
  /** 1-based line number in the file. */
  readonly line: number;
  /** 1-based column (cell) number, or undefined when the whole line is at fault. */
  readonly column: number | undefined;
  constructor(message: string, file: string, line: number, column?: number) {
    super(message, file);
    this.line = line;
    this.column = column;
  }
}

/** The data is over a size or memory cap (file bytes, decoded tensor bytes, image pixels); the message gives the estimate and the options that lower it. */
export class DataBudgetError extends DataReadError {}

/** There is nothing to read: a folder without images or text files, a table without rows. */
export class EmptyDataError extends DataReadError {}

/**
 * At most `max` bytes of `bytes` as text a message can show: printable ASCII as is,
 * everything else as `\xNN`, then `...` when there was more.
 */
export function bytePrefix(bytes: Uint8Array, max = 16): string {
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    s +=
      b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x22
        ? String.fromCharCode(b)
        : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `"${s}${bytes.length > max ? '...' : ''}"`;
}

/**
 * A string (a table cell, a header value) as a short quoted snippet for a message: at most
 * `max` characters, control and non-ASCII characters escaped (`\uXXXX`), `...` when cut.
 */
export function textPrefix(text: string, max = 24): string {
  let s = '';
  let n = 0;
  for (const ch of text) {
    if (n++ >= max) return `"${s}..."`;
    const c = ch.codePointAt(0) ?? 0;
    s +=
      c >= 0x20 && c < 0x7f && ch !== '\\' && ch !== '"'
        ? ch
        : `\\u${c > 0xffff ? `{${c.toString(16)}}` : c.toString(16).padStart(4, '0')}`;
  }
  return `"${s}"`;
}

/** A file name for a message: control characters escaped (a name cannot break a log line). */
export function shownName(name: string): string {
  let s = '';
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    s += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return s;
}

/** `n` bytes in words: `1.5 GiB`, `300 MiB`, `12 KiB`, `100 bytes`. */
export function formatBytes(n: number): string {
  const units = ['GiB', 'MiB', 'KiB'] as const;
  for (let i = 0; i < units.length; i++) {
    const scale = 1024 ** (3 - i);
    if (n >= scale) return `${Number((n / scale).toFixed(n >= 10 * scale ? 0 : 1))} ${units[i]}`;
  }
  return `${n} bytes`;
}
