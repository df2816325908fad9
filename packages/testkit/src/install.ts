/**
 * The "install one package" check: build and pack workspace packages into tarballs,
 * install them with npm into a fresh temporary project offline, run a user's script there
 * and return what its last line printed (JSON).
 *
 * The npm cache of these machines holds no tarballs of third-party dependencies (a plain
 * `npm install --offline` stops at ENOTCACHED for adm-zip, a dependency of
 * onnxruntime-node), so the fresh project points `overrides` at the copies pnpm already
 * installed (every third-party dependency of the packed packages: onnxruntime-node,
 * onnxruntime-common, onnx-proto, fast-png, ...); the genmodels packages
 * themselves come only from the tarballs.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Options of {@link installAndRun}. */
export interface InstallCheckOptions {
  /** Workspace package names to build, pack and install, e.g. ['@genmodels/runtime', '@genmodels/vae']. */
  packages: readonly string[];
  /** An ES module run with `node` in the fresh project; its last stdout line must be JSON. */
  script: string;
}

/**
 * Run a command and return its stdout. Asynchronous, so that the test worker's event loop
 * keeps answering vitest while builds and installs take minutes (a blocked worker fails
 * the run with "Timeout calling onTaskUpdate" on a loaded machine).
 */
function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Run `fn` while holding a lock directory: the install checks of several packages run at
 * once under turbo, and each rebuilds (tsup cleans `dist/`) and packs @genmodels/runtime.
 */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), 'genmodels-install-check.lock');
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 600_000) await rm(lock, { recursive: true, force: true }); // left by a killed run
      if (Date.now() > deadline) throw new Error(`installAndRun: timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The directory of each workspace package under packages/, by package name. */
function packageDirs(): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const d of readdirSync(join(repo, 'packages'))) {
    const dir = join(repo, 'packages', d);
    try {
      dirs.set(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name, dir);
    } catch {
      // not a package
    }
  }
  return dirs;
}

/**
 * Pack `packages`, `npm install --offline` the tarballs into a fresh project, run `script`
 * there and return its last stdout line parsed as JSON. The temporary project is removed.
 *
 * @example const out = await installAndRun({ packages: ['@genmodels/runtime', '@genmodels/vae'], script });
 */
export async function installAndRun(opts: InstallCheckOptions): Promise<unknown> {
  const dirs = packageDirs();
  const chosen = opts.packages.map((name) => {
    const dir = dirs.get(name);
    if (!dir) throw new Error(`installAndRun: no workspace package named '${name}'`);
    return dir;
  });
  const runtimeDir = dirs.get('@genmodels/runtime');
  if (!runtimeDir) throw new Error('installAndRun: @genmodels/runtime is not in the workspace');
  const work = await mkdtemp(join(tmpdir(), 'genmodels-install-'));
  try {
    const packs = join(work, 'packs');
    const app = join(work, 'app');
    await withBuildLock(async () => {
      await sh('pnpm', opts.packages.flatMap((name) => ['--filter', name]).concat('build'), repo);
      for (const dir of chosen) await sh('pnpm', ['pack', '--pack-destination', packs], dir);
    });
    const tarballs = (await readdir(packs))
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(packs, f));
    if (tarballs.length !== chosen.length)
      throw new Error(
        `installAndRun: packed ${tarballs.length} tarballs for ${chosen.length} packages`,
      );
    // Third-party dependencies of the chosen packages (and the runtime's), from pnpm's copies.
    const thirdParty = new Map<string, string>();
    for (const dir of [runtimeDir, ...chosen]) {
      const deps = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies ?? {};
      for (const name of Object.keys(deps))
        if (!name.startsWith('@genmodels/') && !thirdParty.has(name))
          thirdParty.set(name, `file:${realpathSync(join(dir, 'node_modules', name))}`);
    }
    await mkdir(app, { recursive: true });
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'genmodels-install-check',
        version: '1.0.0',
        private: true,
        type: 'module',
        overrides: Object.fromEntries(thirdParty),
      }),
    );
    await sh(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs],
      app,
    );
    await writeFile(join(app, 'run.mjs'), opts.script);
    return JSON.parse((await sh('node', ['run.mjs'], app)).trim().split('\n').at(-1) ?? '');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
