/**
 * A seeded MLP classifier and a synthetic classification task, shared by the
 * end-to-end test, the benchmark and the example (not part of the public API).
 */
import type { Value } from '../graph/graph.js';
import { relu } from '../ops/activation.js';
import { crossEntropy } from '../ops/loss.js';
import { linear } from '../ops/matmul.js';
import { Rng } from '../rng.js';
import { Tensor } from '../tensor.js';
import { argmaxAccuracy } from './metrics.js';

/** PyTorch's default Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias. */
export function initMlp(sizes: readonly number[], rng: Rng): Record<string, Tensor> {
  const params: Record<string, Tensor> = {};
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [fin, fout] = [sizes[i], sizes[i + 1]];
    const bound = 1 / Math.sqrt(fin);
    params[`fc${i + 1}.weight`] = new Tensor(
      'float32',
      [fout, fin],
      rng.uniform(fout * fin, -bound, bound),
    );
    params[`fc${i + 1}.bias`] = new Tensor('float32', [fout], rng.uniform(fout, -bound, bound));
  }
  return params;
}

/** Logits of a ReLU MLP whose parameters are named fc1.weight, fc1.bias, ... */
export function mlpLogits(p: Record<string, Value>, x: Value, layers: number): Value {
  let h = x;
  for (let i = 1; i <= layers; i++) {
    h = linear(h, p[`fc${i}.weight`], p[`fc${i}.bias`]);
    if (i < layers) h = relu(h);
  }
  return h;
}

/**
 * Cross-entropy loss, with an accuracy metric unless `accuracy` is false (ArgMax's
 * int64 output runs on the CPU provider under WebGPU), as compileTrainStep expects.
 */
export function mlpLoss(layers: number, opts: { accuracy?: boolean } = {}) {
  return (p: Record<string, Value>, b: Record<string, Value>) => {
    const logits = mlpLogits(p, b.x, layers);
    const loss = crossEntropy(logits, b.y);
    return opts.accuracy === false
      ? loss
      : { loss, metrics: { accuracy: argmaxAccuracy(logits, b.y) } };
  };
}

/**
 * `classes` Gaussian clusters in `dims` dimensions with overlapping tails:
 * x: float32 [n, dims], y: int64 [n].
 */
export function makeClassification(
  n: number,
  dims: number,
  classes: number,
  seed: number,
  labelDtype: 'int64' | 'int32' = 'int64',
): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const centers = rng.normal(classes * dims, 0, 1.5);
  const labels = rng.integers(n, 0, classes);
  const x = rng.normal(n * dims);
  for (let i = 0; i < n; i++)
    for (let d = 0; d < dims; d++) x[i * dims + d] += centers[labels[i] * dims + d];
  return {
    x: new Tensor('float32', [n, dims], x),
    y:
      labelDtype === 'int32'
        ? new Tensor('int32', [n], labels)
        : new Tensor(
            'int64',
            [n],
            BigInt64Array.from(labels, (v) => BigInt(v)),
          ),
  };
}
