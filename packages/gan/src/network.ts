/**
 * Generator and discriminator networks. Data are flat: points [B, dataDim], images
 * [B, C*H*W] in [-1, 1] (reshaped to [B, C, H, W] inside; MNIST: [B, 784], 1x28x28). Conditional networks take a
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
import { dcganLayout, type GanConfig } from './config.js';

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

/**
 * Give `owner` the child module `m` as the enumerable field `name`: the state-dict key of a
 * stage numbered at run time (`deconv3`, `bn3`), in the order the children are made (the
 * order of the keys and of the init draws).
 */
function addChild(owner: Module, name: string, m: Module): void {
  Object.defineProperty(owner, name, { value: m, enumerable: true });
}

/**
 * DCGAN generator: z (+ y) -> Linear W*h0*w0 -> BN-ReLU -> per stride-2 stage ConvT k4 s2 p1
 * halving the channels (BN-ReLU after all but the last) -> C -> Tanh, with W = 2^(u-1) c and
 * [h0, w0] = [H, W] / 2^u. MNIST (u = 2): Linear 2c*7*7, ConvT 2c->c, ConvT c->1; CIFAR-10
 * (u = 3): Linear 4c*4*4, ConvT 4c->2c->c->3. Keys: `fc`, `bn0`, `deconv1`, `bn1`, ...
 */
export class DcganGenerator extends Module {
  // Declared only: the fields are made in order in the constructor (see addChild).
  declare readonly fc: Linear;
  declare readonly bn0: BatchNorm1d;
  readonly #deconvs: ConvTranspose2d[] = [];
  readonly #bns: BatchNorm2d[] = [];
  readonly #plane: number[];
  readonly #d: number;
  constructor(cfg: GanConfig, rng: Rng) {
    super();
    const { shape, widest, plane, channels } = dcganLayout(cfg);
    const flat = widest * plane[0] * plane[1];
    this.#plane = [widest, ...plane];
    this.#d = shape[0] * shape[1] * shape[2];
    addChild(this, 'fc', new Linear(cfg.zDim + cfg.numClasses, flat, { rng }));
    addChild(this, 'bn0', new BatchNorm1d(flat));
    let from = widest;
    for (const [i, to] of channels.entries()) {
      const deconv = new ConvTranspose2d(from, to, 4, { stride: 2, padding: 1, rng });
      addChild(this, `deconv${i + 1}`, deconv);
      this.#deconvs.push(deconv);
      if (i < channels.length - 1) {
        const bn = new BatchNorm2d(to);
        addChild(this, `bn${i + 1}`, bn);
        this.#bns.push(bn);
      }
      from = to;
    }
  }
  /** z: [B, zDim], y: [B, K] -> images [B, C*H*W] in (-1, 1). */
  forward(z: Value, y?: Value): Value {
    const h = ops.relu(this.bn0.call(this.fc.call(withLabel(z, y))));
    let m = ops.reshape(h, [-1, ...this.#plane]);
    for (const [i, bn] of this.#bns.entries()) m = ops.relu(bn.call(this.#deconvs[i].call(m)));
    const x = ops.tanh((this.#deconvs.at(-1) as ConvTranspose2d).call(m));
    return ops.reshape(x, [-1, this.#d]);
  }
}

/**
 * DCGAN discriminator: Conv C->c k4 s2 p1 -> LReLU(0.2), then per further stage Conv doubling
 * the channels -> BN -> LReLU, then Linear W*h0*w0 -> 1 (the generator mirrored; MNIST: Conv
 * 1->c, Conv c->2c, BN, Linear). A conditional one sees the label as K constant input planes
 * (Conv (C+K)->c), so it can judge whether the image fits the class (a label added only at
 * the last layer could not). Keys: `conv1`, `conv2`, `bn2`, ..., `fc`.
 */
export class DcganDiscriminator extends Module {
  // Declared only: the fields are made in order in the constructor (see addChild).
  declare readonly conv1: Conv2d;
  declare readonly fc: Linear;
  readonly #convs: Conv2d[] = [];
  readonly #bns: BatchNorm2d[] = [];
  readonly #shape: number[];
  readonly #k: number;
  constructor(cfg: GanConfig, rng: Rng) {
    super();
    const { shape, stages, widest, plane } = dcganLayout(cfg);
    const c = cfg.hidden;
    this.#shape = shape;
    this.#k = cfg.numClasses;
    const conv = (from: number, to: number) =>
      new Conv2d(from, to, 4, { stride: 2, padding: 1, rng });
    addChild(this, 'conv1', conv(shape[0] + cfg.numClasses, c));
    for (let i = 2; i <= stages; i++) {
      const to = c * 2 ** (i - 1);
      const layer = conv(to / 2, to);
      addChild(this, `conv${i}`, layer);
      this.#convs.push(layer);
      const bn = new BatchNorm2d(to);
      addChild(this, `bn${i}`, bn);
      this.#bns.push(bn);
    }
    addChild(this, 'fc', new Linear(widest * plane[0] * plane[1], 1, { rng }));
  }
  /** x: [B, C*H*W], y: [B, K] -> logits [B, 1]. */
  forward(x: Value, y?: Value): Value {
    const [c, h, w] = this.#shape;
    let img = ops.reshape(x, [-1, c, h, w]);
    if (y) {
      const ones = y.graph.constant(
        new Tensor('float32', [1, 1, h, w], new Float32Array(h * w).fill(1)),
      );
      img = ops.concat([img, ops.mul(ops.reshape(y, [-1, this.#k, 1, 1]), ones)], 1);
    }
    let f = ops.leakyRelu(this.conv1.call(img), 0.2);
    for (const [i, layer] of this.#convs.entries())
      f = ops.leakyRelu(this.#bns[i].call(layer.call(f)), 0.2);
    return this.fc.call(ops.flatten(f, 1));
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
      const bn = /\.bn\d+\./.test(k);
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
