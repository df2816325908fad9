/**
 * The couplings of RealNVP's multi-scale flow, over images [B, C, H, W]: a checkerboard
 * mask (pixels with (h + w + parity) even pass through) or a channel-wise mask (one half of
 * the channels passes through), with s = scale * tanh(raw) and t from a conv ResNet of the
 * kept values. The ResNet's last conv starts at zero, so a new coupling is the identity.
 */
import { Conv2d, init, Module, ops, Parameter, type Rng, type Value } from '@genmodels/runtime';
import { FlowError } from './errors.js';
import { FlowLayer, type FlowStep, floatConst } from './layer.js';

/** Width and depth of a coupling's conv ResNet, and the randomness of its init. */
export interface ConvNetOptions {
  /** Channels of the hidden convs. */
  hidden: number;
  /** Residual blocks (two 3x3 convs each). */
  blocks: number;
  rng: Rng;
}

/** One residual block: h + conv2(relu(conv1(relu(h)))), 3x3 convs keeping the size. */
export class ResBlock extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;

  constructor(channels: number, rng: Rng) {
    super();
    this.conv1 = new Conv2d(channels, channels, 3, { padding: 1, rng });
    this.conv2 = new Conv2d(channels, channels, 3, { padding: 1, rng });
  }

  forward(h: Value): Value {
    return ops.add(h, this.conv2.call(ops.relu(this.conv1.call(ops.relu(h)))));
  }
}

/**
 * The s/t network: 3x3 conv in -> hidden, `blocks` residual blocks, ReLU, 3x3 conv
 * hidden -> out (zero-initialized). x: [B, in, H, W] -> [B, out, H, W].
 */
export class ConvResNet extends Module {
  readonly input: Conv2d;
  readonly blocks: ResBlock[];
  readonly output: Conv2d;

  constructor(inputs: number, outputs: number, opts: ConvNetOptions) {
    super();
    const { hidden, rng } = opts;
    this.input = new Conv2d(inputs, hidden, 3, { padding: 1, rng });
    this.blocks = Array.from({ length: opts.blocks }, () => new ResBlock(hidden, rng));
    this.output = new Conv2d(hidden, outputs, 3, { padding: 1, rng });
    this.output.weight.data = init.zeros([outputs, hidden, 3, 3]);
    if (this.output.bias) this.output.bias.data = init.zeros([outputs]);
  }

  forward(x: Value): Value {
    let h = this.input.call(x);
    for (const b of this.blocks) h = b.call(h);
    return this.output.call(ops.relu(h));
  }
}

/** Which values a coupling keeps: 'checkerboard' (spatial) or 'channel' (a half of the channels); parity flips it. */
export interface ConvMask {
  kind: 'checkerboard' | 'channel';
  /** 0: keep pixels with h + w even / the first half of the channels; 1: the others. */
  parity: 0 | 1;
}

/**
 * One affine coupling over images [B, C, H, W].
 *
 * @example
 * const c = new ConvCoupling(3, { kind: 'checkerboard', parity: 0 }, { hidden: 64, blocks: 2, rng });
 * c.call(x);   // x: [B, 3, 32, 32] -> { y: [B, 3, 32, 32], logdet: [B] }
 */
export class ConvCoupling extends FlowLayer {
  /** Per changed channel: s = scale * tanh(raw); [C', 1, 1]. */
  readonly scale: Parameter;
  readonly net: ConvResNet;

  constructor(
    readonly channels: number,
    readonly mask: ConvMask,
    opts: ConvNetOptions,
  ) {
    super();
    const channel = mask.kind === 'channel';
    if (channel && channels % 2 !== 0)
      throw new FlowError(
        `ConvCoupling: a channel-wise mask splits the channels in halves; ${channels} is odd`,
      );
    // Channel-wise: the net sees the kept half and gives (s, t) for the other half.
    const changed = channel ? channels / 2 : channels;
    this.scale = new Parameter(init.ones([changed, 1, 1]));
    this.net = new ConvResNet(channel ? channels / 2 : channels, 2 * changed, opts);
  }

  /** (s, t) from the kept values: each [B, C', H, W]. */
  #st(kept: Value): { s: Value; t: Value } {
    const c = this.scale.shape[0];
    const h = this.net.call(kept);
    const raw = ops.slice(h, [0], [c], [1]);
    const t = ops.slice(h, [c], [2 * c], [1]);
    return { s: ops.mul(ops.tanh(raw), this.scale.value), t };
  }

  /** The checkerboard [1, 1, H, W]: 1 where kept. */
  #board(x: Value): Value {
    const [h, w] = [x.shape[2], x.shape[3]];
    if (typeof h !== 'number' || typeof w !== 'number')
      throw new FlowError(`ConvCoupling: image height and width must be static, got ${h}x${w}`);
    const m = new Float32Array(h * w);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) m[i * w + j] = (i + j + this.mask.parity) % 2 === 0 ? 1 : 0;
    return floatConst(x, [1, 1, h, w], m);
  }

  /** The kept and changed channel halves of x, in that order. */
  #halves(x: Value): [Value, Value] {
    const c = this.channels;
    const first = ops.slice(x, [0], [c / 2], [1]);
    const second = ops.slice(x, [c / 2], [c], [1]);
    return this.mask.parity === 0 ? [first, second] : [second, first];
  }

  /** Kept and changed halves back in channel order. */
  #join(kept: Value, changed: Value): Value {
    return ops.concat(this.mask.parity === 0 ? [kept, changed] : [changed, kept], 1);
  }

  forward(x: Value): FlowStep {
    if (this.mask.kind === 'channel') {
      const [xa, xb] = this.#halves(x);
      const { s, t } = this.#st(xa);
      const yb = ops.add(ops.mul(xb, ops.exp(s)), t);
      return { y: this.#join(xa, yb), logdet: ops.sum(s, [1, 2, 3]) };
    }
    const b = this.#board(x);
    const free = ops.sub(1, b);
    const raw = this.#st(ops.mul(x, b));
    // s and t vanish on kept pixels, so y = x there and they add nothing to the log-det.
    const s = ops.mul(raw.s, free);
    const t = ops.mul(raw.t, free);
    return { y: ops.add(ops.mul(x, ops.exp(s)), t), logdet: ops.sum(s, [1, 2, 3]) };
  }

  inverse(y: Value): Value {
    // The kept values are unchanged, so the net sees exactly what it saw in forward.
    if (this.mask.kind === 'channel') {
      const [ya, yb] = this.#halves(y);
      const { s, t } = this.#st(ya);
      return this.#join(ya, ops.mul(ops.sub(yb, t), ops.exp(ops.neg(s))));
    }
    const b = this.#board(y);
    const free = ops.sub(1, b);
    const raw = this.#st(ops.mul(y, b));
    const s = ops.mul(raw.s, free);
    const t = ops.mul(raw.t, free);
    return ops.mul(ops.sub(y, t), ops.exp(ops.neg(s)));
  }
}
