/**
 * The user's own data on the worker side: the files the page was given, read with
 * @genmodels/datasets (images: `readImageFiles`, each resized and center-cropped to
 * [C, S, S] in [0, 1]; points: `readPointTable`) and split as the CLI's `--data` does (a
 * seeded tenth held out, `splitRows`). The families turn it into a model in their workers.
 */
import { readImageFiles, readPointTable, splitRows } from '@genmodels/datasets';
import { type DataProvenance, Tensor } from '@genmodels/runtime';
import type { DataRequest, DataSummary } from './protocol.js';

/** The held-out share and the seed of the split: the CLI's defaults (`--val-fraction 0.1`, seed 0). */
export const VAL_FRACTION = 0.1;
export const SPLIT_SEED = 0;

interface Split {
  /** What was given: a folder or file name, or 'N files'. */
  source: string;
  /** Every row, in the reader's order. */
  all: Tensor<'float32'>;
  train: Tensor<'float32'>;
  val: Tensor<'float32'>;
  /** What the reader noted, for the page. */
  notes: string[];
}

/** Images float32 [N, C, S, S] in [0, 1]. */
export interface OwnImages extends Split {
  kind: 'images';
}

/** Points float32 [N, 2] as they are in the file. */
export interface OwnPoints extends Split {
  kind: 'points';
}

export type OwnData = OwnImages | OwnPoints;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Read the files of `req`; bad input is an error naming the file and what was expected. */
export async function readOwnData(req: DataRequest): Promise<OwnData> {
  const data = req.kind === 'images' ? await readImages(req) : await readTable(req);
  const n = data.all.shape[0];
  if (n < 2)
    throw new Error(
      `${req.source}: ${plural(n, req.kind === 'images' ? 'image' : 'row')}; give at least 2 (a tenth, at least one, is held out)`,
    );
  return data;
}

async function readImages(req: DataRequest): Promise<OwnImages> {
  const size = req.imageSize ?? 28;
  const set = await readImageFiles(
    req.files.map((f) => ({ name: f.path, bytes: f.file })),
    { size, labels: 'none' },
  );
  const notes = [
    set.channels === 3
      ? 'RGB (at least one image is in color; gray ones are repeated into 3 channels)'
      : 'gray (every image is gray)',
    `each image resized (shorter side to ${size}) and center-cropped to ${size}x${size}, pixels scaled to [0, 1]`,
  ];
  if (set.ignored.length > 0)
    notes.push(
      `${plural(set.ignored.length, 'file')} ignored (not PNG or JPEG), e.g. '${set.ignored[0]}'`,
    );
  return { kind: 'images', source: req.source, all: set.images, ...split(set.images), notes };
}

async function readTable(req: DataRequest): Promise<OwnPoints> {
  const [f] = req.files;
  if (req.files.length !== 1 || !f)
    throw new Error(
      `${req.source}: ${plural(req.files.length, 'table')}; give one CSV/TSV file of points`,
    );
  const { points, columns } = await readPointTable({ name: f.path, bytes: f.file });
  const d = points.shape[1];
  if (d !== 2)
    throw new Error(
      `'${f.path}' has ${plural(d, 'column')}${columns ? ` (${columns.join(', ')})` : ''}; this page trains on 2-D points: give a table of two numeric columns (x, y), one row per point`,
    );
  return {
    kind: 'points',
    source: req.source,
    all: points,
    ...split(points),
    notes: [
      `columns ${columns ? columns.join(', ') : '1, 2 (no header)'}`,
      'standardized per column for training; samples are shown in your units',
    ],
  };
}

function split(x: Tensor<'float32'>): { train: Tensor<'float32'>; val: Tensor<'float32'> } {
  return splitRows(x, VAL_FRACTION, SPLIT_SEED);
}

/**
 * What a model trained on `data` records as its `data` (saved in config.json), as the CLI's
 * `--data` does; `imageRange` is the range the family trains its images in (the VAE [0, 1],
 * the GAN and diffusion [-1, 1]).
 */
export function provenance(data: OwnData, imageRange: '01' | '-11' = '01'): DataProvenance {
  return {
    source: data.source,
    shape: [...data.all.shape],
    normalization:
      data.kind === 'points'
        ? 'standardize'
        : imageRange === '-11'
          ? 'scale to [-1, 1]'
          : 'scale to [0, 1]',
    split: {
      valFraction: VAL_FRACTION,
      seed: SPLIT_SEED,
      trainRows: data.train.shape[0],
      valRows: data.val.shape[0],
    },
  };
}

/** What the page shows about `data` (with the batch size the model trains with, and notes of the family). */
export function summary(data: OwnData, batchSize: number, notes: string[] = []): DataSummary {
  return {
    kind: data.kind,
    source: data.source,
    shape: [...data.all.shape],
    trainRows: data.train.shape[0],
    valRows: data.val.shape[0],
    batchSize,
    notes: [...data.notes, ...notes],
  };
}

/**
 * The training images and the held-out ones (undefined when none is held out) in the form a
 * model trains on, `as` applied to each (e.g. `toSignedRange`).
 */
export function imagesAs<T>(
  own: OwnImages,
  as: (x: Tensor<'float32'>) => T,
): { train: T; val: T | undefined } {
  return { train: as(own.train), val: own.val.shape[0] > 0 ? as(own.val) : undefined };
}

/** Images in [0, 1] as the same shape in [-1, 1] (2x - 1): the range of tanh generators. */
export function toSignedRange(x: Tensor<'float32'>): Tensor<'float32'> {
  const src = x.data as Float32Array;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = 2 * src[i] - 1;
  return new Tensor('float32', x.shape, out);
}

/** A square region around points [N, 2] (flat), with a margin: the scatter plots' bounds. */
export function pointBounds(points: Float32Array): {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
} {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i + 1 < points.length; i += 2) {
    x0 = Math.min(x0, points[i]);
    x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]);
    y1 = Math.max(y1, points[i + 1]);
  }
  if (!(x1 >= x0 && y1 >= y0)) return { xmin: -1, xmax: 1, ymin: -1, ymax: 1 };
  const half = 0.6 * Math.max(x1 - x0, y1 - y0) || 1;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return { xmin: cx - half, xmax: cx + half, ymin: cy - half, ymax: cy + half };
}
