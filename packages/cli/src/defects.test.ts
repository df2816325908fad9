/**
 * Issue 18's defects 1-8, each reproduced with the real families the way the issue found
 * it, through the CLI. Defect 5 (checkpoint metadata naming a path outside its directory)
 * is a runtime test: packages/runtime/src/io/checkpoint.test.ts ('optimizer_file') and
 * safetensors.test.ts ('never spells out the bytes'). Peak memory of the same inputs is
 * bounded in the fuzz suite (fuzz.test.ts), which runs in its own process.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diffusion } from '@genmodels/diffusion';
import { Flow } from '@genmodels/flow';
import { GAN } from '@genmodels/gan';
import { decodeSafetensors, encodeSafetensors, Runtime } from '@genmodels/runtime';
import { GPT } from '@genmodels/transformer';
import { VAE } from '@genmodels/vae';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipBomb } from '../test/bomb.js';
import { testContext } from '../test/fake-family.js';
import { main } from './main.js';
import { families } from './registry.js';

let tmp: string;
let rt: Runtime;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'genmodels-defects-'));
  rt = await Runtime.create({ device: 'cpu', threads: 1 });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** Run the CLI with the real families; exit code and the one-line stderr. */
async function cli(argv: string[]): Promise<{ code: number; err: string; out: string }> {
  const ctx = testContext(families);
  const code = await main(argv, ctx);
  return { code, err: ctx.stderr.text.trim(), out: ctx.stdout.text };
}

/** A run directory of `model`; `change` edits its stored config (metadata and config.json). */
async function runDir(
  name: string,
  model: { save(dir: string): Promise<void> },
  change?: (stored: Record<string, unknown> & { config: Record<string, unknown> }) => void,
): Promise<string> {
  const dir = join(tmp, name);
  await model.save(dir);
  if (change) {
    const st = decodeSafetensors(await readFile(join(dir, 'model.safetensors')));
    const stored = JSON.parse(st.metadata['genmodels.config']);
    change(stored);
    const text = JSON.stringify(stored);
    await writeFile(
      join(dir, 'model.safetensors'),
      encodeSafetensors(st.tensors, { ...st.metadata, 'genmodels.config': text }),
    );
    await writeFile(join(dir, 'config.json'), text);
  }
  return dir;
}

/** Each failure is one named line, no stack, exit code 1. */
function named(r: { code: number; err: string }, pattern: RegExp): void {
  expect(r.code, r.err).toBe(1);
  expect(r.err).toMatch(/^genmodels: error: /);
  expect(r.err.split('\n'), r.err).toHaveLength(1);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/TypeError|RangeError|is not iterable|Invalid typed array/);
}

describe('issue 18 defects, each a named error', () => {
  it('1: a FIFO or /dev/zero as model.safetensors, config.json or --corpus', async () => {
    const fifo = join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const vae = VAE.create(rt, { imageSize: 4, latent: 2, hidden: 8 });
    for (const [file, target, pattern] of [
      ['model.safetensors', fifo, /model\.safetensors': it is a FIFO \(named pipe\)/],
      ['model.safetensors', '/dev/zero', /model\.safetensors': it is a character device/],
      ['config.json', fifo, /config\.json': it is a FIFO \(named pipe\)/],
      ['config.json', '/dev/zero', /config\.json': it is a character device/],
    ] as const) {
      const dir = await runDir(`special-${file}-${target.length}`, vae);
      await rm(join(dir, file));
      await symlink(target, join(dir, file));
      named(await cli(['eval', 'vae', '--from', dir]), pattern);
    }
    for (const [target, pattern] of [
      [fifo, /it is a FIFO \(named pipe\)/],
      ['/dev/zero', /it is a character device/],
    ] as const) {
      const argv = ['train', 'transformer', '--preset', 'shakespeare-char', '--steps', '1'];
      const r = await cli([...argv, '--corpus', target, '--out', join(tmp, 'never')]);
      named(r, pattern);
    }
  });

  it('2: a gzip bomb as train-images-idx3-ubyte.gz is refused before it is inflated whole', async () => {
    const dir = join(tmp, 'bomb');
    await mkdir(dir);
    // 300 MiB of zeros behind an IDX header claiming 300 MiB of 28x28 images, in ~300 KB.
    const gz = await gzipBomb(300);
    expect(gz.length).toBeLessThan(1 << 20);
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), gz);
    const labels = Buffer.alloc(8 + 10);
    labels.writeUInt32BE(0x801, 0);
    labels.writeUInt32BE(10, 4);
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), labels);
    const argv = ['train', 'vae', '--preset', 'mnist-mlp', '--steps', '1', '--data-dir', dir];
    named(await cli([...argv, '--out', join(tmp, 'never')]), /gunzip|decompress|larger than/i);
  });

  it('3: config values that would exhaust memory (flow couplings 1e308, vae latent 1e6, transformer nLayer 1e5, diffusion timesteps 1e9)', async () => {
    const cases: [string, { save(d: string): Promise<void> }, Record<string, unknown>, RegExp][] = [
      ['flow', Flow.create(rt, { hidden: 8, couplings: 2 }), { couplings: 1e308 }, /couplings/],
      ['vae', VAE.create(rt, { imageSize: 4, latent: 2, hidden: 8 }), { latent: 1e6 }, /latent/],
      [
        'transformer',
        GPT.create(rt, { nLayer: 1, nHead: 1, nEmbd: 8, blockSize: 8 }, { vocab: ['a', 'b'] }),
        { nLayer: 1e5 },
        /nLayer/,
      ],
      [
        'diffusion',
        Diffusion.create(rt, { hidden: 8, layers: 1, timesteps: 10, sampleSteps: 10 }),
        { timesteps: 1e9 },
        /timesteps/,
      ],
      // In range, but far more than the file holds: refused before the network is built.
      [
        'vae',
        VAE.create(rt, { imageSize: 4, latent: 2, hidden: 8 }),
        { latent: 60000, hidden: 60000 },
        /parameters/,
      ],
    ];
    for (const [family, model, change, pattern] of cases) {
      const dir = await runDir(`big-${family}-${Object.keys(change)[0]}`, model, (s) => {
        Object.assign(s.config, change);
      });
      named(await cli(['export', family, '--from', dir, '--out', join(tmp, 'x.onnx')]), pattern);
    }
  });

  it('4: wrong-typed config values (diffusion channels null, vae imageSize 1e5) are named', async () => {
    const unet = await runDir('typed-diffusion', Diffusion.create(rt, 'mnist-unet-tiny'), (s) => {
      s.config.channels = null;
    });
    named(await cli(['eval', 'diffusion', '--from', unet]), /channels \(null\) must be an array/);
    const vae = await runDir(
      'typed-vae',
      VAE.create(rt, { imageSize: 4, latent: 2, hidden: 8 }),
      (s) => {
        s.config.imageSize = 1e5;
      },
    );
    named(await cli(['eval', 'vae', '--from', vae]), /imageSize \(100000\) must be at most 4096/);
    const gan = await runDir('typed-gan', GAN.create(rt, { hidden: 8, zDim: 2 }), (s) => {
      s.config.hidden = '8';
    });
    named(await cli(['eval', 'gan', '--from', gan]), /hidden \("8"\) must be a number/);
  });

  it('6: eval of a GPT never reads the corpus path its config records', async () => {
    const gpt = GPT.create(
      rt,
      { nLayer: 1, nHead: 1, nEmbd: 8, blockSize: 8 },
      { vocab: ['a', 'b'] },
    );
    for (const recorded of ['/dev/zero', '/etc/hostname']) {
      const dir = await runDir(`gpt-corpus-${recorded.length}`, gpt, (s) => {
        s.corpus = recorded;
      });
      const before = process.memoryUsage().rss;
      named(
        await cli(['eval', 'transformer', '--from', dir]),
        /no corpus in memory \(its config\.json says it was trained on ".*"\); pass \{ corpus: PATH \}.*eval --corpus PATH/,
      );
      expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
      // With --corpus it evaluates on the text given (a text over the model's characters).
      const text = join(tmp, 'ab.txt');
      await writeFile(text, 'ab'.repeat(400));
      const r = await cli(['eval', 'transformer', '--from', dir, '--corpus', text]);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toHaveProperty('val_loss');
    }
  });

  it('7: --n has an upper bound that names it', async () => {
    const dir = await runDir('gan-n', GAN.create(rt, { hidden: 8, zDim: 2 }));
    for (const n of ['100000000', '2147483647']) {
      // A usage error, as commander words it: the option, the value and the range.
      const r = await cli(['sample', 'gan', '--from', dir, '--n', n, '--out', join(tmp, 's.json')]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        `option '--n <n>' argument '${n}' is invalid. expected an integer from 1 to 100000`,
      );
    }
  });

  it('8: --out never replaces a FIFO or a device node', async () => {
    const dir = await runDir(
      'gpt-out',
      GPT.create(rt, { nLayer: 1, nHead: 1, nEmbd: 8, blockSize: 8 }, { vocab: ['\n', 'a'] }),
    );
    const fifo = join(tmp, 'out-fifo');
    execFileSync('mkfifo', [fifo]);
    named(
      await cli(['sample', 'transformer', '--from', dir, '--out', fifo]),
      /it is a FIFO \(named pipe\), not a regular file/,
    );
    expect((await stat(fifo)).isFIFO()).toBe(true);
    // A character device node like /dev/null (mknod needs root; elsewhere the FIFO case stands).
    const dev = join(tmp, 'out-dev');
    let made = false;
    try {
      execFileSync('mknod', [dev, 'c', '1', '3'], { stdio: 'ignore' });
      made = true;
    } catch {}
    if (made) {
      named(
        await cli(['sample', 'transformer', '--from', dir, '--out', dev]),
        /it is a character device, not a regular file/,
      );
      expect((await stat(dev)).isCharacterDevice()).toBe(true);
    }
  });
});
