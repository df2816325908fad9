/**
 * Point sets for the 2-D (and any-D) families: a file of the user's own points, read by its
 * extension, and a seeded split into training and held-out rows.
 */
import { Rng, Tensor } from '@genmodels/runtime';
import { firstNonFinite } from '@genmodels/runtime/internal';
import { DataReadError, EmptyDataError } from './errors.js';
import { npyToTensor, readNpy } from './npy.js';
import type { DataSource } from './source.js';
import { readPointTable } from './table.js';

/** Options of {@link readPoints}. */
export interface ReadPointsOptions {
  /** Refuse a file larger than this many bytes (default: the reader's own cap). */
  maxBytes?: number;
}

/** The name a source goes by in messages and for its extension. */
function nameOf(source: DataSource): string {
  if (typeof source === 'string') return source;
  if (typeof Blob !== 'undefined' && source instanceof Blob && 'name' in source)
    return String((source as File).name);
  if (typeof source === 'object' && source !== null && 'name' in source)
    return String((source as { name: string }).name);
  return 'points';
}

/**
 * Points [N, D] float32 from a `.csv`, `.tsv` or `.txt` table (header optional) or a 2-D
 * `.npy` array (any float or integer dtype). Rows with NaN or Infinity are a named error.
 *
 * @example const x = await readPoints('spiral.csv'); // Tensor [N, 2]
 */
export async function readPoints(
  source: DataSource,
  options: ReadPointsOptions = {},
): Promise<Tensor<'float32'>> {
  const name = nameOf(source);
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  let x: Tensor<'float32'>;
  if (ext === 'npy') {
    const arr = await readNpy(source, { maxBytes: options.maxBytes });
    if (arr.shape.length !== 2)
      throw new DataReadError(
        `${name}: a point set is a 2-D array [N, D]; this one has shape [${arr.shape.join(', ')}]`,
        name,
      );
    const t = npyToTensor(arr);
    x =
      t.dtype === 'float32'
        ? (t as Tensor<'float32'>)
        : new Tensor(
            'float32',
            t.shape,
            Float32Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v)),
          );
  } else if (ext === 'csv' || ext === 'tsv' || ext === 'txt' || ext === '') {
    x = (await readPointTable(source, { maxBytes: options.maxBytes })).points;
  } else
    throw new DataReadError(
      `${name}: points are read from .csv, .tsv, .txt or .npy files, not .${ext}`,
      name,
    );
  if (x.shape[0] === 0) throw new EmptyDataError(`${name}: has no points`, name);
  const bad = firstNonFinite(x.data);
  if (bad >= 0) {
    const d = x.shape[1];
    throw new DataReadError(
      `${name}: point ${Math.floor(bad / d) + 1} (row ${Math.floor(bad / d)}), value ${x.data[bad]}: points must be finite`,
      name,
    );
  }
  return x;
}

/** What {@link splitRows} returns. */
export interface RowSplit<T extends Tensor> {
  train: T;
  /** The held-out rows (empty when `valFraction` is 0). */
  val: T;
}

/**
 * A seeded split of `x`'s rows: a random `valFraction` of them (rounded, at least one when
 * the fraction is above 0 and there are two rows or more) held out, the rest for training,
 * each in the original order.
 *
 * @example const { train, val } = splitRows(points, 0.1, 0);
 */
export function splitRows<T extends Tensor>(x: T, valFraction: number, seed: number): RowSplit<T> {
  if (!(valFraction >= 0 && valFraction < 1))
    throw new DataReadError(`splitRows: valFraction (${valFraction}) must be in [0, 1)`, '');
  const n = x.shape[0];
  let nVal = Math.round(n * valFraction);
  if (valFraction > 0 && n >= 2) nVal = Math.min(n - 1, Math.max(1, nVal));
  const perm = new Rng(seed).permutation(n);
  const held = new Uint8Array(n);
  for (let i = 0; i < nVal; i++) held[perm[i]] = 1;
  const trainRows: number[] = [];
  const valRows: number[] = [];
  for (let i = 0; i < n; i++) (held[i] ? valRows : trainRows).push(i);
  return { train: x.takeRows(trainRows) as T, val: x.takeRows(valRows) as T };
}
