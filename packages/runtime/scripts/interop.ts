/**
 * The genmodels side of scripts/pytorch_interop.py (run that, not this):
 *   export <dir>  train a small model a few steps, save a checkpoint, export ONNX, and
 *                 write the model's output on a seeded input to <dir>/ts_out.json
 *   load <dir>    load <dir>/torch.safetensors (written by PyTorch) into the same model
 *                 and write its output on <dir>/torch_in.json's input to <dir>/ts_on_torch.json
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  adam,
  compileInference,
  compileTrainStep,
  exportOnnx,
  Linear,
  loadCheckpoint,
  Module,
  ops,
  Rng,
  Runtime,
  saveCheckpoint,
  Tensor,
  type Value,
} from '../src/index.js';

/** Same architecture as `Net` in pytorch_interop.py. */
class Net extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(rng: Rng) {
    super();
    this.fc1 = new Linear(6, 16, { rng });
    this.fc2 = new Linear(16, 3, { rng });
  }
  forward(x: Value): Value {
    return this.fc2.call(ops.tanh(this.fc1.call(x)));
  }
}

const [mode, dir] = process.argv.slice(2);
const rt = await Runtime.create({ device: 'cpu', threads: 1 });
const xSpec = { x: { dtype: 'float32', shape: ['batch', 6] } } as const;

async function outputs(net: Net, x: Tensor): Promise<number[]> {
  const exe = await compileInference(rt, net, xSpec, (i) => net.call(i.x));
  return (await exe.runHost({ x })).output.toArray();
}

if (mode === 'export') {
  const rng = new Rng(0);
  const net = new Net(rng);
  const step = await compileTrainStep(rt, {
    module: net,
    inputs: { ...xSpec, y: { dtype: 'float32', shape: ['batch', 3] } },
    loss: (_p, b) => ops.mseLoss(net.call(b.x), b.y),
    optimizer: adam(),
  });
  const batch = {
    x: new Tensor('float32', [8, 6], rng.normal(48)),
    y: new Tensor('float32', [8, 3], rng.normal(24)),
  };
  for (let i = 0; i < 5; i++) await step.run(batch, { lr: 1e-2 });
  await step.syncTo(net);
  await saveCheckpoint(join(dir, 'genmodels.safetensors'), step, {
    family: 'interop',
    config: { in: 6, hidden: 16, out: 3 },
  });
  await exportOnnx(join(dir, 'model.onnx'), net, xSpec, (i) => ({ y: net.call(i.x) }), {
    config: { in: 6, hidden: 16, out: 3 },
  });
  const x = new Tensor('float32', [4, 6], new Rng(1).normal(24));
  await writeFile(
    join(dir, 'ts_out.json'),
    JSON.stringify({ x: x.toArray(), y: await outputs(net, x) }),
  );
} else if (mode === 'load') {
  const net = new Net(new Rng(99));
  const ckpt = await loadCheckpoint(join(dir, 'torch.safetensors'));
  net.loadStateDict(ckpt.stateDict);
  const input = JSON.parse(await readFile(join(dir, 'torch_in.json'), 'utf8')) as { x: number[] };
  const x = new Tensor('float32', [input.x.length / 6, 6], Float32Array.from(input.x));
  await writeFile(join(dir, 'ts_on_torch.json'), JSON.stringify({ y: await outputs(net, x) }));
} else {
  throw new Error('usage: interop.ts export|load <dir>');
}
