#!/usr/bin/env node
/**
 * Kill test of run directories (issue 18): a `genmodels train` that overwrites an existing
 * run of another family is killed with SIGKILL at seeded random moments (half anywhere in
 * the run, half while it writes its files and switches the directory); after each kill
 * the directory must load (`genmodels export`) as either the old model or the new one, byte
 * for byte, and after the next complete save no temporary directory may remain. Then a
 * save that cannot replace the run (an immutable run directory, or a read-only parent when
 * not root) must fail and leave the old run byte-identical, and a read-only config.json must
 * not stop a save from replacing the run whole.
 *
 *   node packages/cli/scripts/kill-test.mjs [--kills 20] [--seed 1] [--keep]
 *
 * Prints one line per kill and exits 1 on the first broken guarantee.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const KILLS = opt('kills', 20);
const SEED = opt('seed', 1);
const keep = args.includes('--keep');

/** Seeded uniform numbers in [0, 1) (mulberry32). */
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLI = ['--import', 'tsx', '--conditions=source', join(root, 'packages/cli/src/main-cli.ts')];
const OLD = ['train', 'diffusion', '--preset', 'moons-2d', '--steps', '20', '--samples', '16'];
const NEW = ['train', 'gan', '--preset', 'ring8', '--steps', '50', '--samples', '16', '--force'];
const COMMON = ['--seed', '1', '--threads', '1'];

function cli(argv) {
  const r = spawnSync(process.execPath, [...CLI, ...argv], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function must(r, what) {
  if (r.code !== 0) fail(`${what} exited ${r.code}:\n${r.out}`);
  return r;
}

function fail(message) {
  console.error(`kill-test: FAIL: ${message}`);
  process.exit(1);
}

const hash = (file) => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);

/** The run's identity: family and the hash of each file. */
function fingerprint(dir) {
  const files = readdirSync(dir).sort();
  return {
    family: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).family,
    files: Object.fromEntries(files.map((f) => [f, hash(join(dir, f))])),
  };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Whether a staging directory beside the run already holds the new model.safetensors. */
function stagedModel(parent) {
  return readdirSync(parent).some(
    (n) => n.startsWith('.run.tmp-') && existsSync(join(parent, n, 'model.safetensors')),
  );
}

const work = mkdtempSync(join(tmpdir(), 'genmodels-kill-'));
const refOld = join(work, 'ref-old');
const refNew = join(work, 'ref-new');
const run = join(work, 'runs', 'run');
console.log(`kill-test: ${KILLS} kills, seed ${SEED}, in ${work}`);

must(cli([...OLD, ...COMMON, '--out', refOld]), 'the old run');
const t0 = performance.now();
must(cli([...NEW, ...COMMON, '--out', refNew]), 'the new run');
const duration = performance.now() - t0;
const old = fingerprint(refOld);
const neu = fingerprint(refNew);
console.log(
  `old: ${old.family} ${old.files['model.safetensors']}; new: ${neu.family} ${neu.files['model.safetensors']}; a new run takes ${(duration / 1000).toFixed(1)} s`,
);

const rand = uniform(SEED);
const seen = { old: 0, new: 0, killed: 0, writing: 0 };
for (let k = 1; k <= KILLS; k++) {
  rmSync(join(work, 'runs'), { recursive: true, force: true });
  cpSync(refOld, run, { recursive: true });
  // Odd kills: anywhere in the run, at a seeded moment of its measured length. Even kills:
  // while it writes its files, a seeded 0-400 ms after its staging directory first holds
  // model.safetensors (evaluation, samples, pictures and the switch follow within that).
  const child = spawn(process.execPath, [...CLI, ...NEW, ...COMMON, '--out', run], {
    cwd: root,
    stdio: 'ignore',
  });
  let done = false;
  const exited = new Promise((res) =>
    child.once('exit', (code, signal) => {
      done = true;
      res({ code, signal });
    }),
  );
  let at;
  let timer;
  if (k % 2 === 1) {
    at = Math.round(rand() * duration);
    timer = setTimeout(() => child.kill('SIGKILL'), at);
  } else {
    const delay = Math.round(rand() * 400);
    const t0 = performance.now();
    while (!done && !stagedModel(dirname(run))) await new Promise((r) => setTimeout(r, 5));
    at = Math.round(performance.now() - t0 + delay);
    timer = setTimeout(() => child.kill('SIGKILL'), delay);
  }
  const { code, signal } = await exited;
  clearTimeout(timer);
  if (signal === 'SIGKILL') {
    seen.killed++;
    if (k % 2 === 0) seen.writing++;
  }
  const leftover = readdirSync(dirname(run)).filter((n) => n !== 'run');
  // A real load through the CLI (it also puts back a run a kill left aside).
  const load = () =>
    cli(['export', fingerprint(run).family, '--from', run, '--out', join(work, 'x.onnx')]);
  let recovered = '';
  if (!existsSync(run)) {
    // Killed between the two renames: any command reading the run puts the old one back.
    cli(['export', 'gan', '--from', run, '--out', join(work, 'x.onnx')]);
    if (!existsSync(run))
      fail(`kill ${k} at ${at} ms: '${run}' is gone (left: ${leftover.join(', ')})`);
    recovered = ' (put back by the next command)';
  }
  const exp = load();
  const now = fingerprint(run);
  const which = same(now, old) ? 'old' : same(now, neu) ? 'new' : null;
  if (!which)
    fail(
      `kill ${k} at ${at} ms: the run is neither the old nor the new one: ${JSON.stringify(now)}`,
    );
  if (exp.code !== 0) fail(`kill ${k} at ${at} ms: the ${which} run does not load:\n${exp.out}`);
  seen[which]++;
  console.log(
    `kill ${String(k).padStart(2)} at ${String(at).padStart(5)} ms: ${signal ?? `exit ${code}`}; the ${which} run loads${recovered}; left beside it: ${leftover.length ? leftover.join(', ') : 'nothing'}`,
  );
}

// The next complete save cleans what the kills left.
must(cli([...NEW, ...COMMON, '--out', run]), 'a save after the kills');
const after = readdirSync(dirname(run)).filter((n) => n !== 'run');
if (after.length) fail(`temporary directories remain after the next save: ${after.join(', ')}`);
if (!same(fingerprint(run), neu)) fail('the save after the kills is not the new run');
console.log('after the next save: nothing left beside the run');

// A save that cannot replace the run leaves it byte-identical.
rmSync(join(work, 'runs'), { recursive: true, force: true });
cpSync(refOld, run, { recursive: true });
const root_ = process.getuid?.() === 0;
let locked = null;
if (root_) {
  if (spawnSync('chattr', ['+i', run]).status === 0)
    locked = 'an immutable run directory (chattr +i)';
} else {
  chmodSync(dirname(run), 0o555);
  locked = 'a read-only parent directory';
}
if (locked) {
  const r = cli([...NEW, ...COMMON, '--out', run]);
  if (root_) execFileSync('chattr', ['-i', run]);
  else chmodSync(dirname(run), 0o755);
  if (r.code === 0) fail(`a save into ${locked} succeeded`);
  if (!same(fingerprint(run), old)) fail(`a failed save (${locked}) changed the old run`);
  const rest = readdirSync(dirname(run)).filter((n) => n !== 'run');
  if (rest.length) fail(`a failed save left ${rest.join(', ')}`);
  console.log(
    `a failed save (${locked}) exits ${r.code}, the old run is byte-identical: ${r.out.trim().split('\n').pop()}`,
  );
} else console.log('skipped the failed-save check: chattr is not available here');

// A read-only config.json is replaced with the rest of the run (the directory is switched whole).
chmodSync(join(run, 'config.json'), 0o444);
must(cli([...NEW, ...COMMON, '--out', run]), 'a save over a read-only config.json');
if (!same(fingerprint(run), neu)) fail('a save over a read-only config.json is not the new run');
console.log('a read-only config.json in the old run: the new run replaced it whole');

console.log(
  `kill-test: PASS (${seen.old} kills left the old run, ${seen.new} the new one; ${seen.killed} killed the process, ${seen.writing} of them while it wrote its files)`,
);
if (!keep) rmSync(work, { recursive: true, force: true });
