/**
 * Gradient checkpointing on the shakespeare-char GPT: peak memory and parameters with and
 * without it, each in its own process (peak RSS is per process).
 *
 *   pnpm --filter @genmodels/transformer exec tsx --conditions=source scripts/checkpointing-memory.ts [--steps 5] [--batch 32] [--block 128]
 *
 * Prints, per mode, the process's peak RSS and ms per step, then whether the parameters
 * after the steps are bit for bit the same. The text is generated (seeded), so the script
 * needs no corpus file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng, Runtime } from '@genmodels/runtime';
import { corpusFromText, GPT } from '../src/index.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '5' },
    batch: { type: 'string', default: '32' },
    block: { type: 'string', default: '128' },
    layers: { type: 'string', default: '4' },
    child: { type: 'string' },
    threads: { type: 'string' },
  },
});

async function child(mode: string): Promise<void> {
  const rng = new Rng(7);
  const letters = 'abcdefghijklmnopqrstuvwxyz ,.\n';
  const text = Array.from(
    rng.uniform(200_000),
    (u) => letters[Math.floor(u * letters.length)],
  ).join('');
  const corpus = await corpusFromText(text);
  const rt = await Runtime.create({
    device: 'cpu',
    threads: values.threads ? Number(values.threads) : undefined,
  });
  const gpt = GPT.create(
    rt,
    {
      batchSize: Number(values.batch),
      blockSize: Number(values.block),
      nLayer: Number(values.layers),
    },
    { vocab: corpus.chars, seed: 0 },
  );
  gpt.gradientCheckpointing = mode === 'on';
  const beforeMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  const steps = Number(values.steps);
  const t0 = performance.now();
  await gpt.fit(corpus, { steps: 1 });
  const t1 = performance.now();
  await gpt.fit(corpus, { steps: steps - 1 });
  const msPerStep = (performance.now() - t1) / Math.max(1, steps - 1);
  const params = await (await gpt.trainSteps()).parameters();
  const hash = createHash('sha256');
  for (const k of Object.keys(params).sort())
    hash.update(k).update(new Uint8Array(params[k].data.buffer));
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(
    JSON.stringify({
      mode,
      beforeMiB,
      peakRssMiB,
      msPerStep,
      firstStepMs: t1 - t0,
      params: hash.digest('hex'),
    }),
  );
}

if (values.child) await child(values.child);
else {
  const self = fileURLToPath(import.meta.url);
  const rows = ['off', 'on'].map((mode) => {
    const out = execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        self,
        '--child',
        mode,
        '--steps',
        values.steps!,
        '--batch',
        values.batch!,
        '--block',
        values.block!,
        '--layers',
        values.layers!,
      ],
      { encoding: 'utf8' },
    );
    return JSON.parse(out.trim().split('\n').at(-1)!);
  });
  for (const r of rows)
    console.log(
      `gradient checkpointing ${r.mode.padEnd(3)}: peak RSS ${r.peakRssMiB} MiB, ${r.msPerStep.toFixed(0)} ms/step (${values.layers} layers, batch ${values.batch} x ${values.block} tokens)`,
    );
  const same = rows[0].params === rows[1].params;
  console.log(
    `parameters after ${values.steps} steps: ${same ? 'bit for bit the same' : 'DIFFERENT'}`,
  );
  if (!same) process.exitCode = 1;
}
