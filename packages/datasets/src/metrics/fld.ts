/**
 * Frechet LeNet Distance (FLD) for MNIST-like 28x28 digits: the Frechet distance between
 * Gaussian fits of the LeNet classifier's 84-d last-hidden-layer features of two image
 * sets, plus the class-histogram KL to uniform and the classifier's mean confidence on
 * generated samples (reference-configs: N = 10,000 for both sets).
 */
import {
  compileInference,
  decodeSafetensors,
  type Executable,
  ops,
  Rng,
  type Runtime,
  Tensor,
} from '@genmodels/runtime';
import { frechetFromSamples } from './frechet.js';
import { LeNet } from './lenet.js';

export interface ClassifierStats {
  /** KL(class histogram of argmax predictions || uniform over 10 classes), nats. */
  classKL: number;
  /** Mean of the max softmax probability. */
  meanConfidence: number;
  /** Fraction of images classified with probability >= 0.9 ("recognizable"). */
  confidentFraction: number;
}

export interface FldResult extends ClassifierStats {
  fld: number;
}

/**
 * The shipped classifier weights (safetensors bytes). Loaded on first use (a dynamic
 * import), so bundles that never compute FLD (a browser page that only trains) leave the
 * 238 kB of weights in a chunk that is never fetched.
 */
export async function lenetWeights(): Promise<Uint8Array> {
  const { LENET_WEIGHTS_BASE64 } = await import('./lenet-weights.js');
  const s = atob(LENET_WEIGHTS_BASE64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Evaluates images with the shipped LeNet.
 *
 * @example
 * const fld = await FrechetLeNet.create(rt);
 * const { fld: d, meanConfidence } = await fld.compare(samples, testImages);  // [N, 1, 28, 28] in [0, 1]
 */
export class FrechetLeNet {
  private constructor(
    private readonly exe: Executable,
    readonly batchSize: number,
  ) {}

  static async create(
    rt: Runtime,
    opts: { weights?: Uint8Array; batchSize?: number } = {},
  ): Promise<FrechetLeNet> {
    const net = new LeNet(new Rng(0));
    net.loadStateDict(
      decodeSafetensors(opts.weights ?? (await lenetWeights()), 'LeNet weights').tensors,
    );
    const exe = await compileInference(
      rt,
      net,
      { x: { dtype: 'float32', shape: ['batch', 1, 28, 28] } },
      (i) => {
        const features = net.features(i.x);
        return { features, probs: ops.softmax(net.fc3.call(features), -1) };
      },
    );
    return new FrechetLeNet(exe, opts.batchSize ?? 500);
  }

  /** Features [N, 84] and class probabilities [N, 10] of images [N, 1, 28, 28] (or [N, 28, 28]) in [0, 1]. */
  async embed(images: Tensor): Promise<{ features: Tensor; probs: Tensor }> {
    const n = images.shape[0];
    const per = images.size / n;
    if (per !== 784 || images.dtype !== 'float32') {
      throw new RangeError(
        `FrechetLeNet: expected float32 images [N, 1, 28, 28] in [0, 1], got ${images.dtype}[${images.shape.join(',')}]`,
      );
    }
    const feats = new Float32Array(n * 84);
    const probs = new Float32Array(n * 10);
    const data = images.data as Float32Array;
    for (let s = 0; s < n; s += this.batchSize) {
      const e = Math.min(n, s + this.batchSize);
      const x = new Tensor('float32', [e - s, 1, 28, 28], data.subarray(s * 784, e * 784));
      const out = await this.exe.runHost({ x });
      feats.set(out.features.data as Float32Array, s * 84);
      probs.set(out.probs.data as Float32Array, s * 10);
    }
    return {
      features: new Tensor('float32', [n, 84], feats),
      probs: new Tensor('float32', [n, 10], probs),
    };
  }

  /** Class-histogram KL to uniform, mean confidence and confident fraction of images. */
  async classify(images: Tensor): Promise<ClassifierStats & { predictions: Int32Array }> {
    return classifierStats((await this.embed(images)).probs);
  }

  /** FLD between `samples` and `reference` (e.g. the MNIST test set), with the samples' classifier stats. */
  async compare(samples: Tensor, reference: Tensor): Promise<FldResult> {
    const a = await this.embed(samples);
    const b = await this.embed(reference);
    const stats = classifierStats(a.probs);
    return {
      fld: frechetFromSamples(a.features, b.features),
      classKL: stats.classKL,
      meanConfidence: stats.meanConfidence,
      confidentFraction: stats.confidentFraction,
    };
  }
}

/** Stats of class probabilities [N, 10]. */
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
