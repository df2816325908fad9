/**
 * Acceptance: "install one package". Packs @genmodels/runtime and @genmodels/gan into
 * tarballs, installs them with npm into a fresh project offline, and runs a short script
 * that trains a tiny GAN on generated 2-D points and samples from it.
 *
 * As in @genmodels/vae's check, the npm cache holds no third-party tarballs, so the fresh
 * project points `overrides` at the copies pnpm installed (onnxruntime-node,
 * onnxruntime-common, onnx-proto); the genmodels packages come only from the tarballs.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(pkgDir, '../..');
const runtimeDir = join(repo, 'packages/runtime');
let work = '';

const SCRIPT = `import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import { GAN } from '@genmodels/gan';
const x = new Tensor('float32', [512, 2], new Rng(0).normal([512, 2], 1, 0.1));
const rt = await Runtime.create({ device: 'cpu' });
const gan = GAN.create(rt, { arch: 'mlp', hidden: 16, batchSize: 64, lr: 1e-3 }, { seed: 0 });
const { steps } = await gan.fit(x, { steps: 50 });
const s = await gan.sample(3, 0);
console.log(JSON.stringify({ steps, kind: s.kind, shape: s.points.shape }));
`;

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('install from tarballs', () => {
  it('npm installs runtime + gan offline and a short script trains and samples', {
    timeout: 300_000,
  }, async () => {
    work = await mkdtemp(join(tmpdir(), 'gan-install-'));
    const packs = join(work, 'packs');
    const app = join(work, 'app');
    sh('pnpm', ['--filter', '@genmodels/runtime', '--filter', '@genmodels/gan', 'build'], repo);
    for (const dir of [runtimeDir, pkgDir]) sh('pnpm', ['pack', '--pack-destination', packs], dir);
    const tarballs = (await readdir(packs))
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(packs, f));
    expect(tarballs).toHaveLength(2);
    const local = (name: string) => `file:${realpathSync(join(runtimeDir, 'node_modules', name))}`;
    await mkdir(app, { recursive: true });
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'gan-install-check',
        version: '1.0.0',
        private: true,
        type: 'module',
        overrides: Object.fromEntries(
          ['onnxruntime-node', 'onnxruntime-common', 'onnx-proto'].map((n) => [n, local(n)]),
        ),
      }),
    );
    sh(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs],
      app,
    );
    await writeFile(join(app, 'run.mjs'), SCRIPT);
    const out = JSON.parse(sh('node', ['run.mjs'], app).trim().split('\n').at(-1) ?? '');
    expect(out).toEqual({ steps: 50, kind: 'points', shape: [3, 2] });
  });
});
