/**
 * Throughput of an MLP 784-512-512-10 at batch 128 on CPU:
 *   - training samples/s through a compiled TrainStep (forward + backward + Adam),
 *   - forward samples/s of the inference graph,
 *   - the runtime's overhead over calling the same ORT session directly.
 * Timings interleave the two variants in rounds so machine noise hits both alike;
 * compare the ratio, not absolute numbers, on shared machines.
 *
 *   pnpm --filter @genmodels/runtime bench [-- --device cpu --threads 2 --steps 30]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Graph, Runtime, Tensor } from '../src/index.js';
import { adam } from '../src/optim/index.js';
import { Rng } from '../src/rng.js';
import { initMlp, mlpLogits, mlpLoss } from '../src/testing/mlp.js';
import { fit } from '../src/train/fit.js';
import { compileTrainStep } from '../src/train/train-step.js';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu' },
    threads: { type: 'string', default: String(availableParallelism()) },
    steps: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '41' },
  },
});
const device = values.device as 'cpu' | 'webgpu' | 'cuda';
const threads = Number(values.threads);
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const B = 128;
const sizes = [784, 512, 512, 10];

const rt = await Runtime.create({ device, threads });
const rng = new Rng(0);
const x = new Tensor('float32', [B, 784], rng.uniform(B * 784));
const y = new Tensor(
  'int64',
  [B],
  BigInt64Array.from(rng.integers(B, 0, 10), (v) => BigInt(v)),
);

const step = await compileTrainStep(rt, {
  params: initMlp(sizes, rng),
  inputs: {
    x: { dtype: 'float32', shape: ['batch', 784] },
    y: { dtype: 'int64', shape: ['batch'] },
  },
  loss: mlpLoss(3),
  optimizer: adam(),
});

// The raw baseline: the very same ORT session, fed by hand with the state fed back.
const session = step.executable.rawSession;
const rawFeeds: Record<string, unknown> = step.executable.checkFeeds(await rawInitialFeeds());
let rawStep = 0;
async function rawInitialFeeds() {
  const s = await step.getState();
  const feeds: Record<string, Tensor> = { x, y, lr: Tensor.scalar(1e-3), step: Tensor.scalar(1) };
  for (const [k, t] of Object.entries(s.params)) feeds[`param:${k}`] = t;
  for (const [k, t] of Object.entries(s.optimizer)) feeds[`state:${k}`] = t;
  return feeds;
}
async function rawSteps(n: number) {
  for (let i = 0; i < n; i++) {
    // Mirror the runtime exactly (step counter included) so both do identical arithmetic.
    rawFeeds.step = Tensor.scalar(++rawStep).toOrt();
    const out = await session.run(rawFeeds as never);
    for (const [k, v] of Object.entries(out)) if (k.startsWith('next:')) rawFeeds[k.slice(5)] = v;
  }
}
async function fitSteps(n: number) {
  await fit(step, fitBatches, { steps: n, lr: 1e-3 });
}
const fitBatches = Array.from({ length: 64 }, () => ({ x, y }));
async function runtimeSteps(n: number) {
  for (let i = 0; i < n; i++) await step.run({ x, y }, { lr: 1e-3 });
}

// Inference graph: the same model code without the gradient part.
const g = new Graph('mlp_forward');
const params = await step.parameters();
const pv = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, g.constant(t, k)]));
const xin = g.input('x', 'float32', ['batch', 784]);
const fwd = await rt.compile(g, { logits: mlpLogits(pv, xin, 3) });
async function forwardSteps(n: number) {
  for (let i = 0; i < n; i++) await fwd.run({ x });
}

async function time(fn: (n: number) => Promise<void>, n: number): Promise<number> {
  const t0 = performance.now();
  await fn(n);
  return performance.now() - t0;
}

await runtimeSteps(3);
await rawSteps(3);
await forwardSteps(3);

// Rounds alternate which variant goes first; the overhead is the median of per-round
// time ratios, which shrugs off rounds hit by other load on a shared machine.
let tRuntime = 0;
let tRaw = 0;
let tFwd = 0;
let tFit = 0;
const ratios: number[] = [];
const fitRatios: number[] = [];
for (let r = 0; r < rounds; r++) {
  let a: number;
  let b: number;
  if (r % 2 === 0) {
    a = await time(runtimeSteps, steps);
    b = await time(rawSteps, steps);
  } else {
    b = await time(rawSteps, steps);
    a = await time(runtimeSteps, steps);
  }
  tRuntime += a;
  tRaw += b;
  ratios.push(a / b);
  tFwd += await time(forwardSteps, steps);
  const f = await time(fitSteps, steps);
  tFit += f;
  fitRatios.push(f / a);
}
fitRatios.sort((p, q) => p - q);
const fitOverhead = (fitRatios[Math.floor(fitRatios.length / 2)] - 1) * 100;
ratios.sort((p, q) => p - q);
const overhead = (ratios[Math.floor(ratios.length / 2)] - 1) * 100;

// The host-side work the runtime adds per step (feed checks and conversion), timed
// alone: a steadier figure than the ratio of two noisy end-to-end timings.
const hostIters = 2000;
const h0 = performance.now();
for (let i = 0; i < hostIters; i++) {
  step.executable.checkFeeds({ x, y, lr: Tensor.scalar(1e-3), step: Tensor.scalar(i + 1) }, true);
}
const hostUs = ((performance.now() - h0) * 1000) / hostIters;
const rawStepUs = (tRaw * 1000) / (rounds * steps);

const n = rounds * steps * B;
const fmt = (t: number) => (n / (t / 1000)).toFixed(0).padStart(8);
console.log(
  `MLP ${sizes.join('-')}, batch ${B}, device ${device}, ${threads} threads, ${rounds} rounds x ${steps} steps`,
);
console.log(`  train step (runtime):   ${fmt(tRuntime)} samples/s`);
console.log(`  train step (raw ORT):   ${fmt(tRaw)} samples/s`);
console.log(
  `  fit() loop:             ${fmt(tFit)} samples/s (${fitOverhead.toFixed(1)}% over TrainStep.run, median; target < 10%)`,
);
console.log(`  forward:                ${fmt(tFwd)} samples/s`);
console.log(
  `  runtime overhead over raw ORT: ${overhead.toFixed(1)}% (median of ${rounds} interleaved rounds; target < 5%)`,
);
console.log(
  `  host-side feed work: ${hostUs.toFixed(1)} us per step = ${((100 * hostUs) / rawStepUs).toFixed(2)}% of a raw step (${(rawStepUs / 1000).toFixed(2)} ms)`,
);
