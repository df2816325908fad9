import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeFamily, testContext } from '../test/fake-family.js';
import { main } from './main.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'genmodels-cli-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Train the fake family into `dir` and return the context used. */
async function trainInto(dir: string, extra: string[] = []) {
  const ctx = testContext();
  const code = await main(
    ['train', 'fake', '--preset', 'tiny', '--steps', '4', '--out', dir, ...extra],
    ctx,
  );
  expect(ctx.stderr.text).toBe('');
  expect(code).toBe(0);
  return ctx;
}

describe('train', () => {
  it('writes the run files, reports progress and where the files are', async () => {
    const dir = join(tmp, 'run');
    const ctx = await trainInto(dir, ['--seed', '3']);
    for (const f of [
      'model.safetensors',
      'config.json',
      'metrics.json',
      'samples.png',
      'extra.png',
    ]) {
      expect((await stat(join(dir, f))).size).toBeGreaterThan(0);
      expect(ctx.stdout.text).toContain(join(dir, f));
    }
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      family: 'fake',
      preset: 'tiny',
      seed: 3,
      steps: 4,
      epochs: null,
    });
    expect(config.config).toEqual({ hidden: 4, steps: 4 });
    const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
    expect(metrics).toEqual({ neg_elbo: 100.5, recon: 90.25, kl: 10.25 });
    expect(ctx.stdout.text).toMatch(/step 4\/4 .*loss 50\.0000 .*1000 samples\/s .*ETA 0s/);
    const png = await readFile(join(dir, 'samples.png'));
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  });

  it('passes preset, epochs, seed and data dir to the family; defaults to the first preset', async () => {
    const fam = fakeFamily();
    const ctx = testContext({ fake: fam });
    const args = [
      'train',
      'fake',
      '--epochs',
      '2',
      '--seed',
      '9',
      '--data-dir',
      '/d',
      '--out',
      tmp,
    ];
    expect(await main(args, ctx)).toBe(0);
    expect(fam.lastTrain).toMatchObject({ preset: 'tiny', epochs: 2, seed: 9, dataDir: '/d' });
    expect(fam.lastTrain?.steps).toBeUndefined();
  });

  it('rejects --epochs with --steps and a non-integer count', async () => {
    const ctx = testContext();
    expect(await main(['train', 'fake', '--epochs', '1', '--steps', '2', '--out', tmp], ctx)).toBe(
      1,
    );
    expect(ctx.stderr.text).toBe('genmodels: error: give either --epochs or --steps, not both\n');
    const ctx2 = testContext();
    expect(await main(['train', 'fake', '--steps', 'x', '--out', tmp], ctx2)).toBe(1);
    expect(ctx2.stderr.text).toContain("'x' is invalid. expected an integer from 1 to 1000000000");
  });
});

describe('text families', () => {
  it('train passes --corpus and keeps what save put in config.json', async () => {
    const fam = fakeFamily('lm', 'text');
    const run = join(tmp, 'lm');
    const ctx = testContext({ lm: fam });
    const args = ['train', 'lm', '--corpus', 'data/c.txt', '--out', run];
    expect(await main(args, ctx), ctx.stderr.text).toBe(0);
    expect(fam.lastTrain?.corpus).toBe(resolve('data/c.txt'));
    const cfg = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ family: 'lm', vocab: 'abc', corpus: resolve('data/c.txt') });
    expect(await readFile(join(run, 'samples.txt'), 'utf8')).toMatch(/^a{3}\n/);
  });

  it('sample streams text to stdout and passes prompt, tokens and sampling options', async () => {
    const fam = fakeFamily('lm', 'text');
    const run = join(tmp, 'lm2');
    expect(await main(['train', 'lm', '--out', run], testContext({ lm: fam }))).toBe(0);
    const ctx = testContext({ lm: fam });
    const args = ['sample', 'lm', '--from', run, '--prompt', 'RO:', '--tokens', '4'];
    args.push('--temperature', '0.8', '--top-k', '5', '--top-p', '0.9', '--seed', '1');
    expect(await main(args, ctx), ctx.stderr.text).toBe(0);
    expect(ctx.stdout.text).toBe('bbbb\n');
    expect(fam.seen.sample).toMatchObject({ prompt: 'RO:', tokens: 4, temperature: 0.8 });
    expect(fam.seen.sample).toMatchObject({ topK: 5, topP: 0.9 });
    const two = testContext({ lm: fam });
    expect(await main(['sample', 'lm', '--from', run, '--n', '2'], two)).toBe(0);
    expect(two.stdout.text).toBe('aaa\n\nbbb\n');
    // 0 is greedy decoding (the GPT takes the most likely token), not an error.
    const greedy = testContext({ lm: fam });
    expect(await main(['sample', 'lm', '--from', run, '--temperature', '0'], greedy)).toBe(0);
    expect(fam.seen.sample).toMatchObject({ temperature: 0 });
  });

  it('rejects bad sampling options, and images without --out', async () => {
    const run = join(tmp, 'lm3');
    const fam = fakeFamily('lm', 'text');
    expect(await main(['train', 'lm', '--out', run], testContext({ lm: fam }))).toBe(0);
    for (const [flag, value, msg] of [
      ['--temperature', '-1', 'expected a number >= 0'],
      ['--top-p', '1.5', 'expected a number > 0 and <= 1'],
      ['--top-k', '0', 'expected an integer from 1 to 1048576'],
    ]) {
      const ctx = testContext({ lm: fam });
      expect(await main(['sample', 'lm', '--from', run, flag, value], ctx)).toBe(1);
      expect(ctx.stderr.text).toContain(msg);
    }
    const img = join(tmp, 'img');
    await trainInto(img);
    const ctx = testContext();
    expect(await main(['sample', 'fake', '--from', img], ctx)).toBe(1);
    expect(ctx.stderr.text).toContain('fake samples are images: give --out FILE');
    // Options the family does not read are refused, not ignored.
    const noPrompt = testContext();
    const png = join(tmp, 'p.png');
    expect(
      await main(['sample', 'fake', '--from', img, '--prompt', 'x', '--out', png], noPrompt),
    ).toBe(1);
    expect(noPrompt.stderr.text).toContain(
      'fake samples take no --prompt (sample options of fake: --label, --steps, --sampler, --eta, --guidance)',
    );
    const noLabel = testContext({ lm: fam });
    expect(await main(['sample', 'lm', '--from', run, '--label', '3'], noLabel)).toBe(1);
    expect(noLabel.stderr.text).toContain(
      'lm samples take no --label (sample options of lm: --prompt, --tokens, --temperature, --top-k, --top-p)',
    );
  });

  it('passes --label to class-conditional families', async () => {
    const img = join(tmp, 'img-label');
    await trainInto(img);
    const fam = fakeFamily();
    const ctx = testContext({ fake: fam });
    const args = ['sample', 'fake', '--from', img, '--label', '7', '--out', join(tmp, 'l.png')];
    expect(await main(args, ctx), ctx.stderr.text).toBe(0);
    expect(fam.seen.sample).toMatchObject({ label: 7 });
    const more = testContext({ fake: fam });
    const extra = ['--steps', '20', '--sampler', 'ddim', '--eta', '0.5', '--guidance', '2'];
    expect(await main([...args, ...extra], more), more.stderr.text).toBe(0);
    expect(fam.seen.sample).toMatchObject({ steps: 20, sampler: 'ddim', eta: 0.5, guidance: 2 });
    const bad = testContext({ fake: fam });
    expect(await main([...args, '--eta', '2'], bad)).toBe(1);
    expect(bad.stderr.text).toContain('--eta');
  });
});

describe('sample, eval, export', () => {
  it('sample writes a PNG grid, JSON nested arrays and NPY', async () => {
    const run = join(tmp, 'run');
    await trainInto(run);
    for (const [file, check] of [
      ['s.png', (b: Buffer) => expect(b.subarray(1, 4).toString()).toBe('PNG')],
      ['s.json', (b: Buffer) => expect(JSON.parse(b.toString())).toHaveLength(5)],
      ['s.npy', (b: Buffer) => expect(b.subarray(1, 6).toString()).toBe('NUMPY')],
    ] as const) {
      const ctx = testContext();
      const out = join(tmp, 'sub', file);
      expect(await main(['sample', 'fake', '--from', run, '--n', '5', '--out', out], ctx)).toBe(0);
      expect(ctx.stdout.text).toContain(`wrote 5 samples to ${out}`);
      check(await readFile(out));
    }
    const json = JSON.parse(await readFile(join(tmp, 'sub', 's.json'), 'utf8'));
    expect([json[0].length, json[0][0].length, json[0][0][0].length]).toEqual([1, 4, 4]);
  });

  it('sample refuses an unknown extension for images', async () => {
    const run = join(tmp, 'run');
    await trainInto(run);
    const ctx = testContext();
    expect(await main(['sample', 'fake', '--from', run, '--out', join(tmp, 's.txt')], ctx)).toBe(1);
    expect(ctx.stderr.text).toMatch(/use a \.png, \.json or \.npy file\n$/);
  });

  it('eval prints the metrics as JSON', async () => {
    const run = join(tmp, 'run');
    await trainInto(run);
    const ctx = testContext();
    expect(await main(['eval', 'fake', '--from', run], ctx)).toBe(0);
    expect(JSON.parse(ctx.stdout.text)).toEqual({ neg_elbo: 100.5, recon: 90.25, kl: 10.25 });
  });

  it('export writes the default or the named part, and rejects unknown parts', async () => {
    const run = join(tmp, 'run');
    await trainInto(run);
    const out = join(tmp, 'm.onnx');
    expect(await main(['export', 'fake', '--from', run, '--out', out], testContext())).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('onnx:decoder');
    const args = ['export', 'fake', '--from', run, '--out', out, '--part', 'encoder'];
    expect(await main(args, testContext())).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('onnx:encoder');
    const ctx = testContext();
    expect(await main(['export', 'fake', '--from', run, '--out', out, '--part', 'x'], ctx)).toBe(1);
    expect(ctx.stderr.text).toContain(
      "unknown part 'x' of this fake model; parts: decoder, encoder",
    );
    const ctx2 = testContext();
    expect(await main(['export', 'fake', '--from', run, '--out', join(tmp, 'm.bin')], ctx2)).toBe(
      1,
    );
    expect(ctx2.stderr.text).toContain('should end in .onnx');
  });
});

describe('help', () => {
  it('lists commands, families, presets and parts', async () => {
    const ctx = testContext();
    expect(await main(['--help'], ctx)).toBe(0);
    for (const s of [
      'train',
      'sample',
      'eval',
      'export',
      'fake',
      '--preset tiny',
      '--preset small',
    ]) {
      expect(ctx.stdout.text).toContain(s);
    }
    expect(ctx.stdout.text).toContain('export parts: decoder, encoder');
  });

  it('lists the options of each command', async () => {
    const want: Record<string, string[]> = {
      train: ['--preset', '--epochs', '--steps', '--seed', '--device', '--out', 'tiny'],
      sample: ['--from', '--n', '--seed', '--out'],
      eval: ['--from', '--seed'],
      export: ['--from', '--out', '--part'],
    };
    for (const [cmd, opts] of Object.entries(want)) {
      const ctx = testContext();
      expect(await main([cmd, '--help'], ctx)).toBe(0);
      for (const o of opts) expect(ctx.stdout.text).toContain(o);
    }
  });

  it('fails on an unknown command with usage on stderr', async () => {
    const ctx = testContext();
    expect(await main(['frobnicate'], ctx)).toBe(1);
    expect(ctx.stderr.text).toContain("unknown command 'frobnicate'");
  });
});

describe('errors: one line on stderr, exit code 1', () => {
  async function fails(argv: string[], pattern: RegExp) {
    const ctx = testContext({ fake: fakeFamily(), other: fakeFamily('other') });
    expect(await main(argv, ctx)).toBe(1);
    expect(ctx.stderr.text).toMatch(pattern);
    expect(ctx.stderr.text.trim().split('\n')).toHaveLength(1);
    expect(ctx.stderr.text).not.toContain('    at ');
  }

  it('unknown family lists the known ones', async () => {
    await fails(
      ['train', 'gan', '--out', tmp],
      /unknown family 'gan'; known families: fake, other/,
    );
    await fails(['eval', 'gan', '--from', tmp], /unknown family 'gan'/);
  });

  it('unknown preset lists the presets', async () => {
    await fails(
      ['train', 'fake', '--preset', 'huge', '--out', tmp],
      /unknown preset 'huge' .*presets: tiny, small/,
    );
  });

  it('unknown device lists the devices', async () => {
    await fails(
      ['train', 'fake', '--device', 'tpu', '--out', tmp],
      /unknown device 'tpu'; use one of cpu, webgpu, cuda/,
    );
  });

  it('missing checkpoint directory, missing config, missing weights', async () => {
    await fails(
      ['eval', 'fake', '--from', join(tmp, 'nope')],
      /checkpoint directory '.*nope' does not exist/,
    );
    await fails(['eval', 'fake', '--from', tmp], /has no config\.json/);
    const run = join(tmp, 'run');
    await trainInto(run);
    await rm(join(run, 'model.safetensors'));
    await fails(['eval', 'fake', '--from', run], /has no model\.safetensors/);
  });

  it('corrupt config.json or weights', async () => {
    const run = join(tmp, 'run');
    await trainInto(run);
    await writeFile(join(run, 'model.safetensors'), 'garbage');
    await fails(
      ['sample', 'fake', '--from', run, '--out', join(tmp, 'a.png')],
      /cannot load checkpoint .*bad header/,
    );
    await writeFile(join(run, 'config.json'), '{"family": ');
    await fails(['eval', 'fake', '--from', run], /config\.json is not valid JSON/);
  });

  it('a FIFO or a link to /dev/zero in a run directory is refused, not read', async () => {
    const run = join(tmp, 'run');
    await trainInto(run);
    await rm(join(run, 'config.json'));
    execFileSync('mkfifo', [join(run, 'config.json')]);
    await fails(['eval', 'fake', '--from', run], /config\.json': it is a FIFO \(named pipe\)/);
    await rm(join(run, 'config.json'));
    await symlink('/dev/zero', join(run, 'config.json'));
    await fails(['eval', 'fake', '--from', run], /config\.json': it is a character device/);
  });

  it('count options name their upper bound; an empty or special --out is refused', async () => {
    const big = testContext();
    expect(await main(['sample', 'fake', '--from', tmp, '--n', '100000001'], big)).toBe(1);
    expect(big.stderr.text).toContain(
      "'100000001' is invalid. expected an integer from 1 to 100000",
    );
    for (const [argv, range] of [
      [['train', 'fake', '--epochs', '1000001'], '1 to 1000000'],
      [['train', 'fake', '--steps', '1000000001'], '1 to 1000000000'],
      [['train', 'fake', '--seed', '4294967296'], '0 to 4294967295'],
      [['sample', 'fake', '--from', tmp, '--steps', '100001'], '1 to 100000'],
      [['sample', 'fake', '--from', tmp, '--top-k', '1048577'], '1 to 1048576'],
      [['sample', 'fake', '--from', tmp, '--label', '65537'], '0 to 65536'],
    ] as const) {
      const ctx = testContext();
      expect(await main([...argv], ctx)).toBe(1);
      expect(ctx.stderr.text).toContain(`is invalid. expected an integer from ${range}`);
    }
    await fails(['train', 'fake', '--out', ''], /the output directory is empty; give a path/);
    const run = join(tmp, 'run');
    await trainInto(run);
    await fails(
      ['sample', 'fake', '--from', run, '--out', ''],
      /the output file is empty; give a path/,
    );
    const fifo = join(tmp, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    await fails(
      ['sample', 'fake', '--from', run, '--out', fifo],
      /cannot write '.*pipe\.png': it is a FIFO \(named pipe\), not a regular file/,
    );
    expect((await stat(fifo)).isFIFO()).toBe(true);
  });

  it('training into a run of another family needs --force', async () => {
    const run = join(tmp, 'run');
    await trainInto(run);
    const ctx = testContext({ fake: fakeFamily(), other: fakeFamily('other') });
    expect(await main(['train', 'other', '--steps', '2', '--out', run], ctx)).toBe(1);
    expect(ctx.stderr.text).toMatch(
      /'.*run' holds a 'fake' run \(preset tiny\); training other there would replace it: pass --force, or choose another --out/,
    );
    expect(JSON.parse(await readFile(join(run, 'config.json'), 'utf8')).family).toBe('fake');
    const forced = testContext({ fake: fakeFamily(), other: fakeFamily('other') });
    expect(await main(['train', 'other', '--steps', '2', '--out', run, '--force'], forced)).toBe(0);
    expect(JSON.parse(await readFile(join(run, 'config.json'), 'utf8')).family).toBe('other');
    // The same family retrains in place without --force.
    expect(await main(['train', 'other', '--steps', '2', '--out', run], forced)).toBe(0);
  });

  it('eval --corpus only for families that read one', async () => {
    const run = join(tmp, 'run');
    await trainInto(run);
    await fails(
      ['eval', 'fake', '--from', run, '--corpus', join(tmp, 'x.txt')],
      /^genmodels: error: fake evaluates on its own test data; it takes no --corpus$/m,
    );
  });

  it('--data: given to families that read it (absolute, with --val-fraction), recorded in config.json', async () => {
    const points = fakeFamily('points', 'images', {
      trainOptions: ['data', 'valFraction'],
      evalOptions: ['data'],
    });
    const text = fakeFamily('text', 'text', { trainOptions: ['corpus'], evalOptions: ['corpus'] });
    const fams = { fake: fakeFamily(), points, text };
    const run = join(tmp, 'run');
    const ctx = testContext(fams);
    const argv = ['train', 'points', '--steps', '2', '--out', run];
    expect(
      await main([...argv, '--data', 'p.csv', '--val-fraction', '0.2'], ctx),
      ctx.stderr.text,
    ).toBe(0);
    expect(points.lastTrain).toMatchObject({ data: resolve('p.csv'), valFraction: 0.2 });
    expect(points.lastTrain).not.toHaveProperty('imageSize');
    // Image options reach a family that reads them.
    const images = fakeFamily('images', 'images', {
      trainOptions: ['data', 'valFraction', 'imageSize', 'labels'],
    });
    const imgArgs = [
      'train',
      'images',
      '--steps',
      '1',
      '--out',
      join(tmp, 'img-run'),
      '--data',
      'pics',
    ];
    const ic = testContext({ images });
    expect(
      await main([...imgArgs, '--image-size', '32', '--labels', 'folders'], ic),
      ic.stderr.text,
    ).toBe(0);
    expect(images.lastTrain).toMatchObject({
      data: resolve('pics'),
      imageSize: 32,
      labels: 'folders',
    });
    const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
    expect(config.data).toEqual({
      source: resolve('p.csv'),
      shape: [10, 2],
      normalization: 'standardize',
      split: { valFraction: 0.2, seed: 0, trainRows: 9, valRows: 1 },
    });
    const ev = testContext(fams);
    expect(await main(['eval', 'points', '--from', run, '--data', 'held.csv'], ev)).toBe(0);
    expect(points.seen.evaluate).toEqual({ seed: 0, data: resolve('held.csv') });
    // The transformer's way: --data is its corpus, in training and in eval.
    const tr = join(tmp, 'text-run');
    expect(
      await main(
        ['train', 'text', '--steps', '1', '--out', tr, '--data', 'a.txt'],
        testContext(fams),
      ),
    ).toBe(0);
    expect(text.lastTrain).toMatchObject({ corpus: resolve('a.txt') });
    expect(text.lastTrain?.data).toBeUndefined();
    expect(await main(['eval', 'text', '--from', tr, '--data', 'b.txt'], testContext(fams))).toBe(
      0,
    );
    expect(text.seen.evaluate).toEqual({ seed: 0, corpus: resolve('b.txt') });
    // Families that read neither; both options at once; a fraction out of range.
    for (const [args, pattern] of [
      [
        ['train', 'fake', '--data', 'p.csv', '--out', join(tmp, 'n1')],
        /fake trains on its presets' own data; --data is not supported for it yet/,
      ],
      [
        ['eval', 'fake', '--from', run.replace('run', 'nope'), '--data', 'p.csv'],
        /fake evaluates on its own test data; it takes no --data/,
      ],
      [
        ['train', 'points', '--data', 'p.csv', '--corpus', 'a.txt'],
        /give --data or --corpus, not both/,
      ],
      [
        ['train', 'points', '--corpus', 'a.txt'],
        /points trains on no text corpus; give your data with --data/,
      ],
      [
        ['train', 'points', '--image-size', '32'],
        /--image-size goes with --data \(a folder of images\)/,
      ],
      [
        ['train', 'points', '--data', 'p.csv', '--labels', 'none'],
        /points takes no --labels \(its --data is not images\)/,
      ],
      [
        ['train', 'points', '--data', 'd', '--labels', 'x'],
        /argument 'x' is invalid. Allowed choices are folders, none/,
      ],
      [
        ['train', 'points', '--data', 'p.csv', '--val-fraction', '0'],
        /expected a number > 0 and <= 0\.9/,
      ],
    ] as const) {
      const c = testContext(fams);
      expect(await main([...args], c)).toBe(1);
      expect(c.stderr.text).toMatch(pattern);
    }
  });

  it('checkpoint of another family', async () => {
    const run = join(tmp, 'run');
    await trainInto(run);
    await fails(['eval', 'other', '--from', run], /is a 'fake' model, not 'other'/);
  });

  it('unwritable output paths', async () => {
    const file = join(tmp, 'file');
    await writeFile(file, 'x');
    await fails(
      ['train', 'fake', '--out', join(file, 'run')],
      /cannot write to directory .*not a directory/,
    );
    const run = join(tmp, 'run');
    await trainInto(run);
    await fails(
      ['sample', 'fake', '--from', run, '--out', join(file, 'x.png')],
      /cannot write '.*x\.png'/,
    );
    await mkdir(join(tmp, 'd.png'));
    await fails(
      ['sample', 'fake', '--from', run, '--out', join(tmp, 'd.png')],
      /'.*d\.png': it is a directory/,
    );
    await fails(
      ['export', 'fake', '--from', run, '--out', join(file, 'm.onnx')],
      /cannot write '.*m\.onnx'/,
    );
  });
});
