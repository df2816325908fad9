/**
 * RealNVP's multi-scale architecture (Dinh et al. 2017, section 3.6) over images [C, H, W]
 * read flat: per scale 3 checkerboard couplings, a squeeze [C, H, W] -> [4C, H/2, W/2], 3
 * channel-wise couplings, then half of the channels factored out (they are part of z and go
 * straight to the standard normal prior); at the end 4 checkerboard couplings. Masks
 * alternate within each group. The squeeze is a permutation (log-det 0), so the log-det is
 * the couplings' sum, exactly.
 */
import { Module, ops, type Rng, type Value } from '@genmodels/runtime';
import { currentTrace } from '@genmodels/runtime/internal';
import { type ImageShape, multiscaleShapes } from './config.js';
import { ConvCoupling, type ConvMask } from './conv-coupling.js';
import { FlowError } from './errors.js';
import { FlowLayer, type FlowStep } from './layer.js';
import { squeeze2d, unsqueeze2d } from './squeeze.js';

/** Widths of the couplings' conv ResNets. */
export interface MultiScaleOptions {
  /** Squeeze levels before the final couplings (H and W divisible by 2^scales). */
  scales: number;
  /** Channels of the conv ResNets' hidden layers. */
  hidden: number;
  /** Residual blocks per ResNet. */
  blocks: number;
  rng: Rng;
}

/** `n` couplings over `channels` with alternating masks of one kind. */
function couplings(
  n: number,
  channels: number,
  kind: ConvMask['kind'],
  opts: MultiScaleOptions,
): ConvCoupling[] {
  const net = { hidden: opts.hidden, blocks: opts.blocks, rng: opts.rng };
  return Array.from(
    { length: n },
    (_, k) => new ConvCoupling(channels, { kind, parity: (k % 2) as 0 | 1 }, net),
  );
}

/** One scale: checkerboard couplings at [C, H, W], squeeze, channel-wise couplings at [4C, H/2, W/2]. */
export class MultiScaleLevel extends Module {
  readonly checker: ConvCoupling[];
  readonly channel: ConvCoupling[];

  constructor(channels: number, opts: MultiScaleOptions) {
    super();
    this.checker = couplings(3, channels, 'checkerboard', opts);
    this.channel = couplings(3, 4 * channels, 'channel', opts);
  }

  /** x [B, C, H, W] -> the factored-out half [B, 2C, H/2, W/2], the rest [B, 2C, H/2, W/2], log-det. */
  forward(x: Value): { out: Value; h: Value; logdet: Value } {
    const dets: Value[] = [];
    let h = applyAll(this.checker, x, dets);
    h = applyAll(this.channel, squeeze2d(h), dets);
    const half = (h.shape[1] as number) / 2;
    return {
      out: ops.slice(h, [0], [half], [1]),
      h: ops.slice(h, [half], [2 * half], [1]),
      logdet: sumAll(dets),
    };
  }

  /** `inverse` inside this module's scope (node names and errors carry the module path). */
  callInverse(out: Value, h: Value): Value {
    return currentTrace('MultiScaleLevel.inverse').graph.atScope(this.path, () =>
      this.inverse(out, h),
    );
  }

  /** The inverse: the factored-out half and the rest back to x [B, C, H, W]. */
  inverse(out: Value, h: Value): Value {
    let x = ops.concat([out, h], 1);
    for (let i = this.channel.length - 1; i >= 0; i--) x = this.channel[i].callInverse(x);
    x = unsqueeze2d(x);
    for (let i = this.checker.length - 1; i >= 0; i--) x = this.checker[i].callInverse(x);
    return x;
  }
}

/** x through `layers` in order; each one's log-det is pushed onto `dets`. */
function applyAll(layers: readonly ConvCoupling[], x: Value, dets: Value[]): Value {
  let h = x;
  for (const layer of layers) {
    const s = layer.call(h);
    dets.push(s.logdet);
    h = s.y;
  }
  return h;
}

function sumAll(vs: Value[]): Value {
  return vs.reduce((a, b) => ops.add(a, b));
}

/**
 * The multi-scale flow as one layer over flat points: x [B, C*H*W] (the memory order of
 * [C, H, W]) -> z [B, C*H*W] = the factored-out parts of each scale, flattened, then the
 * final couplings' output, flattened; and log|det dz/dx| [B].
 *
 * @example
 * const f = new MultiScaleFlow([3, 32, 32], { scales: 1, hidden: 64, blocks: 2, rng });
 * f.call(x);   // x: [B, 3072] -> { y: z [B, 3072], logdet: [B] }
 */
export class MultiScaleFlow extends FlowLayer {
  readonly levels: MultiScaleLevel[];
  readonly final: ConvCoupling[];

  constructor(
    readonly shape: ImageShape,
    opts: MultiScaleOptions,
  ) {
    super();
    const { levels, final } = multiscaleShapes(shape, opts.scales);
    const [, h, w] = shape;
    const m = 2 ** opts.scales;
    if (h % m !== 0 || w % m !== 0)
      throw new FlowError(
        `MultiScaleFlow: image height and width (${h}x${w}) must be divisible by ${m} (2^scales, scales ${opts.scales})`,
      );
    this.levels = levels.map(([c]) => new MultiScaleLevel(c, opts));
    this.final = couplings(4, final[0], 'checkerboard', opts);
  }

  forward(x: Value): FlowStep {
    const b = x.shape[0];
    let h = ops.reshape(x, [b, ...this.shape]);
    const zs: Value[] = [];
    const dets: Value[] = [];
    for (const level of this.levels) {
      const s = level.call(h);
      zs.push(ops.flatten(s.out, 1));
      dets.push(s.logdet);
      h = s.h;
    }
    h = applyAll(this.final, h, dets);
    zs.push(ops.flatten(h, 1));
    return { y: zs.length === 1 ? zs[0] : ops.concat(zs, 1), logdet: sumAll(dets) };
  }

  inverse(z: Value): Value {
    const b = z.shape[0];
    const { levels, final } = multiscaleShapes(this.shape, this.levels.length);
    // z's pieces: each level's factored-out [2C, H/2, W/2], then the final [C', H', W'].
    const parts = [...levels.map(([c, h, w]): ImageShape => [2 * c, h / 2, w / 2]), final];
    const sizes = parts.map(([c, h, w]) => c * h * w);
    const pieces = sizes.length === 1 ? [z] : ops.split(z, sizes, 1);
    let h = ops.reshape(pieces[parts.length - 1], [b, ...final]);
    for (let i = this.final.length - 1; i >= 0; i--) h = this.final[i].callInverse(h);
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const out = ops.reshape(pieces[i], [b, ...parts[i]]);
      h = this.levels[i].callInverse(out, h);
    }
    return ops.flatten(h, 1);
  }
}
