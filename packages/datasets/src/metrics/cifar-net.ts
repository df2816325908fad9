/**
 * The CIFAR-10 classifier whose features are the space of the image metrics (Frechet
 * distance, precision and recall) for 32x32 RGB images, as LeNet is for MNIST. It is
 * trained with the library itself by `scripts/train-cifar-classifier.ts` (seeded).
 *
 *   x [N, 3, 32, 32] in [0, 1], standardized per channel with CIFAR-10's training mean/std
 *   -> 3 stages of (conv 3x3 + BatchNorm + ReLU) x 2 then maxpool 2, widths c, 2c, 4c
 *   -> global average pool: the 4c features -> linear 10
 *
 * With c = 32 (the default): 288k parameters (1.15 MB of float32), 38 M multiply-adds per image.
 */
import {
  BatchNorm2d,
  Conv2d,
  Linear,
  Module,
  ops,
  type Rng,
  Tensor,
  type Value,
} from '@genmodels/runtime';

/** CIFAR-10's per-channel training-set mean and standard deviation (of pixels in [0, 1]). */
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR10_STD = [0.247, 0.2435, 0.2616] as const;

class ConvBlock extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(cin: number, cout: number, rng: Rng) {
    super();
    this.conv = new Conv2d(cin, cout, 3, { padding: 1, bias: false, rng });
    this.bn = new BatchNorm2d(cout);
  }
  forward(x: Value): Value {
    return ops.relu(this.bn.call(this.conv.call(x)));
  }
}

export class CifarNet extends Module {
  readonly width: number;
  readonly b1: ConvBlock;
  readonly b2: ConvBlock;
  readonly b3: ConvBlock;
  readonly b4: ConvBlock;
  readonly b5: ConvBlock;
  readonly b6: ConvBlock;
  readonly fc: Linear;

  constructor(rng: Rng, width = 32) {
    super();
    this.width = width;
    const [a, b, c] = [width, 2 * width, 4 * width];
    this.b1 = new ConvBlock(3, a, rng);
    this.b2 = new ConvBlock(a, a, rng);
    this.b3 = new ConvBlock(a, b, rng);
    this.b4 = new ConvBlock(b, b, rng);
    this.b5 = new ConvBlock(b, c, rng);
    this.b6 = new ConvBlock(c, c, rng);
    this.fc = new Linear(c, 10, { rng });
  }

  /** The 4c features (global average pool). x: [N, 3, 32, 32], already standardized. */
  features(x: Value): Value {
    let h = ops.maxPool2d(this.b2.call(this.b1.call(x)), 2);
    h = ops.maxPool2d(this.b4.call(this.b3.call(h)), 2);
    h = this.b6.call(this.b5.call(h));
    return ops.mean(h, [2, 3]);
  }

  /** Class logits [N, 10]. x: [N, 3, 32, 32], already standardized. */
  forward(x: Value): Value {
    return this.fc.call(this.features(x));
  }
}

/**
 * Standardizes images [N, 3, 32, 32] per channel with {@link CIFAR10_MEAN} /
 * {@link CIFAR10_STD}: the classifier's input. uint8 images are pixels 0..255 (as
 * `cifar10.train()` gives them), float32 ones are in [0, 1].
 */
export function standardizeCifar(images: Tensor): Tensor<'float32'> {
  const [n, c, h, w] = images.shape;
  const src = images.data as ArrayLike<number>;
  const scale = images.dtype === 'uint8' ? 1 / 255 : 1;
  const out = new Float32Array(n * c * h * w);
  const plane = h * w;
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++) {
      const o = (i * c + ch) * plane;
      const m = CIFAR10_MEAN[ch];
      const s = CIFAR10_STD[ch];
      for (let p = 0; p < plane; p++) out[o + p] = (src[o + p] * scale - m) / s;
    }
  return new Tensor('float32', [n, c, h, w], out);
}
