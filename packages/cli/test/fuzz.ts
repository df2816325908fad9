/**
 * The readers' fuzz suite (issue 18), run in its own process so that its peak memory is its
 * own: `node --import tsx --conditions=source packages/cli/test/fuzz.ts [seed]`.
 *
 * For each input class it feeds seeded malformed inputs to a reader and counts the outcomes:
 * a valid result, a named error (a GenmodelsError: the library's own message), or anything
 * else (an unhandled exception: a TypeError, a RangeError, V8's out-of-memory, ...). Classes:
 * - safetensors: every cut point, bit flips, random header bytes, structured header
 *   mutations (dtypes, shapes, offsets, names, metadata);
 * - idx and idx-gzip: MNIST loading from files, raw and gzipped: cut points, bit flips,
 *   dimension fields, and a gzip bomb (300 MiB of zeros in 300 KB);
 * - config-<family>: each family's model directory with every config field replaced by
 *   wrong types and huge or negative values, plus the crafted configs of the issue
 *   (flow couplings 1e308, vae latent 1e6, transformer nLayer 1e5, diffusion timesteps 1e9,
 *   diffusion channels null, vae imageSize 1e5);
 * - special-files: a FIFO or /dev/zero as model.safetensors, config.json or corpus.
 * - npy, npz, CSV and images (PNG, JPEG): cut points and bit flips, odd shapes and dtypes.
 * The last line of stdout is a JSON report: per class the counts and the first unhandled
 * messages, and the process's peak RSS (MiB).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as datasets from '@genmodels/datasets';
import { DIFFUSION_PRESETS, Diffusion, diffusionFamily } from '@genmodels/diffusion';
import { Flow, flowFamily } from '@genmodels/flow';
import { GAN, ganFamily } from '@genmodels/gan';
import {
  decodeCheckpoint,
  decodeSafetensors,
  encodeSafetensors,
  GenmodelsError,
  Rng,
  Runtime,
  Tensor,
} from '@genmodels/runtime';
import { GPT, readCorpus, Seq2seq, transformerFamily } from '@genmodels/transformer';
import { VAE, vaeFamily } from '@genmodels/vae';
import { gzipBomb } from './bomb.js';

const seed = Number(process.argv[2] ?? 1);

const rng = new Rng(seed);
/** A seeded integer in 0..n-1. */
const int = (n: number) => Math.floor(rng.uniform(1)[0] * n);

interface ClassReport {
  inputs: number;
  valid: number;
  named: number;
  unhandled: number;
  examples: string[];
}
const report: Record<string, ClassReport> = {};

/** Run one input through `read`; a hang guard turns a reader that never returns into a failure. */
async function attempt(cls: string, read: () => unknown | Promise<unknown>): Promise<void> {
  if (!report[cls]) report[cls] = { inputs: 0, valid: 0, named: 0, unhandled: 0, examples: [] };
  const r = report[cls];
  r.inputs++;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('HANG: no result in 60 s')), 60_000);
  });
  try {
    await Promise.race([Promise.resolve().then(read), hang]);
    r.valid++;
  } catch (e) {
    if (e instanceof GenmodelsError) r.named++;
    else {
      r.unhandled++;
      if (r.examples.length < 5)
        r.examples.push(`${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 300)}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The unchanged input of a class must give a valid result, or the class tests nothing. */
async function baseline(cls: string, read: () => unknown | Promise<unknown>): Promise<void> {
  const before = report[cls]?.valid ?? 0;
  await attempt(cls, read);
  const r = report[cls];
  if (r.valid === before) r.examples.unshift('BASELINE: the unchanged input does not load');
  (r as ClassReport & { baseline?: boolean }).baseline = r.valid > before;
}

/** `bytes` with bit `bit` flipped. */
function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

const work = await mkdtemp(join(tmpdir(), 'genmodels-fuzz-'));
const rt = await Runtime.create({ device: 'cpu', threads: 1 });

// ---- safetensors -------------------------------------------------------------------------
{
  const base = encodeSafetensors(
    {
      'a.weight': new Tensor(
        'float32',
        [3, 4],
        Float32Array.from({ length: 12 }, (_, i) => i),
      ),
      'b.index': new Tensor('int64', [2], BigInt64Array.from([1n, 2n])),
      'c.mask': new Tensor('uint8', [5], Uint8Array.from([1, 0, 1, 0, 1])),
    },
    { 'genmodels.family': 'vae', 'genmodels.config': '{"family":"vae"}' },
  );
  const decode = (b: Uint8Array) => decodeCheckpoint(b, 'fuzz.safetensors');
  await baseline('safetensors', () => decode(base));
  for (let cut = 0; cut < base.length; cut++)
    await attempt('safetensors', () => decode(base.subarray(0, cut)));
  for (let i = 0; i < 1500; i++)
    await attempt('safetensors', () => decode(flip(base, int(base.length * 8))));
  const n = Number(new DataView(base.buffer).getBigUint64(0, true));
  for (let i = 0; i < 500; i++) {
    const b = base.slice();
    for (let k = 0; k < 1 + int(4); k++) b[8 + int(n)] = int(256);
    await attempt('safetensors', () => decodeSafetensors(b, 'fuzz'));
  }
  const header = JSON.parse(new TextDecoder().decode(base.subarray(8, 8 + n)));
  const data = base.subarray(8 + n);
  const wild: unknown[] = [
    null,
    true,
    -1,
    0,
    1e308,
    2 ** 53,
    -(2 ** 31),
    'F32',
    'x'.repeat(5000),
    [],
    [1e18],
    [-1, 3],
    [3, -1],
    [0, 1e18],
    [2 ** 40, 2 ** 40],
    ['1'],
    { a: 1 },
    [1.5],
    [0, 0, 0],
  ];
  const fields = ['dtype', 'shape', 'data_offsets'];
  const withHeader = (h: unknown) => {
    const text = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + text.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    out.set(data, 8 + text.length);
    return out;
  };
  for (const name of Object.keys(header))
    for (const field of name === '__metadata__' ? ['genmodels.config', 'genmodels.family'] : fields)
      for (const v of wild) {
        const h = structuredClone(header);
        h[name][field] = v;
        await attempt('safetensors', () => decode(withHeader(h)));
      }
  for (const v of wild) await attempt('safetensors', () => decode(withHeader(v)));
  await attempt('safetensors', () =>
    decode(withHeader({ ['n'.repeat(100_000)]: header['a.weight'] })),
  );
}

// ---- IDX, raw and gzip, through MNIST loading from files --------------------------------
{
  const count = 3;
  const images = datasets.encodeIdx(
    [count, 28, 28],
    Uint8Array.from({ length: count * 784 }, (_, i) => i % 256),
  );
  const labels = datasets.encodeIdx(
    [count],
    Uint8Array.from({ length: count }, (_, i) => i % 10),
  );
  const load = (trainImages: Uint8Array, trainLabels: Uint8Array) =>
    datasets.mnist.train({ files: { trainImages, trainLabels } });
  await baseline('idx', () => load(images, labels));
  for (let cut = 0; cut < images.length; cut++)
    await attempt('idx', () => load(images.subarray(0, cut), labels));
  for (let cut = 0; cut < labels.length; cut++)
    await attempt('idx', () => load(images, labels.subarray(0, cut)));
  for (let i = 0; i < 800; i++)
    await attempt('idx', () => load(flip(images, int(images.length * 8)), labels));
  for (let i = 0; i < 300; i++) {
    // Dimension fields: random 32-bit values (huge counts and sizes included).
    const b = images.slice();
    new DataView(b.buffer).setUint32(4 + 4 * int(3), int(2 ** 32));
    await attempt('idx', () => load(b, labels));
  }
  const gzImages = gzipSync(images);
  await baseline('idx-gzip', () => load(gzImages, labels));
  for (let cut = 0; cut < gzImages.length; cut++)
    await attempt('idx-gzip', () => load(gzImages.subarray(0, cut), labels));
  for (let i = 0; i < 800; i++)
    await attempt('idx-gzip', () => load(flip(gzImages, int(gzImages.length * 8)), labels));
  // A gzip bomb: 300 MiB of zeros behind an IDX header, in about 300 KB.
  const bomb = await gzipBomb(300);
  await attempt('idx-gzip', () => load(bomb, labels));
  await writeFile(join(work, 'bomb-size.txt'), String(bomb.length));
}

// ---- config.json of every family -------------------------------------------------------
const WRONG: unknown[] = [
  null,
  'x',
  '8',
  -1,
  0,
  0.5,
  1e308,
  1e6,
  2 ** 31,
  [],
  {},
  true,
  [1e9, 1e9],
];

interface FamilyCase {
  cls: string;
  make: () => Promise<{ save(dir: string): Promise<void> }>;
  load: (dir: string) => Promise<unknown>;
  crafted?: Record<string, unknown>[];
}

const vocab = ['\n', ' ', 'a', 'b', 'c'];
const cases: FamilyCase[] = [
  {
    cls: 'config-vae',
    make: async () => VAE.create(rt, { imageSize: 4, latent: 2, hidden: 8 }),
    load: (d) => vaeFamily.load(rt, d),
    // In range and under the absolute limit, but far more than the file holds (4.8e7
    // parameters): refused by the comparison with the file before building.
    crafted: [
      { latent: 1e6 },
      { imageSize: 1e5 },
      { latent: 60000, hidden: 60000 },
      { latent: 4000, hidden: 4000 },
    ],
  },
  {
    cls: 'config-gan',
    make: async () => GAN.create(rt, { hidden: 8, zDim: 2 }),
    load: (d) => ganFamily.load(rt, d),
  },
  {
    cls: 'config-flow',
    make: async () => Flow.create(rt, { hidden: 8, couplings: 2 }),
    load: (d) => flowFamily.load(rt, d),
    crafted: [{ couplings: 1e308 }, { couplings: 1000, hidden: 60000 }],
  },
  {
    cls: 'config-diffusion',
    make: async () =>
      Diffusion.create(rt, { hidden: 8, layers: 1, timesteps: 10, sampleSteps: 10 }),
    load: (d) => diffusionFamily.load(rt, d),
    crafted: [{ timesteps: 1e9 }, { channels: null }, { timesteps: 1e6, sampleSteps: 10 }],
  },
  {
    cls: 'config-unet',
    make: async () =>
      Diffusion.create(rt, { ...DIFFUSION_PRESETS['mnist-unet-tiny'].config, channels: [8, 8, 8] }),
    load: (d) => diffusionFamily.load(rt, d),
    crafted: [{ channels: null }, { channels: [60000, 60000, 60000] }],
  },
  {
    cls: 'config-gpt',
    make: async () => GPT.create(rt, { nLayer: 1, nHead: 1, nEmbd: 8, blockSize: 8 }, { vocab }),
    load: (d) => transformerFamily.load(rt, d),
    // 24 layers of width 1024 (3e8 parameters, 1.2 GB if built): under the absolute limit,
    // so only the comparison with the file keeps the peak under 1 GiB.
    crafted: [
      { nLayer: 1e5 },
      { nLayer: 1000, nEmbd: 60000 },
      { vocabSize: 1e9 },
      { nLayer: 24, nEmbd: 1024 },
    ],
  },
  {
    cls: 'config-seq2seq',
    make: () => Seq2seq.create(rt, 'seq2seq-reverse'),
    load: (d) => transformerFamily.load(rt, d),
  },
];

/** The saved files with the stored config's `config` object changed by `change`. */
async function craft(dir: string, out: string, change: (c: Record<string, unknown>) => void) {
  const bytes = await readFile(join(dir, 'model.safetensors'));
  const st = decodeSafetensors(bytes);
  const stored = JSON.parse(st.metadata['genmodels.config']);
  change(stored.config);
  const text = JSON.stringify(stored);
  await mkdir(out, { recursive: true });
  await writeFile(
    join(out, 'model.safetensors'),
    encodeSafetensors(st.tensors, { ...st.metadata, 'genmodels.config': text }),
  );
  await writeFile(join(out, 'config.json'), text);
}

for (const c of cases) {
  const dir = join(work, c.cls);
  await (await c.make()).save(dir);
  const stored = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const keys = Object.keys(stored.config);
  const out = join(work, `${c.cls}-x`);
  await baseline(c.cls, () => c.load(dir));
  for (const key of keys)
    for (const v of WRONG) {
      await craft(dir, out, (cfg) => {
        cfg[key] = v;
      });
      await attempt(c.cls, () => c.load(out));
    }
  for (const change of [{}, ...(c.crafted ?? [])]) {
    await craft(dir, out, (cfg) => Object.assign(cfg, change));
    await attempt(`${c.cls}-crafted`, () => c.load(out));
  }
  // The whole config replaced by something that is not an object.
  for (const v of [null, 7, 'mnist', [], 'x'.repeat(10_000)]) {
    await craft(dir, out, (cfg) => {
      for (const k of Object.keys(cfg)) delete cfg[k];
    });
    const st = decodeSafetensors(await readFile(join(out, 'model.safetensors')));
    const s2 = JSON.parse(st.metadata['genmodels.config']);
    s2.config = v;
    await writeFile(
      join(out, 'model.safetensors'),
      encodeSafetensors(st.tensors, { ...st.metadata, 'genmodels.config': JSON.stringify(s2) }),
    );
    await attempt(c.cls, () => c.load(out));
  }
}

// ---- special files ----------------------------------------------------------------------
{
  const base = join(work, 'config-vae');
  const special = join(work, 'special');
  const fifo = join(work, 'fifo');
  execFileSync('mkfifo', [fifo]);
  for (const target of [fifo, '/dev/zero', '/proc/self/environ'])
    for (const name of ['model.safetensors', 'config.json']) {
      await rm(special, { recursive: true, force: true });
      await mkdir(special);
      for (const f of ['model.safetensors', 'config.json'])
        if (f !== name) await writeFile(join(special, f), await readFile(join(base, f)));
      await symlink(target, join(special, name));
      await attempt('special-files', () => vaeFamily.load(rt, special));
    }
  for (const target of [fifo, '/dev/zero', work])
    await attempt('special-files', () => readCorpus(target));
}

// ---- readers of your own data: npy, npz, CSV, images -----------------------------------
{
  const npy = (dtype: string, shape: number[], body: Uint8Array) => {
    const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
    let h = dict;
    while ((10 + h.length + 1) % 64 !== 0) h += ' ';
    h += '\n';
    const out = new Uint8Array(10 + h.length + body.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
    new DataView(out.buffer).setUint16(8, h.length, true);
    out.set(new TextEncoder().encode(h), 10);
    out.set(body, 10 + h.length);
    return out;
  };
  const good = npy('<f4', [3, 2], new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer));
  await baseline('npy', () => datasets.parseNpy(good, 'x.npy'));
  for (let cut = 0; cut < good.length; cut++)
    await attempt('npy', () => datasets.parseNpy(good.subarray(0, cut), 'x.npy'));
  for (let i = 0; i < 800; i++)
    await attempt('npy', () => datasets.parseNpy(flip(good, int(good.length * 8)), 'x.npy'));
  for (const shape of [[2 ** 31, 2 ** 31], [-1], [1e18], [0], [2 ** 53]])
    await attempt('npy', () => datasets.parseNpy(npy('<f4', shape, new Uint8Array(24)), 'x.npy'));
  for (const dtype of ['<f8', '|u1', '<i8', '>f4', '<c16', 'O', "'; x", '<U10'])
    await attempt('npy', () => datasets.parseNpy(npy(dtype, [3], new Uint8Array(24)), 'x.npy'));

  // .npz: a stored zip of two arrays, then cut and flipped.
  const zip = (await import('fflate')).zipSync(
    { 'x.npy': good, 'y.npy': npy('<i8', [3], new Uint8Array(24)) },
    { level: 6 },
  );
  await baseline('npz', () => datasets.parseNpz(zip, 'd.npz'));
  for (let cut = 0; cut < zip.length; cut += 3)
    await attempt('npz', () => datasets.parseNpz(zip.subarray(0, cut), 'd.npz'));
  for (let i = 0; i < 800; i++)
    await attempt('npz', () => datasets.parseNpz(flip(zip, int(zip.length * 8)), 'd.npz'));

  const csv = 'x,y\n1,2\n3,4\n5,6\n';
  await baseline('csv', () => datasets.parsePointTable(csv, { name: 'p.csv' }));
  const cells = ['', 'nan', 'inf', '1e400', 'x', '"1"', '1,2', '\u0000', '-', '1e-400', ' 7 '];
  for (let i = 0; i < 800; i++) {
    const rows = csv.split('\n');
    const r = 1 + int(3);
    const parts = rows[r].split(',');
    parts[int(2)] = cells[int(cells.length)];
    rows[r] = int(4) === 0 ? `${rows[r]},7` : parts.join(int(5) === 0 ? '\t' : ',');
    await attempt('csv', () => datasets.parsePointTable(rows.join('\n'), { name: 'p.csv' }));
  }
  for (let cut = 0; cut < csv.length; cut++)
    await attempt('csv', () => datasets.parsePointTable(csv.slice(0, cut), { name: 'p.csv' }));

  // Images: a PNG and a JPEG, cut at every 7th byte and bit-flipped, read as a folder.
  const w = 12;
  const h = 9;
  const png = datasets.encodePng({
    width: w,
    height: h,
    channels: 3,
    data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256),
  });
  const { createRequire } = await import('node:module');
  const fromDatasets = createRequire(import.meta.resolve('@genmodels/datasets'));
  const jpegJs = fromDatasets('jpeg-js') as {
    encode(
      img: { width: number; height: number; data: Uint8Array },
      q: number,
    ): { data: Uint8Array };
  };
  const jpg = new Uint8Array(
    jpegJs.encode(
      {
        width: w,
        height: h,
        data: Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 53) % 256),
      },
      90,
    ).data,
  );
  const read = (name: string, bytes: Uint8Array) =>
    datasets.readImageFiles([{ name, bytes }], { size: 8, labels: 'none' });
  await baseline('images', () => read('a.png', png));
  await baseline('images', () => read('a.jpg', jpg));
  for (const [name, bytes] of [
    ['a.png', png],
    ['a.jpg', jpg],
  ] as const) {
    for (let cut = 0; cut < bytes.length; cut += 7)
      await attempt('images', () => read(name, bytes.subarray(0, cut)));
    for (let i = 0; i < 400; i++)
      await attempt('images', () => read(name, flip(bytes, int(bytes.length * 8))));
  }
}

await rm(work, { recursive: true, force: true });
const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify({ seed, peakMiB, classes: report }));
process.exit(0);
