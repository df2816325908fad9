/**
 * The runtime's main example: a 2-64-64-3 MLP learns three interleaved spirals.
 * One compiled ONNX Runtime session does forward, backward and the Adam update;
 * a second graph built from the same model code evaluates held-out points.
 *
 *   pnpm example                      (from the repo root)
 *   pnpm --filter @genmodels/runtime example -- --device webgpu --steps 800
 */
import { parseArgs } from 'node:util';
import {
  adam,
  compileTrainStep,
  cosine,
  Graph,
  ops,
  Rng,
  Runtime,
  Tensor,
  type Value,
} from '@genmodels/runtime';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu' },
    steps: { type: 'string', default: '600' },
    seed: { type: 'string', default: '0' },
  },
});
const steps = Number(values.steps);
const seed = Number(values.seed);

/** Three spirals with noise: x float32 [n, 2], y int64 [n]. */
function spirals(n: number, rng: Rng): { x: Tensor; y: Tensor } {
  const x = new Float32Array(n * 2);
  const y = new BigInt64Array(n);
  const r = rng.uniform(n, 0.05, 1);
  const noise = rng.normal(n * 2, 0, 0.04);
  const cls = rng.integers(n, 0, 3);
  for (let i = 0; i < n; i++) {
    const angle = 3.5 * r[i] + (2 * Math.PI * cls[i]) / 3;
    x[2 * i] = r[i] * Math.cos(angle) + noise[2 * i];
    x[2 * i + 1] = r[i] * Math.sin(angle) + noise[2 * i + 1];
    y[i] = BigInt(cls[i]);
  }
  return { x: new Tensor('float32', [n, 2], x), y: new Tensor('int64', [n], y) };
}

/** PyTorch-default init for Linear layers named fc1, fc2, ... */
function init(sizes: number[], rng: Rng): Record<string, Tensor> {
  const p: Record<string, Tensor> = {};
  sizes.slice(1).forEach((out, i) => {
    const fin = sizes[i];
    const b = 1 / Math.sqrt(fin);
    p[`fc${i + 1}.weight`] = new Tensor('float32', [out, fin], rng.uniform(out * fin, -b, b));
    p[`fc${i + 1}.bias`] = new Tensor('float32', [out], rng.uniform(out, -b, b));
  });
  return p;
}

/** The model, written once: used by the training graph and the evaluation graph. */
function model(p: Record<string, Value>, x: Value): Value {
  const h1 = ops.relu(ops.linear(x, p['fc1.weight'], p['fc1.bias']));
  const h2 = ops.relu(ops.linear(h1, p['fc2.weight'], p['fc2.bias']));
  return ops.linear(h2, p['fc3.weight'], p['fc3.bias']);
}

const rng = new Rng(seed);
const train = spirals(2048, rng);
const test = spirals(1024, rng);
const rt = await Runtime.create({ device: values.device as 'cpu' | 'webgpu' | 'cuda' });

const step = await compileTrainStep(rt, {
  params: init([2, 64, 64, 3], rng),
  inputs: { x: { dtype: 'float32', shape: ['batch', 2] }, y: { dtype: 'int64', shape: ['batch'] } },
  loss: (p, b) => ops.crossEntropy(model(p, b.x), b.y),
  optimizer: adam(),
});

const schedule = cosine(1e-2, { warmupSteps: 50, totalSteps: steps, minLr: 1e-4 });
const batch = 256;
const t0 = performance.now();
for (let s = 0; s < steps; s++) {
  const idx = rng.integers(batch, 0, 2048);
  const xb = new Float32Array(batch * 2);
  const yb = new BigInt64Array(batch);
  idx.forEach((j, i) => {
    xb.set((train.x.data as Float32Array).subarray(2 * j, 2 * j + 2), 2 * i);
    yb[i] = (train.y.data as BigInt64Array)[j];
  });
  const r = await step.run(
    { x: new Tensor('float32', [batch, 2], xb), y: new Tensor('int64', [batch], yb) },
    { lr: schedule(s) },
  );
  if ((s + 1) % 100 === 0)
    console.log(`step ${String(s + 1).padStart(4)}  loss ${r.loss.toFixed(4)}`);
}
const secs = (performance.now() - t0) / 1000;

// Evaluation graph: the same model() with the trained parameters as constants.
const g = new Graph('classifier');
const params = await step.parameters();
const pv = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, g.constant(t, k)]));
const x = g.input('x', 'float32', ['batch', 2]);
const exe = await rt.compile(g, { pred: ops.argmax(model(pv, x), -1) });
const { pred } = await exe.runHost({ x: test.x });
let correct = 0;
pred.toArray().forEach((p, i) => {
  if (p === Number((test.y.data as BigInt64Array)[i])) correct++;
});
console.log(
  `trained ${steps} steps in ${secs.toFixed(1)} s on ${rt.device} (${((steps * batch) / secs).toFixed(0)} samples/s)`,
);
console.log(`held-out accuracy: ${((100 * correct) / 1024).toFixed(1)}% (seed ${seed})`);
