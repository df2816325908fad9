/**
 * The U-Net's building blocks, shared by this package's U-Net and the diffusers-layout one:
 * the time-conditioned ResBlock, self-attention over the feature map, nearest-2x upsampling.
 */
import {
  Conv2d,
  GroupNorm,
  Linear,
  Module,
  MultiheadAttention,
  ops,
  type Rng,
  type Value,
} from '@genmodels/runtime';

/** GroupNorm -> SiLU -> 3x3 conv, twice, with the time embedding added between; 1x1 skip when channels change. */
export class ResBlock extends Module {
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly temb: Linear;
  readonly norm2: GroupNorm;
  readonly conv2: Conv2d;
  readonly skip?: Conv2d;
  /** @param eps the GroupNorms' epsilon (diffusers' `norm_eps`; this package's U-Net: 1e-5). */
  constructor(cin: number, cout: number, tdim: number, groups: number, rng: Rng, eps = 1e-5) {
    super();
    this.norm1 = new GroupNorm(groups, cin, { eps });
    this.conv1 = new Conv2d(cin, cout, 3, { padding: 1, rng });
    this.temb = new Linear(tdim, cout, { rng });
    this.norm2 = new GroupNorm(groups, cout, { eps });
    this.conv2 = new Conv2d(cout, cout, 3, { padding: 1, rng });
    if (cin !== cout) this.skip = new Conv2d(cin, cout, 1, { rng });
  }
  /** x: [B, cin, H, W], e: SiLU(time embedding) [B, tdim] -> [B, cout, H, W]. */
  forward(x: Value, e: Value): Value {
    let h = this.conv1.call(ops.silu(this.norm1.call(x)));
    h = ops.add(h, ops.unsqueeze(this.temb.call(e), [2, 3]));
    h = this.conv2.call(ops.silu(this.norm2.call(h)));
    return ops.add(this.skip ? this.skip.call(x) : x, h);
  }
}

/** Self-attention over the H*W positions with a residual: GroupNorm -> MHA -> + x. */
export class AttentionBlock extends Module {
  readonly norm: GroupNorm;
  readonly attn: MultiheadAttention;
  constructor(
    readonly channels: number,
    heads: number,
    groups: number,
    rng: Rng,
    eps = 1e-5,
  ) {
    super();
    this.norm = new GroupNorm(groups, channels, { eps });
    this.attn = new MultiheadAttention(channels, heads, { rng });
  }
  forward(x: Value): Value {
    const [, c, hh, ww] = x.shape as number[];
    const seq = ops.transpose(ops.reshape(this.norm.call(x), [-1, c, hh * ww]), [0, 2, 1]);
    const out = this.attn.call(seq).output; // [B, HW, C]
    return ops.add(x, ops.reshape(ops.transpose(out, [0, 2, 1]), [-1, c, hh, ww]));
  }
}

/** Nearest upsampling by 2 then a 3x3 conv. */
export class Upsample2 extends Module {
  readonly conv: Conv2d;
  constructor(c: number, rng: Rng) {
    super();
    this.conv = new Conv2d(c, c, 3, { padding: 1, rng });
  }
  forward(x: Value): Value {
    return this.conv.call(ops.upsampleNearest2d(x, 2));
  }
}
