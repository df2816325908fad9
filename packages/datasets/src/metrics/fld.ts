/**
 * Frechet LeNet Distance (FLD) for MNIST-like 28x28 digits: the Frechet distance between
 * Gaussian fits of the LeNet classifier's 84-d last-hidden-layer features of two image
 * sets, plus the class-histogram KL to uniform and the classifier's mean confidence on
 * generated samples (reference-configs: N = 10,000 for both sets).
 */
import {
  compileInference,
  decodeSafetensors,
  ops,
  Rng,
  type Runtime,
  type Tensor,
} from '@genmodels/runtime';
import {
  ClassifierFeatures,
  type CompareOptions,
  type FeatureComparison,
} from './classifier-features.js';
import { LeNet } from './lenet.js';

export type { ClassifierStats } from './classifier-features.js';
export { classifierStats } from './classifier-features.js';

/** {@link FrechetLeNet.compare}: the Frechet distance as `fld` (and `frechet`). */
export interface FldResult extends FeatureComparison {
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
export class FrechetLeNet extends ClassifierFeatures {
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
    return new FrechetLeNet(
      exe,
      { name: 'FrechetLeNet', imageShape: [1, 28, 28], featureDim: 84, classes: 10 },
      opts.batchSize ?? 500,
    );
  }

  /** FLD between `samples` and `reference` (e.g. the MNIST test set), with the samples' classifier stats. */
  override async compare(
    samples: Tensor,
    reference: Tensor,
    opts: CompareOptions = {},
  ): Promise<FldResult> {
    const r = await super.compare(samples, reference, opts);
    return { ...r, fld: r.frechet };
  }
}
