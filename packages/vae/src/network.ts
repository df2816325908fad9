/**
 * The encoder and decoder networks. Inputs are flat images x: [B, D] in [0, 1] with
 * D = C*H*W in the memory order of [B, C, H, W] (see `vaeImageShape`); the decoder returns
 * pixel logits [B, D] for either likelihood, so one `decode` serves both.
 * Field names give the PyTorch state_dict keys (`encoder.fc1.weight`, `decoder.fc2.bias`).
 */
import {
  Conv2d,
  ConvTranspose2d,
  Linear,
  Module,
  ops,
  Parameter,
  type Rng,
  Tensor,
  type Value,
} from '@genmodels/runtime';
import { type ImageShape, type VaeConfig, vaeImageShape } from './config.js';

/** Parameters of q(z|x): mean and log-variance, both [B, latent]. */
export interface Posterior {
  mu: Value;
  logvar: Value;
}

/** Encoder C*H*W -> hidden (ReLU) -> (mu, logvar). */
export class MlpEncoder extends Module {
  readonly fc1: Linear;
  readonly fc_mu: Linear;
  readonly fc_logvar: Linear;
  constructor(cfg: VaeConfig, rng: Rng) {
    super();
    const [c, h, w] = vaeImageShape(cfg);
    this.fc1 = new Linear(c * h * w, cfg.hidden, { rng });
    this.fc_mu = new Linear(cfg.hidden, cfg.latent, { rng });
    this.fc_logvar = new Linear(cfg.hidden, cfg.latent, { rng });
  }
  /** x: [B, C*H*W] -> mu, logvar: [B, latent]. */
  forward(x: Value): Posterior {
    const h = ops.relu(this.fc1.call(x));
    return { mu: this.fc_mu.call(h), logvar: this.fc_logvar.call(h) };
  }
}

/** Decoder latent -> hidden (ReLU) -> C*H*W logits. */
export class MlpDecoder extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  /** Learned log standard deviation of the Gaussian likelihood, [1] (only when learned). */
  readonly log_sigma?: Parameter;
  constructor(cfg: VaeConfig, rng: Rng) {
    super();
    const [c, h, w] = vaeImageShape(cfg);
    this.fc1 = new Linear(cfg.latent, cfg.hidden, { rng });
    this.fc2 = new Linear(cfg.hidden, c * h * w, { rng });
    if (cfg.likelihood === 'gaussian' && cfg.gaussianSigma === 'learned')
      this.log_sigma = new Parameter(Tensor.zeros([1]));
  }
  /** z: [B, latent] -> logits [B, C*H*W]. */
  forward(z: Value): Value {
    return this.fc2.call(ops.relu(this.fc1.call(z)));
  }
}

/** Encoder Conv C->c1->c2 (k4, s2, p1, ReLU) -> Linear heads. */
export class ConvEncoder extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly fc_mu: Linear;
  readonly fc_logvar: Linear;
  readonly #shape: ImageShape;
  constructor(cfg: VaeConfig, rng: Rng) {
    super();
    const [c1, c2] = cfg.channels;
    this.#shape = vaeImageShape(cfg);
    const [c, h, w] = this.#shape;
    const flat = c2 * (h / 4) * (w / 4);
    this.conv1 = new Conv2d(c, c1, 4, { stride: 2, padding: 1, rng });
    this.conv2 = new Conv2d(c1, c2, 4, { stride: 2, padding: 1, rng });
    this.fc_mu = new Linear(flat, cfg.latent, { rng });
    this.fc_logvar = new Linear(flat, cfg.latent, { rng });
  }
  /** x: [B, C*H*W] -> mu, logvar: [B, latent]. */
  forward(x: Value): Posterior {
    const img = ops.reshape(x, [-1, ...this.#shape]);
    const h = ops.relu(this.conv2.call(ops.relu(this.conv1.call(img))));
    const f = ops.flatten(h, 1);
    return { mu: this.fc_mu.call(f), logvar: this.fc_logvar.call(f) };
  }
}

/** Decoder Linear -> [c2, H/4, W/4] -> ConvTranspose c2->c1->C (k4, s2, p1) -> logits. */
export class ConvDecoder extends Module {
  readonly fc1: Linear;
  readonly deconv1: ConvTranspose2d;
  readonly deconv2: ConvTranspose2d;
  readonly log_sigma?: Parameter;
  readonly #shape: ImageShape;
  readonly #c2: number;
  constructor(cfg: VaeConfig, rng: Rng) {
    super();
    const [c1, c2] = cfg.channels;
    this.#shape = vaeImageShape(cfg);
    const [c, h, w] = this.#shape;
    this.#c2 = c2;
    this.fc1 = new Linear(cfg.latent, c2 * (h / 4) * (w / 4), { rng });
    this.deconv1 = new ConvTranspose2d(c2, c1, 4, { stride: 2, padding: 1, rng });
    this.deconv2 = new ConvTranspose2d(c1, c, 4, { stride: 2, padding: 1, rng });
    if (cfg.likelihood === 'gaussian' && cfg.gaussianSigma === 'learned')
      this.log_sigma = new Parameter(Tensor.zeros([1]));
  }
  /** z: [B, latent] -> logits [B, C*H*W]. */
  forward(z: Value): Value {
    const [c, h, w] = this.#shape;
    const f = ops.reshape(ops.relu(this.fc1.call(z)), [-1, this.#c2, h / 4, w / 4]);
    const y = this.deconv2.call(ops.relu(this.deconv1.call(f)));
    return ops.reshape(y, [-1, c * h * w]);
  }
}

/** The encoder/decoder pair; `stateDict()` keys start with `encoder.` and `decoder.`. */
export class VaeNetwork extends Module {
  readonly encoder: MlpEncoder | ConvEncoder;
  readonly decoder: MlpDecoder | ConvDecoder;
  constructor(
    readonly cfg: VaeConfig,
    rng: Rng,
  ) {
    super();
    this.encoder = cfg.arch === 'conv' ? new ConvEncoder(cfg, rng) : new MlpEncoder(cfg, rng);
    this.decoder = cfg.arch === 'conv' ? new ConvDecoder(cfg, rng) : new MlpDecoder(cfg, rng);
  }
  /** x: [B, C*H*W] -> q(z|x) parameters. */
  forward(x: Value): Posterior {
    return this.encoder.call(x);
  }
}
