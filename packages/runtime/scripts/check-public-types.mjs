#!/usr/bin/env node
// @ts-check
/**
 * Consumer type check of the published types (issue 19): what a user who installs
 * @genmodels/runtime (alone) or @genmodels/runtime + @genmodels/transformer (without the
 * optional @genmodels/datasets) from npm sees when they compile with `skipLibCheck: false`.
 *
 * 1. Builds both packages with tsup (under the lock the install tests take, since tsup
 *    cleans dist/) and checks that no public .d.ts imports a module a consumer may lack
 *    (runtime: onnx-proto, whose types name an undeclared global `Long`; transformer:
 *    @genmodels/datasets).
 * 2. Packs them with `pnpm pack` (and @genmodels/datasets from its existing dist, for the
 *    "with datasets" consumer only; skipped when that dist is missing).
 * 3. Per consumer, npm-installs the tarballs into a fresh project (third-party dependencies
 *    from the registry, install scripts off), writes an index.ts that uses the public API
 *    (asserting that the types it reads are not `any`) and runs `tsc --noEmit` with
 *    `strict`, `skipLibCheck: false`, `types: ["node"]`, under module/moduleResolution
 *    node16/node16 and esnext/bundler (and bundler with `skipLibCheck: true`, where an
 *    unresolved import would hide as `any`), with the repo's TypeScript and typescript@latest
 *    (7.x: the same `tsc` CLI, `-p` and `--pretty false` included).
 *
 * CLI (exit status 1 when any check fails):
 *   node packages/runtime/scripts/check-public-types.mjs
 *        [--no-build] [--ts repo,latest,5.8.3] [--consumers runtime,runtime+transformer]
 *        [--keep] [--json]
 * As a module:
 *   const { ok, results, staticProblems } = await checkPublicTypes({ typescript: ['repo'] });
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const runtimeDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(runtimeDir, '../..');

/** Workspace packages this check knows: directory under packages/ and npm name. */
const PACKAGES = {
  runtime: { dir: 'runtime', name: '@genmodels/runtime' },
  transformer: { dir: 'transformer', name: '@genmodels/transformer' },
  datasets: { dir: 'datasets', name: '@genmodels/datasets' },
};

/** Modules a package's public .d.ts must not import (a consumer may not have them, or their types do not check). */
const FORBIDDEN_IMPORTS = {
  runtime: ['onnx-proto', 'protobufjs', 'long'],
  transformer: ['@genmodels/datasets', 'onnx-proto', 'protobufjs', 'long'],
};

/**
 * `notAny(v, false)` fails to compile where v's type is `any`, including the error type of an
 * import that did not resolve (what skipLibCheck hides; TypeScript does not report the
 * \`0 extends 1 & T\` test against that type, but does report this distributive one).
 */
const NOT_ANY = `type IsAny<T> = boolean extends (T extends never ? true : false) ? true : false;
function notAny<T>(_value: T, _isAny: IsAny<T>): void {}
`;

const RUNTIME_SOURCE = `import {
  adam,
  compileTrainStep,
  cosine,
  Graph,
  ops,
  Rng,
  Runtime,
  Tensor,
  type Value,
  VERSION,
} from '@genmodels/runtime';
import { decodeModel, encodeModel, OPSET } from '@genmodels/runtime/internal';
import { gradcheck } from '@genmodels/runtime/testing';

${NOT_ANY}
export async function useRuntime(): Promise<string[]> {
  const rng = new Rng(0);
  const rt = await Runtime.create({ device: 'cpu' });
  const step = await compileTrainStep(rt, {
    params: {
      'fc.weight': new Tensor('float32', [3, 2], rng.uniform(6, -1, 1)),
      'fc.bias': new Tensor('float32', [3], new Float32Array(3)),
    },
    inputs: { x: { dtype: 'float32', shape: ['batch', 2] }, y: { dtype: 'int64', shape: ['batch'] } },
    loss: (p: Record<string, Value>, b: Record<string, Value>) =>
      ops.crossEntropy(ops.linear(b.x, p['fc.weight'], p['fc.bias']), b.y),
    optimizer: adam(),
  });
  notAny(step, false);
  const lr = cosine(1e-2, { warmupSteps: 1, totalSteps: 10, minLr: 1e-4 });
  const x = new Tensor('float32', [4, 2], rng.normal(8));
  const y = new Tensor('int64', [4], new BigInt64Array(4));
  const r = await step.run({ x, y }, { lr: lr(0) });
  const loss: number = r.loss;

  const g = new Graph('m');
  const input = g.input('x', 'float32', ['batch', 3]);
  const model = decodeModel(encodeModel(g, { outputs: { y: ops.mul(input, 2) } }));
  notAny(model, false);
  notAny(model.graph, false);
  const dim = model.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0];
  notAny(dim, false);
  const first: string | number = dim?.dimParam || Number(dim?.dimValue);
  const opTypes = (model.graph?.node ?? []).map((n) => String(n.opType));
  const version = Number(model.opsetImport[0]?.version);

  const check = await gradcheck(rt, { a: { shape: [2, 3] } }, (v) => ops.tanh(v.a));
  const ok: boolean = check.ok;
  return [VERSION, String(OPSET), String(version), String(first), ...opTypes, String(loss), String(ok)];
}
`;

const TRANSFORMER_SOURCE = `import { Rng, Runtime, Tensor } from '@genmodels/runtime';
import {
  corpusFromText,
  GPT,
  type GptCorpus,
  readCorpus,
  Seq2seq,
  transformerFamily,
} from '@genmodels/transformer';

${NOT_ANY}
export async function useTransformer(): Promise<string> {
  const rt = await Runtime.create({ device: 'cpu' });
  const corpus: GptCorpus = await corpusFromText('the cat sat on the mat. '.repeat(20));
  notAny(corpus.train, false);
  notAny(corpus.val, false);
  const tokens: number = corpus.train.length;
  const ids: Int32Array = corpus.val.ids;
  const batch = corpus.train.randomBatch(new Rng(0), 4, 8);
  notAny(batch, false);
  const x: Tensor = batch.x;
  const gpt = GPT.create(rt, { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 8 }, { vocab: corpus.chars, seed: 0 });
  const fitted = await gpt.fit(corpus, { steps: 1, seed: 0 });
  notAny(fitted, false);
  const metrics = await gpt.evaluateOn(corpus.val);
  const valLoss: number = metrics.val_loss;
  const out = await gpt.generate({ prompt: 'the ', tokens: 4, seed: 1 });
  const fromFile: GptCorpus = await readCorpus('input.txt');
  notAny(fromFile.train, false);
  notAny(Seq2seq, false);
  notAny(transformerFamily, false);
  return [tokens, ids.length, x.shape.join('x'), valLoss, out.texts[0]].join(' ');
}
`;

const DATASETS_SOURCE = `import { TextCorpus } from '@genmodels/datasets';
${TRANSFORMER_SOURCE}
/** A corpus built with @genmodels/datasets' TextCorpus fits the transformer's types structurally. */
export async function useWithDatasets(): Promise<number> {
  const rt = await Runtime.create({ device: 'cpu' });
  const all = new TextCorpus('the cat sat on the mat. '.repeat(20));
  const { train, val } = all.split(0.9);
  const corpus: GptCorpus = { chars: all.tokenizer.chars, train, val };
  const gpt = GPT.create(rt, { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 8 }, { vocab: all.tokenizer.chars, seed: 0 });
  await gpt.fit(corpus, { steps: 1, seed: 0 });
  return (await gpt.evaluateOn(val)).val_loss;
}
`;

/** The consumer projects: which packages they install and the index.ts they compile. */
export const CONSUMERS = [
  { name: 'runtime', packages: ['runtime'], source: RUNTIME_SOURCE },
  {
    name: 'runtime+transformer',
    packages: ['runtime', 'transformer'],
    source: TRANSFORMER_SOURCE,
  },
  {
    name: 'runtime+transformer+datasets',
    packages: ['runtime', 'transformer', 'datasets'],
    source: DATASETS_SOURCE,
    optional: true,
  },
];

/**
 * The compiler settings each consumer is compiled under: `skipLibCheck: false` under both
 * resolutions, and once with `skipLibCheck: true`, where an unresolved import would pass
 * silently as `any` but for the consumer's `notAny` checks.
 */
export const RESOLUTIONS = [
  { name: 'node16', module: 'node16', moduleResolution: 'node16', skipLibCheck: false },
  { name: 'bundler', module: 'esnext', moduleResolution: 'bundler', skipLibCheck: false },
  {
    name: 'bundler+skipLibCheck',
    module: 'esnext',
    moduleResolution: 'bundler',
    skipLibCheck: true,
  },
];

/**
 * Run a command; resolves with { code, stdout, stderr } (never rejects on a non-zero exit).
 * @param {string} cmd @param {string[]} args @param {string} cwd
 * @param {{ env?: NodeJS.ProcessEnv, timeoutMs?: number }} [o]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
function sh(cmd, args, cwd, o = {}) {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      {
        cwd,
        encoding: 'utf8',
        maxBuffer: 256 << 20,
        env: { ...process.env, ...o.env },
        timeout: o.timeoutMs ?? 600_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr: err && !stderr ? err.message : stderr });
      },
    );
  });
}

/**
 * Like {@link sh}, but throws (with the command's output) on a non-zero exit.
 * @param {string} cmd @param {string[]} args @param {string} cwd
 * @param {{ env?: NodeJS.ProcessEnv, timeoutMs?: number }} [o]
 */
async function must(cmd, args, cwd, o) {
  const r = await sh(cmd, args, cwd, o);
  if (r.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Run `fn` holding the lock directory that @genmodels/testkit's install checks take, since
 * both rebuild (tsup cleans dist/) and pack @genmodels/runtime.
 * @template T @param {() => Promise<T>} fn @returns {Promise<T>}
 */
async function withBuildLock(fn) {
  const lock = join(tmpdir(), 'genmodels-install-check.lock');
  const deadline = Date.now() + 900_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'EEXIST') throw e;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 600_000) await rm(lock, { recursive: true, force: true }); // left by a killed run
      if (Date.now() > deadline)
        throw new Error(`check-public-types: timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Imports of forbidden modules (and uses of the undeclared global `Long`) in a package's
 * dist/*.d.ts, one line each.
 * @param {keyof typeof FORBIDDEN_IMPORTS} pkg @returns {string[]}
 */
export function forbiddenTypeImports(pkg) {
  const dist = join(repo, 'packages', PACKAGES[pkg].dir, 'dist');
  if (!existsSync(dist)) return [`packages/${PACKAGES[pkg].dir}/dist: missing (not built)`];
  const files = readdirSync(dist).filter((f) => f.endsWith('.d.ts'));
  if (files.length === 0) return [`packages/${PACKAGES[pkg].dir}/dist: no .d.ts files`];
  const found = [];
  for (const f of files) {
    const text = readFileSync(join(dist, f), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      const bad = FORBIDDEN_IMPORTS[pkg].find((b) => spec === b || spec.startsWith(`${b}/`));
      if (bad) found.push(`packages/${PACKAGES[pkg].dir}/dist/${f}: imports '${spec}'`);
    }
    // protobufjs' int64 class, a global no consumer declares (comments aside).
    text.split('\n').forEach((line, i) => {
      if (/\bLong\b/.test(line) && !/^\s*(\*|\/\/|\/\*)/.test(line))
        found.push(`packages/${PACKAGES[pkg].dir}/dist/${f}:${i + 1}: names 'Long'`);
    });
  }
  return found;
}

/**
 * The TypeScript compilers to run: 'repo' is the workspace's own; anything else is an npm
 * version spec of `typescript` ('latest', '5.8.3'), installed into `work`.
 * @param {string[]} specs @param {string} work
 * @returns {Promise<{ spec: string, version: string, bin: string }[]>}
 */
async function compilers(specs, work) {
  const out = [];
  for (const spec of specs) {
    let pkgJson;
    if (spec === 'repo') {
      pkgJson = createRequire(join(runtimeDir, 'package.json')).resolve('typescript/package.json');
    } else {
      const prefix = join(work, `typescript-${spec.replace(/[^\w.-]/g, '_')}`);
      await mkdir(prefix, { recursive: true });
      await writeFile(join(prefix, 'package.json'), '{"private":true}');
      await must('npm', ['install', '--no-audit', '--no-fund', `typescript@${spec}`], prefix);
      pkgJson = join(prefix, 'node_modules/typescript/package.json');
    }
    const meta = JSON.parse(readFileSync(pkgJson, 'utf8'));
    const bin = typeof meta.bin === 'string' ? meta.bin : meta.bin?.tsc;
    if (!bin) throw new Error(`typescript ${meta.version} (${spec}) has no tsc bin`);
    out.push({ spec, version: meta.version, bin: join(dirname(pkgJson), bin) });
  }
  return out;
}

/**
 * `tsc` diagnostics grouped by code and message, most frequent first: "24 x TS2304 Cannot find name 'Long'."
 * @param {string} output @returns {{ count: number, summary: string[], lines: string[] }}
 */
function diagnostics(output) {
  const lines = output.split('\n').filter((l) => /error TS\d+/.test(l));
  /** @type {Map<string, number>} */
  const byKind = new Map();
  for (const l of lines) {
    const m = /error (TS\d+): (.*)$/.exec(l);
    const key = m ? `${m[1]} ${m[2]}` : l;
    byKind.set(key, (byKind.get(key) ?? 0) + 1);
  }
  const summary = [...byKind].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} x ${k}`);
  return { count: lines.length, summary, lines };
}

/**
 * @typedef {object} CheckResult
 * @property {string} consumer
 * @property {string} resolution
 * @property {string} typescript   the version that ran
 * @property {'ok' | 'fail' | 'skipped'} status
 * @property {number} errors
 * @property {string[]} summary    diagnostics grouped by code and message
 * @property {string} output       tsc's output (or why the check was skipped)
 */

/**
 * Build, pack, install and type-check every consumer under every resolution and compiler.
 * @param {{ build?: boolean, typescript?: string[], consumers?: string[], keep?: boolean,
 *   typesNode?: string, log?: (line: string) => void }} [opts]
 * @returns {Promise<{ ok: boolean, staticProblems: string[], results: CheckResult[], work: string | null }>}
 */
export async function checkPublicTypes(opts = {}) {
  const log = opts.log ?? ((line) => console.error(line));
  const specs = opts.typescript ?? ['repo', 'latest'];
  const consumers = CONSUMERS.filter((c) => !opts.consumers || opts.consumers.includes(c.name));
  if (consumers.length === 0)
    throw new Error(
      `check-public-types: no consumer among ${JSON.stringify(opts.consumers)}; expected some of ${CONSUMERS.map((c) => c.name).join(', ')}`,
    );
  const typesNode =
    opts.typesNode ??
    JSON.parse(
      readFileSync(
        createRequire(join(runtimeDir, 'package.json')).resolve('@types/node/package.json'),
        'utf8',
      ),
    ).version;
  const work = await mkdtemp(join(tmpdir(), 'genmodels-public-types-'));
  /** @type {CheckResult[]} */
  const results = [];
  try {
    const packs = join(work, 'packs');
    const datasetsBuilt = existsSync(join(repo, 'packages/datasets/dist/index.d.ts'));
    const wanted = new Set(
      consumers.flatMap((c) => (c.optional && !datasetsBuilt ? [] : c.packages)),
    );
    /** @type {Map<string, string>} */
    const tarballs = new Map();
    /** @type {string[]} */
    let staticProblems = [];
    await withBuildLock(async () => {
      if (opts.build !== false) {
        log('building @genmodels/runtime and @genmodels/transformer (tsup) ...');
        const filters = ['runtime', 'transformer'].flatMap((p) => [
          '--filter',
          PACKAGES[/** @type {'runtime'} */ (p)].name,
        ]);
        await must('pnpm', [...filters, 'build'], repo, { timeoutMs: 1_200_000 });
      }
      staticProblems = [...forbiddenTypeImports('runtime'), ...forbiddenTypeImports('transformer')];
      for (const pkg of wanted) {
        const dir = join(repo, 'packages', PACKAGES[/** @type {'runtime'} */ (pkg)].dir);
        const before = new Set(existsSync(packs) ? await readdir(packs) : []);
        await must('pnpm', ['pack', '--pack-destination', packs], dir);
        const made = (await readdir(packs)).filter((f) => f.endsWith('.tgz') && !before.has(f));
        if (made.length !== 1) throw new Error(`pnpm pack in ${dir} made ${made.length} tarballs`);
        tarballs.set(pkg, join(packs, made[0]));
      }
    });
    for (const p of staticProblems) log(`public .d.ts: ${p}`);

    const tscs = await compilers(specs, work);
    log(`compilers: ${tscs.map((t) => `${t.spec} = typescript ${t.version}`).join(', ')}`);
    for (const consumer of consumers) {
      if (consumer.optional && !datasetsBuilt) {
        for (const res of RESOLUTIONS)
          for (const t of tscs)
            results.push({
              consumer: consumer.name,
              resolution: res.name,
              typescript: t.version,
              status: 'skipped',
              errors: 0,
              summary: [],
              output:
                'packages/datasets/dist/index.d.ts is missing (build @genmodels/datasets first)',
            });
        continue;
      }
      const app = join(work, consumer.name.replace(/\+/g, '-'));
      await mkdir(app, { recursive: true });
      await writeFile(
        join(app, 'package.json'),
        JSON.stringify({ name: 'genmodels-types-consumer', private: true, type: 'module' }),
      );
      log(`installing ${consumer.packages.join(' + ')} into ${app} ...`);
      await must(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          ...consumer.packages.map((p) => /** @type {string} */ (tarballs.get(p))),
          `@types/node@${typesNode}`,
        ],
        app,
        { env: { ONNXRUNTIME_NODE_INSTALL: 'skip' }, timeoutMs: 900_000 },
      );
      await writeFile(join(app, 'index.ts'), consumer.source);
      for (const res of RESOLUTIONS) {
        const tsconfig = `tsconfig.${res.name.replace(/\+/g, '-')}.json`;
        await writeFile(
          join(app, tsconfig),
          JSON.stringify(
            {
              compilerOptions: {
                target: 'es2022',
                module: res.module,
                moduleResolution: res.moduleResolution,
                strict: true,
                skipLibCheck: res.skipLibCheck,
                types: ['node'],
                noEmit: true,
              },
              files: ['index.ts'],
            },
            null,
            2,
          ),
        );
        for (const t of tscs) {
          const r = await sh(process.execPath, [t.bin, '-p', tsconfig, '--pretty', 'false'], app);
          const output = `${r.stdout}${r.stderr}`.trim();
          const d = diagnostics(output);
          const ok = r.code === 0;
          results.push({
            consumer: consumer.name,
            resolution: res.name,
            typescript: t.version,
            status: ok ? 'ok' : 'fail',
            errors: d.count,
            summary: ok ? [] : d.summary.length > 0 ? d.summary : [output.slice(0, 2000)],
            output,
          });
          log(
            `${consumer.name} | ${res.name} | typescript ${t.version}: ${ok ? 'ok' : `FAIL (${d.count} errors)`}`,
          );
        }
      }
    }
    const ok = staticProblems.length === 0 && results.every((r) => r.status !== 'fail');
    return { ok, staticProblems, results, work: opts.keep ? work : null };
  } finally {
    if (!opts.keep) await rm(work, { recursive: true, force: true });
  }
}

/** @param {{ ok: boolean, staticProblems: string[], results: CheckResult[] }} report */
export function formatReport(report) {
  const rows = [['consumer', 'resolution', 'typescript', 'result']];
  for (const r of report.results)
    rows.push([
      r.consumer,
      r.resolution,
      r.typescript,
      r.status === 'fail' ? `FAIL, ${r.errors} errors` : r.status,
    ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
  lines.push('');
  lines.push(
    report.staticProblems.length === 0
      ? 'public .d.ts imports: ok (no onnx-proto in runtime, no @genmodels/datasets in transformer)'
      : `public .d.ts imports: FAIL\n  ${report.staticProblems.join('\n  ')}`,
  );
  for (const r of report.results.filter((x) => x.status !== 'ok')) {
    lines.push('', `${r.consumer} | ${r.resolution} | typescript ${r.typescript}: ${r.status}`);
    for (const s of r.status === 'skipped' ? [r.output] : r.summary.slice(0, 12))
      lines.push(`  ${s}`);
  }
  lines.push('', report.ok ? 'public types: ok' : 'public types: FAIL');
  return lines.join('\n');
}

/** @param {string[]} argv */
async function main(argv) {
  const flag = (/** @type {string} */ name) => argv.includes(name);
  const value = (/** @type {string} */ name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = ['--no-build', '--keep', '--json', '--ts', '--consumers', '--types-node'];
  const unknown = argv.filter(
    (a, i) => a.startsWith('--') && !known.includes(a) && !known.includes(argv[i - 1]),
  );
  if (unknown.length > 0) {
    console.error(
      `check-public-types: unknown option ${unknown.join(', ')}; expected ${known.join(', ')}`,
    );
    return 2;
  }
  const report = await checkPublicTypes({
    build: !flag('--no-build'),
    keep: flag('--keep'),
    typescript: value('--ts')?.split(','),
    consumers: value('--consumers')?.split(','),
    typesNode: value('--types-node'),
  });
  console.log(flag('--json') ? JSON.stringify(report, null, 2) : formatReport(report));
  if (report.work) console.error(`kept ${report.work}`);
  return report.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 2;
    },
  );
}
