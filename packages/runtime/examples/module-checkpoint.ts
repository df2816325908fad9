/**
 * Modules end to end: define a model once, train it with fit(), save a checkpoint,
 * resume from it, and export the trained model as a standalone ONNX file.
 *
 *   pnpm --filter @genmodels/runtime exec tsx --conditions=source examples/module-checkpoint.ts [outDir]
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  adam,
  compileInference,
  compileTrainStep,
  cosine,
  Dropout,
  exportOnnx,
  fit,
  Linear,
  loadCheckpoint,
  Module,
  ops,
  Rng,
  Runtime,
  resumeTrainStep,
  saveCheckpoint,
  Tensor,
  type Value,
} from '@genmodels/runtime';

class Classifier extends Module {
  readonly fc1: Linear;
  readonly drop: Dropout;
  readonly fc2: Linear;
  constructor(rng: Rng) {
    super();
    this.fc1 = new Linear(2, 64, { rng });
    this.drop = new Dropout(0.1);
    this.fc2 = new Linear(64, 2, { rng });
  }
  forward(x: Value): Value {
    return this.fc2.call(this.drop.call(ops.relu(this.fc1.call(x))));
  }
}

/** Two concentric rings: x [n, 2], y int64 [n]. */
function rings(n: number, rng: Rng) {
  const x = new Float32Array(2 * n);
  const y = new BigInt64Array(n);
  const angle = rng.uniform(n, 0, 2 * Math.PI);
  const noise = rng.normal(n, 0, 0.1);
  const cls = rng.integers(n, 0, 2);
  for (let i = 0; i < n; i++) {
    const r = (cls[i] === 0 ? 0.5 : 1.2) + noise[i];
    x[2 * i] = r * Math.cos(angle[i]);
    x[2 * i + 1] = r * Math.sin(angle[i]);
    y[i] = BigInt(cls[i]);
  }
  return { x: new Tensor('float32', [n, 2], x), y: new Tensor('int64', [n], y) };
}

const out = process.argv[2] ?? 'out/module-checkpoint';
await mkdir(out, { recursive: true });
const rng = new Rng(0);
const batches = Array.from({ length: 16 }, () => rings(64, rng));
const rt = await Runtime.create({ device: 'cpu' });
const inputs = {
  x: { dtype: 'float32', shape: ['batch', 2] },
  y: { dtype: 'int64', shape: ['batch'] },
} as const;

const model = new Classifier(new Rng(1));
console.log(model.summary());
const step = await compileTrainStep(rt, {
  module: model,
  inputs,
  loss: (_p, b) => ops.crossEntropy(model.call(b.x), b.y),
  optimizer: adam(),
  seed: 0,
});
const lr = cosine(1e-2, { warmupSteps: 10, totalSteps: 320 });
await fit(step, batches, {
  epochs: 10,
  lr,
  progressEvery: 40,
  onProgress: (e) =>
    console.log(
      `step ${e.step} epoch ${e.epoch} loss ${e.loss.toFixed(4)} ${e.samplesPerSec.toFixed(0)} samples/s eta ${e.eta?.toFixed(1)}s`,
    ),
});
const ckptPath = join(out, 'classifier.safetensors');
await saveCheckpoint(ckptPath, step, { family: 'example-classifier', config: { hidden: 64 } });
console.log(`saved ${ckptPath} at step ${step.step}`);

// Resume in a fresh model and train 10 more epochs.
const again = new Classifier(new Rng(42));
const step2 = await compileTrainStep(rt, {
  module: again,
  inputs,
  loss: (_p, b) => ops.crossEntropy(again.call(b.x), b.y),
  optimizer: adam(),
  seed: 0,
});
resumeTrainStep(step2, await loadCheckpoint(ckptPath, { family: 'example-classifier' }));
await fit(step2, batches, {
  epochs: 10,
  lr,
  progressEvery: 80,
  onProgress: (e) => console.log(`resumed: step ${e.step} loss ${e.loss.toFixed(4)}`),
});
await step2.syncTo(again);

const test = rings(1000, new Rng(7));
const infer = await compileInference(rt, again, { x: inputs.x }, (i) =>
  ops.argmax(again.call(i.x), -1),
);
const pred = (await infer.runHost({ x: test.x })).output.toArray();
const acc =
  pred.filter((p, i) => p === Number((test.y.data as BigInt64Array)[i])).length / pred.length;
console.log(`held-out accuracy ${(100 * acc).toFixed(1)}% (eval mode: dropout off)`);
await exportOnnx(
  join(out, 'classifier.onnx'),
  again,
  { x: inputs.x },
  (i) => ({ logits: again.call(i.x) }),
  { config: { hidden: 64 } },
);
console.log(`exported ${join(out, 'classifier.onnx')}`);
