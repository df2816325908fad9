#!/usr/bin/env node
/**
 * The release as users get it (`pnpm test:release`):
 *
 *  1. copies the repository (tracked and untracked, not ignored, files) to a temp dir,
 *     installs it offline from pnpm's store, runs `changeset version`, checks that
 *     `changeset status` has nothing left, and takes every package's build (`turbo run
 *     build` in the repository, cached after `pnpm build`);
 *  2. starts a local Verdaccio on 127.0.0.1 that holds @genmodels/* itself and proxies every
 *     other package to the npm registry configured on this machine, and
 *     `changeset publish`es the packages to it;
 *  3. for each of @genmodels/vae, @genmodels/transformer and @genmodels/diffusion, with npm
 *     and with pnpm (@genmodels/gan and @genmodels/flow with npm), in a fresh temp project: installs only that package from the registry,
 *     as a user would (onnxruntime-node's CUDA download skipped with
 *     ONNXRUNTIME_NODE_INSTALL=skip, see README), runs a ten-line script that trains a few
 *     steps and samples (see STAGES), and type-checks the same script as TypeScript with
 *     skipLibCheck: false and types: ["node"], under moduleResolution node16 and bundler,
 *     with the repository's TypeScript and with the latest from the registry.
 *
 * Prints a table (package, package manager, install time and size, loss, sample shape,
 * type checks) and exits 1 when any step fails. Verdaccio is stopped and the temp dir
 * removed at the end (`--keep` keeps the temp dir).
 *
 *   pnpm test:release [--keep] [--only vae,transformer] [--pm npm|pnpm]
 */
import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
    pm: { type: 'string' },
  },
});

/**
 * What a user does after installing one package, in stages: each stage installs `add`
 * (the first: the package alone), runs its script (ten lines or so, printing JSON
 * `{ loss, shape }` on its last line) and type-checks it. The transformer's first stage
 * holds without @genmodels/datasets (create, generate, save, load); training on text needs
 * it, so its second stage adds it.
 */
const STAGES = {
  vae: [
    {
      add: ['@genmodels/vae'],
      script: `import { Rng, Runtime, Tensor, VAE } from '@genmodels/vae';
const u = new Rng(0).uniform([256, 16]);
const x = new Tensor('float32', [256, 16], u.map((v) => (v > 0.5 ? 0.9 : 0.1)));
const rt = await Runtime.create({ device: 'cpu' });
const vae = VAE.create(rt, { imageSize: 4, latent: 2, hidden: 16, batchSize: 32 }, { seed: 0 });
const { lastLoss } = await vae.fit(x, { epochs: 2 });
const s = await vae.sample(3, 0);
console.log(JSON.stringify({ loss: lastLoss, shape: s.images.shape }));
`,
    },
  ],
  transformer: [
    {
      add: ['@genmodels/transformer'],
      script: `import { GPT, Runtime } from '@genmodels/transformer';
const rt = await Runtime.create({ device: 'cpu' });
const cfg = { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16 };
const gpt = GPT.create(rt, cfg, { vocab: [...' acehmost.'], seed: 0 });
const a = await gpt.generate({ prompt: 'the ', tokens: 10, seed: 1 });
await gpt.save('run');
const b = await (await GPT.load(rt, 'run')).generate({ prompt: 'the ', tokens: 10, seed: 1 });
if (a.texts[0] !== b.texts[0]) throw new Error('the loaded model generates other text');
console.log(JSON.stringify({ shape: [b.texts[0].length] }));
`,
    },
    {
      add: ['@genmodels/datasets'],
      script: `import { corpusFromText, GPT, Runtime } from '@genmodels/transformer';
const rt = await Runtime.create({ device: 'cpu' });
const corpus = await corpusFromText('the cat sat on the mat. '.repeat(40));
const cfg = { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, batchSize: 8 };
const gpt = GPT.create(rt, cfg, { vocab: corpus.chars, seed: 0 });
await gpt.fit(corpus, { steps: 20, seed: 0 });
const { val_loss } = await gpt.evaluateOn(corpus.val);
const out = await gpt.generate({ prompt: 'the ', tokens: 10, seed: 1 });
console.log(JSON.stringify({ loss: val_loss, shape: [out.texts[0].length] }));
`,
    },
  ],
  gan: [
    {
      add: ['@genmodels/gan'],
      script: `import { GAN, Rng, Runtime, Tensor } from '@genmodels/gan';
const x = new Tensor('float32', [512, 2], new Rng(0).normal([512, 2], 1, 0.1));
const rt = await Runtime.create({ device: 'cpu' });
const gan = GAN.create(rt, { arch: 'mlp', hidden: 16, batchSize: 64, lr: 1e-3 }, { seed: 0 });
const { metrics } = await gan.fit(x, { steps: 50 });
const s = await gan.sample(3, 0);
if (s.kind !== 'points') throw new Error(\`expected points, got \${s.kind}\`);
console.log(JSON.stringify({ loss: metrics.g_loss, shape: s.points.shape }));
`,
    },
  ],
  flow: [
    {
      add: ['@genmodels/flow'],
      script: `import { Flow, Rng, Runtime, Tensor } from '@genmodels/flow';
const x = new Tensor('float32', [512, 2], new Rng(0).normal([512, 2], 1, 0.5));
const rt = await Runtime.create({ device: 'cpu' });
const flow = Flow.create(rt, { dim: 2, couplings: 2, hidden: 16, batchSize: 128 }, { seed: 0 });
const { lastLoss } = await flow.fit(x, { steps: 20 });
const s = await flow.sample(3, 0);
if (s.kind !== 'points') throw new Error(\`expected points, got \${s.kind}\`);
console.log(JSON.stringify({ loss: lastLoss, shape: s.points.shape }));
`,
    },
  ],
  diffusion: [
    {
      add: ['@genmodels/diffusion'],
      script: `import { Diffusion, Rng, Runtime, Tensor } from '@genmodels/diffusion';
const z = new Rng(0).normal([512, 2]);
const x = new Tensor('float32', [512, 2], z.map((v, i) => v * 0.2 + (i % 2 ? 1 : -1)));
const rt = await Runtime.create({ device: 'cpu' });
const model = Diffusion.create(rt, 'moons-2d', { seed: 0 });
const { loss } = await model.fit(x, { steps: 5 });
const s = await model.sample(4, 0);
if (s.kind !== 'points') throw new Error(\`expected points, got \${s.kind}\`);
console.log(JSON.stringify({ loss, shape: s.points.shape }));
`,
    },
  ],
};

const rows = [];
let failed = false;
const t0 = Date.now();
const log = (m) =>
  console.log(`[release ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`);

/** Runs a command; resolves with stdout, rejects with the command, its exit and stderr's tail. */
function sh(cmd, args, cwd, env = {}) {
  return new Promise((res, rej) => {
    execFile(
      cmd,
      args,
      { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 << 20 },
      (err, stdout, stderr) => {
        if (err)
          rej(
            new Error(
              `${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message.split('\n')[0]}\n${`${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n')}`,
            ),
          );
        else res(stdout);
      },
    );
  });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Tracked and untracked, not ignored, files of the repository. */
async function copyRepo(dest) {
  const files = (await sh('git', ['ls-files', '-co', '--exclude-standard', '-z'], repo))
    .split('\0')
    .filter((f) => f && existsSync(join(repo, f)));
  for (const f of files) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    cpSync(join(repo, f), join(dest, f));
  }
  return files.length;
}

async function startVerdaccio(dir) {
  const port = await freePort();
  const upstream = (await sh('npm', ['config', 'get', 'registry'], repo)).trim();
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 10',
      'uplinks:',
      '  npmjs:',
      `    url: ${upstream}`,
      '    timeout: 120s',
      '    max_fails: 20',
      'packages:',
      "  '@genmodels/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    proxy: npmjs',
      'server:',
      '  keepAliveTimeout: 60',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const bin = join(repo, 'node_modules/verdaccio/bin/verdaccio');
  const child = spawn(
    process.execPath,
    [bin, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null)
      throw new Error(`verdaccio exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}-/ping`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 600) throw new Error(`verdaccio did not answer on ${url} within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // A user to publish as; its token goes into the npmrc every later command reads.
  const res = await fetch(`${url}-/user/org.couchdb.user:release`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'release', password: 'release-test' }),
  });
  const { token } = await res.json();
  if (!token) throw new Error(`verdaccio gave no token (${res.status})`);
  const npmrc = join(dir, 'npmrc');
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  return { child, url, upstream, npmrc };
}

function du(dir) {
  return sh('du', ['-sm', dir], dir).then((o) => Number(o.split('\t')[0]));
}

const TSCONFIGS = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

/** Type-checks index.ts of `app` with each module resolution and each TypeScript. */
async function typeCheck(app, tscs) {
  const results = [];
  for (const [tsName, tsc] of tscs) {
    for (const [modeName, mode] of Object.entries(TSCONFIGS)) {
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2022',
            ...mode,
            strict: true,
            skipLibCheck: false,
            types: ['node'],
            noEmit: true,
          },
          files: ['index.ts'],
        }),
      );
      try {
        await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
        results.push(`${tsName}/${modeName} ok`);
      } catch (e) {
        results.push(`${tsName}/${modeName} FAILED`);
        throw Object.assign(e, { partial: results });
      }
    }
  }
  return results;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'genmodels-release-'));
  let verdaccio;
  const env = { ONNXRUNTIME_NODE_INSTALL: 'skip', CI: 'true' };
  try {
    const copy = join(work, 'repo');
    log(`copied ${await copyRepo(copy)} files to ${copy}`);
    await sh('git', ['init', '-q', '-b', 'main'], copy);
    await sh('pnpm', ['install', '--offline', '--frozen-lockfile'], copy, env);
    log('installed the copy offline from the pnpm store');
    const changesets = JSON.parse(
      await sh(
        'node',
        [
          '-e',
          `console.log(JSON.stringify(require('fs').readdirSync('.changeset').filter(f=>f.endsWith('.md')&&f!=='README.md').length))`,
        ],
        copy,
      ),
    );
    await sh('pnpm', ['exec', 'changeset', 'version'], copy, env);
    const versions = {};
    for (const d of [
      'runtime',
      'datasets',
      'vae',
      'gan',
      'transformer',
      'flow',
      'diffusion',
      'cli',
    ]) {
      const p = JSON.parse(readFileSync(join(copy, 'packages', d, 'package.json'), 'utf8'));
      versions[p.name] = p.version;
      if (!existsSync(join(copy, 'packages', d, 'CHANGELOG.md')))
        throw new Error(`changeset version wrote no CHANGELOG.md for ${p.name}`);
    }
    log(
      `changeset version: ${changesets} changesets -> ${Object.entries(versions)
        .map(([n, v]) => `${n}@${v}`)
        .join(' ')}`,
    );
    await sh('git', ['add', '-A'], copy);
    await sh(
      'git',
      ['-c', 'user.name=release', '-c', 'user.email=release@localhost', 'commit', '-qm', 'version'],
      copy,
    );
    await sh('pnpm', ['exec', 'changeset', 'status', '--output', 'status.json'], copy, env);
    const status = JSON.parse(readFileSync(join(copy, 'status.json'), 'utf8'));
    if (status.changesets.length > 0 || status.releases.length > 0)
      throw new Error(
        `changeset status after the version step still lists ${status.changesets.length} changesets and releases of ${status.releases.map((r) => r.name).join(', ')}`,
      );
    log('changeset status: nothing left to release');
    // The packages' builds do not depend on their versions: build here (turbo's cache makes
    // this free after `pnpm build`) and publish these dist/ folders from the copy.
    await sh('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=./packages/*'], repo, env);
    for (const d of readdirSync(join(repo, 'packages'))) {
      const dist = join(repo, 'packages', d, 'dist');
      if (existsSync(dist)) cpSync(dist, join(copy, 'packages', d, 'dist'), { recursive: true });
    }
    log('built every package');

    verdaccio = await startVerdaccio(join(work, 'verdaccio'));
    const regEnv = {
      ...env,
      NPM_CONFIG_USERCONFIG: verdaccio.npmrc,
      npm_config_registry: verdaccio.url,
    };
    log(`verdaccio on ${verdaccio.url} (third-party packages from ${verdaccio.upstream})`);
    await sh('pnpm', ['exec', 'changeset', 'publish'], copy, regEnv);
    for (const [name, version] of Object.entries(versions)) {
      const got = (await sh('npm', ['view', `${name}@${version}`, 'version'], work, regEnv)).trim();
      if (got !== version)
        throw new Error(`${name}@${version} is not on the local registry (npm view: '${got}')`);
    }
    log('changeset publish: every package is on the local registry');

    // The latest TypeScript, once, from the registry.
    const tsLatest = join(work, 'ts-latest');
    mkdirSync(tsLatest);
    writeFileSync(join(tsLatest, 'package.json'), '{"private":true}');
    await sh('npm', ['install', '--no-audit', '--no-fund', 'typescript@latest'], tsLatest, regEnv);
    const latestVersion = JSON.parse(
      readFileSync(join(tsLatest, 'node_modules/typescript/package.json'), 'utf8'),
    ).version;
    const repoTs = join(repo, 'node_modules/typescript');
    const repoVersion = JSON.parse(readFileSync(join(repoTs, 'package.json'), 'utf8')).version;
    const tscs = [
      [`ts ${repoVersion}`, join(repoTs, 'bin/tsc')],
      [`ts ${latestVersion}`, join(tsLatest, 'node_modules/typescript/bin/tsc')],
    ];

    const only = values.only ? values.only.split(',') : Object.keys(STAGES);
    const pms = values.pm ? [values.pm] : ['npm', 'pnpm'];
    for (const pkg of only) {
      if (!STAGES[pkg])
        throw new Error(`--only: no script for '${pkg}' (have ${Object.keys(STAGES).join(', ')})`);
      // The issue's three packages with npm and pnpm; gan and flow (no longer tarball-tested
      // in their packages) with npm, to keep CI short.
      for (const pm of pms.filter((p) => p === 'npm' || !['gan', 'flow'].includes(pkg))) {
        const app = join(work, `app-${pm}-${pkg}`);
        mkdirSync(app);
        writeFileSync(
          join(app, 'package.json'),
          JSON.stringify({ name: `app-${pkg}`, version: '1.0.0', private: true, type: 'module' }),
        );
        const row = { package: `@genmodels/${pkg}`, pm };
        rows.push(row);
        try {
          const types = [];
          for (const [i, stage] of STAGES[pkg].entries()) {
            const ti = Date.now();
            if (pm === 'npm')
              await sh('npm', ['install', '--no-audit', '--no-fund', ...stage.add], app, regEnv);
            else await sh('pnpm', ['add', ...stage.add], app, regEnv);
            if (i === 0) {
              row.install = `${((Date.now() - ti) / 1000).toFixed(0)} s`;
              row.size = `${await du(join(app, 'node_modules'))} MB`;
            }
            writeFileSync(join(app, `stage${i}.mjs`), stage.script);
            const out = JSON.parse(
              (await sh('node', [`stage${i}.mjs`], app)).trim().split('\n').at(-1),
            );
            if ('loss' in out) {
              if (!Number.isFinite(out.loss))
                throw new Error(`stage ${i}: the script's loss is ${out.loss}`);
              row.loss = out.loss.toFixed(4);
            }
            row.samples = `[${out.shape.join(', ')}]`;
            // The same script as TypeScript, with @types/node as a user's project has it.
            if (i === 0) {
              if (pm === 'npm')
                await sh(
                  'npm',
                  ['install', '--no-audit', '--no-fund', '-D', '@types/node@20'],
                  app,
                  regEnv,
                );
              else await sh('pnpm', ['add', '-D', '@types/node@20'], app, regEnv);
            }
            writeFileSync(join(app, 'index.ts'), stage.script);
            types.push(...(await typeCheck(app, tscs)));
            row.types = `ok x${types.length}`;
          }
        } catch (e) {
          failed = true;
          row.error = e.message;
          if (e.partial) row.types = e.partial.join(', ');
        }
        log(`${row.package} with ${pm}: ${row.error ? 'FAILED' : 'ok'}`);
      }
    }
    console.log(
      `\ntype checks: skipLibCheck false, types ["node"], strict; moduleResolution node16 and bundler; ${tscs.map(([n]) => n).join(' and ')}`,
    );
  } finally {
    verdaccio?.child.kill();
    if (values.keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  failed = true;
  console.error(`\nrelease test: ${e.message}`);
}
if (rows.length) {
  console.log('\n| package | pm | install | node_modules | loss | samples | types |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows)
    console.log(
      `| ${r.package} | ${r.pm} | ${r.install ?? '-'} | ${r.size ?? '-'} | ${r.loss ?? '-'} | ${r.samples ?? '-'} | ${r.types ?? '-'} |`,
    );
  for (const r of rows) if (r.error) console.log(`\n${r.package} with ${r.pm}:\n${r.error}`);
}
console.log(
  `\nrelease test ${failed ? 'FAILED' : 'passed'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);
process.exit(failed ? 1 : 0);
