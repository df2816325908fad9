/**
 * Acceptance: "install one package". Packs @genmodels/runtime and @genmodels/vae into
 * tarballs, installs them with npm into a fresh project offline, and runs a ten-line script
 * that trains a tiny VAE on generated data and samples from it.
 *
 * The npm cache of this machine holds no tarballs of the third-party dependencies
 * (a plain `npm install --offline` stops at ENOTCACHED for adm-zip, a dependency of
 * onnxruntime-node), so the fresh project points `overrides` at the copies pnpm already
 * installed (onnxruntime-node, onnxruntime-common, onnx-proto); the genmodels packages
 * themselves come only from the tarballs.
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
import { VAE } from '@genmodels/vae';
const u = new Rng(0).uniform([256, 16]);
const x = new Tensor('float32', [256, 16], u.map((v) => (v > 0.5 ? 0.9 : 0.1)));
const rt = await Runtime.create({ device: 'cpu' });
const vae = VAE.create(rt, { imageSize: 4, latent: 2, hidden: 16, batchSize: 32 }, { seed: 0 });
const { lastLoss } = await vae.fit(x, { epochs: 2 });
const s = await vae.sample(3, 0);
console.log(JSON.stringify({ lastLoss, shape: s.images.shape }));
`;

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('install from tarballs', () => {
  it('npm installs runtime + vae offline and a ten-line script trains and samples', {
    timeout: 300_000,
  }, async () => {
    work = await mkdtemp(join(tmpdir(), 'vae-install-'));
    const packs = join(work, 'packs');
    const app = join(work, 'app');
    sh('pnpm', ['--filter', '@genmodels/runtime', '--filter', '@genmodels/vae', 'build'], repo);
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
        name: 'vae-install-check',
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
    expect(SCRIPT.trim().split('\n')).toHaveLength(9);
    const out = JSON.parse(sh('node', ['run.mjs'], app).trim().split('\n').at(-1) ?? '');
    expect(out.shape).toEqual([3, 1, 4, 4]);
    expect(Number.isFinite(out.lastLoss)).toBe(true);
  });
});
