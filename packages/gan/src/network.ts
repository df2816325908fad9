/**
 * Generator and discriminator networks. Data are flat: points [B, dataDim], images
 * [B, 784] in [-1, 1] (reshaped to [B, 1, 28, 28] inside). Conditional networks take a
 * one-hot label y: [B, numClasses]. Field names give the PyTorch state_dict keys
 * (`generator.fc1.weight`, `discriminator.conv2.weight`).
 */
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  init,
  Linear,
  Module,
  ops,
  type Rng,
  Tensor,
  type Value,
} from '@genmodels/runtime';
import type { GanConfig } from './config.js';

/** Concatenate the one-hot label (if any) to the features: [B, F] -> [B, F + K]. */
function withLabel(h: Value, y: Value | undefined): Value {
  return y ? ops.concat([h, y], 1) : h;
}

/** MLP generator: z (+ y) -> hidden-ReLU-hidden-ReLU -> dataDim. */
export class MlpGenerator extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly fc3: Linear;
  constructor(cfg: GanConfig, rng: Rng) {
    super();
    this.fc1 = new Linear(cfg.zDim + cfg.numClasses, cfg.hidden, { rng });
    this.fc2 = new Linear(cfg.hidden, cfg.hidden, { rng });
    this.fc3 = new Linear(cfg.hidden, cfg.dataDim, { rng });
  }
  /** z: [B, zDim], y: [B, K] -> x: [B, dataDim]. */
  forward(z: Value, y?: Value): Value {
    const h = ops.relu(this.fc2.call(ops.relu(this.fc1.call(withLabel(z, y)))));
    return this.fc3.call(h);
  }
}

/** MLP discriminator: x (+ y) -> hidden-LeakyReLU(0.2)-hidden-LeakyReLU(0.2) -> 1 logit. */
export class MlpDiscriminator extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly fc3: Linear;
  constructor(cfg: GanConfig, rng: Rng) {
    super();
    this.fc1 = new Linear(cfg.dataDim + cfg.numClasses, cfg.hidden, { rng });
    this.fc2 = new Linear(cfg.hidden, cfg.hidden, { rng });
    this.fc3 = new Linear(cfg.hidden, 1, { rng });
  }
  /** x: [B, dataDim], y: [B, K] -> logits [B, 1]. */
  forward(x: Value, y?: Value): Value {
    const h = ops.leakyRelu(this.fc1.call(withLabel(x, y)), 0.2);
    return this.fc3.call(ops.leakyRelu(this.fc2.call(h), 0.2));
  }
}

/** DCGAN generator: z (+ y) -> Linear 2c*7*7 -> BN-ReLU -> ConvT 2c->c -> BN-ReLU -> ConvT c->1 -> Tanh. */
export class DcganGenerator extends Module {
  readonly fc: Linear;
  readonly bn0: BatchNorm1d;
  readonly deconv1: ConvTranspose2d;
  readonly bn1: BatchNorm2d;
  readonly deconv2: ConvTranspose2d;
  readonly #c: number;
  constructor(cfg: GanConfig, rng: Rng) {
    super();
    const c = cfg.hidden;
    this.#c = 2 * c;
    this.fc = new Linear(cfg.zDim + cfg.numClasses, 2 * c * 49, { rng });
    this.bn0 = new BatchNorm1d(2 * c * 49);
    this.deconv1 = new ConvTranspose2d(2 * c, c, 4, { stride: 2, padding: 1, rng });
    this.bn1 = new BatchNorm2d(c);
    this.deconv2 = new ConvTranspose2d(c, 1, 4, { stride: 2, padding: 1, rng });
  }
  /** z: [B, zDim], y: [B, K] -> images [B, 784] in (-1, 1). */
  forward(z: Value, y?: Value): Value {
    const h = ops.relu(this.bn0.call(this.fc.call(withLabel(z, y))));
    const m = ops.reshape(h, [-1, this.#c, 7, 7]);
    const x = ops.tanh(this.deconv2.call(ops.relu(this.bn1.call(this.deconv1.call(m)))));
    return ops.reshape(x, [-1, 784]);
  }
}

/**
 * DCGAN discriminator: Conv 1->c -> LReLU -> Conv c->2c -> BN -> LReLU -> Linear -> 1. A
 * conditional one sees the label as K constant input planes (Conv (1+K)->c), so it can judge
 * whether the image fits the class (a label added only at the last layer could not).
 */
export class DcganDiscriminator extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly fc: Linear;
  readonly #k: number;
  constructor(cfg: GanConfig, rng: Rng) {
    super();
    const c = cfg.hidden;
    this.#k = cfg.numClasses;
    this.conv1 = new Conv2d(1 + cfg.numClasses, c, 4, { stride: 2, padding: 1, rng });
    this.conv2 = new Conv2d(c, 2 * c, 4, { stride: 2, padding: 1, rng });
    this.bn2 = new BatchNorm2d(2 * c);
    this.fc = new Linear(2 * c * 49, 1, { rng });
  }
  /** x: [B, 784], y: [B, K] -> logits [B, 1]. */
  forward(x: Value, y?: Value): Value {
    let img = ops.reshape(x, [-1, 1, 28, 28]);
    if (y) {
      const ones = y.graph.constant(
        new Tensor('float32', [1, 1, 28, 28], new Float32Array(784).fill(1)),
      );
      img = ops.concat([img, ops.mul(ops.reshape(y, [-1, this.#k, 1, 1]), ones)], 1);
    }
    const h = ops.leakyRelu(this.conv1.call(img), 0.2);
    const f = ops.flatten(ops.leakyRelu(this.bn2.call(this.conv2.call(h)), 0.2), 1);
    return this.fc.call(f);
  }
}

/** The generator/discriminator pair; keys start with `generator.` and `discriminator.`. */
export class GanNetwork extends Module {
  readonly generator: MlpGenerator | DcganGenerator;
  readonly discriminator: MlpDiscriminator | DcganDiscriminator;
  constructor(
    readonly cfg: GanConfig,
    rng: Rng,
  ) {
    super();
    const dcgan = cfg.arch === 'dcgan';
    this.generator = dcgan ? new DcganGenerator(cfg, rng) : new MlpGenerator(cfg, rng);
    this.discriminator = dcgan ? new DcganDiscriminator(cfg, rng) : new MlpDiscriminator(cfg, rng);
    if (cfg.initStd > 0) this.#dcganInit(rng);
  }

  /** DCGAN init: weights N(0, std), BatchNorm scales N(1, std), biases 0. */
  #dcganInit(rng: Rng): void {
    const std = this.cfg.initStd;
    for (const [k, p] of this.namedParameters()) {
      const bn = /\.bn\d\./.test(k);
      if (k.endsWith('.weight')) p.data = init.normal(p.shape, bn ? 1 : 0, std, rng);
      else if (k.endsWith('.bias')) p.data = init.zeros(p.shape);
    }
  }

  /** D's logits on x: [B, dataDim] -> [B, 1]. */
  forward(x: Value, y?: Value): Value {
    return this.discriminator.call(x, y);
  }
}

/** True for the parameter and buffer names of the generator. */
export const isGenerator = (name: string): boolean => name.startsWith('generator.');
/** True for the parameter and buffer names of the discriminator. */
export const isDiscriminator = (name: string): boolean => name.startsWith('discriminator.');
