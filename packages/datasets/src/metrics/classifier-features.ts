/**
 * A shipped image classifier as a feature space: batched features and class probabilities
 * of image sets, and the comparisons made in that space (Frechet distance, improved
 * precision and recall, class statistics). LeNet (MNIST, `FrechetLeNet`) and CifarNet
 * (CIFAR-10, `CifarFeatures`) are both built on it.
 */
import { type Executable, Tensor } from '@genmodels/runtime';
import { frechetFromSamples } from './frechet.js';
import { MetricError } from './points.js';
import { type PrecisionRecall, precisionRecall } from './precision-recall.js';

export interface ClassifierStats {
  /** KL(class histogram of argmax predictions || uniform over the classes), nats. */
  classKL: number;
  /** Mean of the max softmax probability. */
  meanConfidence: number;
  /** Fraction of images classified with probability >= 0.9 ("recognizable"). */
  confidentFraction: number;
}

/** Stats of class probabilities [N, K]. */
export function classifierStats(probs: Tensor): ClassifierStats & { predictions: Int32Array } {
  const p = probs.data as Float32Array;
  const n = probs.shape[0];
  const k = probs.shape[1];
  const counts = new Float64Array(k);
  const predictions = new Int32Array(n);
  let conf = 0;
  let confident = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
    predictions[i] = best;
    counts[best]++;
    conf += p[i * k + best];
    if (p[i * k + best] >= 0.9) confident++;
  }
  let kl = 0;
  for (const c of counts) if (c > 0) kl += (c / n) * Math.log((c / n) * k);
  return { classKL: kl, meanConfidence: conf / n, confidentFraction: confident / n, predictions };
}

/** What a {@link ClassifierFeatures} embeds: the image shape it takes and its output sizes. */
export interface ClassifierSpec {
  /** Name used in errors, e.g. 'FrechetLeNet'. */
  name: string;
  /** [C, H, W] of the images it takes. */
  imageShape: readonly [number, number, number];
  /** Size of the feature vector. */
  featureDim: number;
  /** Number of classes. */
  classes: number;
  /** Maps a batch of float32 images in [0, 1] to the network's input (e.g. standardization). */
  prepare?: (x: Tensor<'float32'>) => Tensor<'float32'>;
}

/** Result of {@link ClassifierFeatures.compare}. */
export interface FeatureComparison extends ClassifierStats {
  /** Frechet distance between Gaussian fits of the two sets' features. */
  frechet: number;
  /** Improved precision and recall (k = 3), when asked for with `{ precisionRecall: true }`. */
  precision?: number;
  recall?: number;
}

/** Options of {@link ClassifierFeatures.compare}. */
export interface CompareOptions {
  /** Also compute improved precision and recall (O(n m d): about a minute for 10k x 10k). */
  precisionRecall?: boolean;
  /** The k of precision and recall (default 3). */
  k?: number;
}

export class ClassifierFeatures {
  protected constructor(
    protected readonly exe: Executable,
    readonly spec: ClassifierSpec,
    readonly batchSize: number,
  ) {}

  /** Float32 images [N, C, H, W] in [0, 1] (also accepted: [N, C*H*W], or [N, H, W] when C = 1). */
  protected checkImages(images: Tensor): number {
    const [c, h, w] = this.spec.imageShape;
    const n = images.shape[0];
    if (images.dtype !== 'float32' || images.rank < 2 || images.size !== n * c * h * w) {
      throw new MetricError(
        `${this.spec.name}: expected float32 images [N, ${c}, ${h}, ${w}] in [0, 1], got ${images.dtype}[${images.shape.join(',')}]`,
      );
    }
    return n;
  }

  /** Features [N, featureDim] and class probabilities [N, classes] of images in [0, 1]. */
  async embed(images: Tensor): Promise<{ features: Tensor; probs: Tensor }> {
    const n = this.checkImages(images);
    const [c, h, w] = this.spec.imageShape;
    const per = c * h * w;
    const { featureDim: f, classes: k } = this.spec;
    const feats = new Float32Array(n * f);
    const probs = new Float32Array(n * k);
    const data = images.data as Float32Array;
    for (let s = 0; s < n; s += this.batchSize) {
      const e = Math.min(n, s + this.batchSize);
      let x = new Tensor('float32', [e - s, c, h, w], data.subarray(s * per, e * per));
      if (this.spec.prepare) x = this.spec.prepare(x);
      const out = await this.exe.runHost({ x });
      feats.set(out.features.data as Float32Array, s * f);
      probs.set(out.probs.data as Float32Array, s * k);
    }
    return {
      features: new Tensor('float32', [n, f], feats),
      probs: new Tensor('float32', [n, k], probs),
    };
  }

  /** Class-histogram KL to uniform, mean confidence, confident fraction and predictions. */
  async classify(images: Tensor): Promise<ClassifierStats & { predictions: Int32Array }> {
    return classifierStats((await this.embed(images)).probs);
  }

  /**
   * Frechet distance between `samples` and `reference` (e.g. a test set) in the features,
   * the samples' classifier stats and, on request, precision and recall.
   */
  async compare(
    samples: Tensor,
    reference: Tensor,
    opts: CompareOptions = {},
  ): Promise<FeatureComparison> {
    const a = await this.embed(samples);
    const b = await this.embed(reference);
    return compareEmbeddings(a, b, opts);
  }
}

/** The comparisons of {@link ClassifierFeatures.compare} on embeddings already computed. */
export function compareEmbeddings(
  samples: { features: Tensor; probs: Tensor },
  reference: { features: Tensor },
  opts: CompareOptions = {},
): FeatureComparison & { predictions: Int32Array } {
  const stats = classifierStats(samples.probs);
  const out: FeatureComparison & { predictions: Int32Array } = {
    frechet: frechetFromSamples(samples.features, reference.features),
    ...stats,
  };
  if (opts.precisionRecall) {
    const pr: PrecisionRecall = precisionRecall(reference.features, samples.features, {
      k: opts.k,
    });
    out.precision = pr.precision;
    out.recall = pr.recall;
  }
  return out;
}
