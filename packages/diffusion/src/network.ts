/**
 * Denoisers eps_theta(x_t, t, y): an MLP for points and a U-Net for 28x28 images, both with
 * a sinusoidal time embedding and, when class-conditional, a learned class embedding
 * (class K is the null class of classifier-free guidance). Field names give the PyTorch
 * state_dict keys (`denoiser.time1.weight`, `denoiser.down.0.conv1.weight`).
 */
import {
  Conv2d,
  Embedding,
  GroupNorm,
  Linear,
  Module,
  ModuleList,
  MultiheadAttention,
  ops,
  type Rng,
  type Value,
} from '@genmodels/runtime';
import type { DiffusionConfig } from './config.js';
import { timestepEmbedding } from './embedding.js';

/** The MLP denoiser: x [B, D], t [B], y [B] -> [B, D]; the time (+ class) embedding is added in every layer. */
export class MlpDenoiser extends Module {
  readonly time1: Linear;
  readonly time2: Linear;
  readonly classEmbed?: Embedding;
  readonly input: Linear;
  readonly layers: ModuleList<Linear>;
  readonly timeProj: ModuleList<Linear>;
  readonly output: Linear;
  readonly #dim: number;
  constructor(cfg: DiffusionConfig, rng: Rng) {
    super();
    const h = cfg.hidden;
    this.#dim = h;
    this.time1 = new Linear(h, h, { rng });
    this.time2 = new Linear(h, h, { rng });
    if (cfg.numClasses > 0) this.classEmbed = new Embedding(cfg.numClasses + 1, h, { rng });
    this.input = new Linear(cfg.dataDim, h, { rng });
    const n = cfg.layers;
    this.layers = new ModuleList(Array.from({ length: n - 1 }, () => new Linear(h, h, { rng })));
    this.timeProj = new ModuleList(Array.from({ length: n }, () => new Linear(h, h, { rng })));
    this.output = new Linear(h, cfg.dataDim, { rng });
  }
  forward(x: Value, t: Value, y?: Value): Value {
    let emb = this.time2.call(ops.silu(this.time1.call(timestepEmbedding(t, this.#dim))));
    if (this.classEmbed && y) emb = ops.add(emb, this.classEmbed.call(y));
    const e = ops.silu(emb);
    const proj = this.timeProj;
    let h = ops.silu(ops.add(this.input.call(x), proj[0].call(e)));
    for (let i = 0; i < this.layers.length; i++)
      h = ops.silu(ops.add(this.layers[i].call(h), proj[i + 1].call(e)));
    return this.output.call(h);
  }
}

/** GroupNorm -> SiLU -> 3x3 conv, twice, with the time embedding added between; 1x1 skip when channels change. */
export class ResBlock extends Module {
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly temb: Linear;
  readonly norm2: GroupNorm;
  readonly conv2: Conv2d;
  readonly skip?: Conv2d;
  constructor(cin: number, cout: number, tdim: number, groups: number, rng: Rng) {
    super();
    this.norm1 = new GroupNorm(groups, cin);
    this.conv1 = new Conv2d(cin, cout, 3, { padding: 1, rng });
    this.temb = new Linear(tdim, cout, { rng });
    this.norm2 = new GroupNorm(groups, cout);
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
  ) {
    super();
    this.norm = new GroupNorm(groups, channels);
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

/**
 * U-Net for 28x28: conv_in -> [Res c0] 28 -> down(stride-2 conv) -> [Res c1] 14 -> down ->
 * [Res c2] 7 -> mid (Res, optional attention, Res) -> up path with skip concatenation
 * (Res at 7, nearest+conv up, Res at 14, up, Res at 28) -> GroupNorm, SiLU, conv_out.
 * x: [B, 1, 28, 28], t: [B], y: [B] int64 -> [B, 1, 28, 28].
 */
export class UNet extends Module {
  readonly time1: Linear;
  readonly time2: Linear;
  readonly classEmbed?: Embedding;
  readonly convIn: Conv2d;
  readonly down: ModuleList<ResBlock>;
  readonly downsample: ModuleList<Conv2d>;
  readonly mid1: ResBlock;
  readonly midAttn?: AttentionBlock;
  readonly mid2: ResBlock;
  readonly up: ModuleList<ResBlock>;
  readonly upsample: ModuleList<Upsample2>;
  readonly normOut: GroupNorm;
  readonly convOut: Conv2d;
  readonly #c0: number;
  constructor(cfg: DiffusionConfig, rng: Rng) {
    super();
    const [c0, c1, c2] = cfg.channels;
    const g = cfg.groups;
    const td = 4 * c0;
    this.#c0 = c0;
    this.time1 = new Linear(c0, td, { rng });
    this.time2 = new Linear(td, td, { rng });
    if (cfg.numClasses > 0) this.classEmbed = new Embedding(cfg.numClasses + 1, td, { rng });
    this.convIn = new Conv2d(1, c0, 3, { padding: 1, rng });
    this.down = new ModuleList([
      new ResBlock(c0, c0, td, g, rng),
      new ResBlock(c0, c1, td, g, rng),
      new ResBlock(c1, c2, td, g, rng),
    ]);
    this.downsample = new ModuleList([
      new Conv2d(c0, c0, 3, { stride: 2, padding: 1, rng }),
      new Conv2d(c1, c1, 3, { stride: 2, padding: 1, rng }),
    ]);
    this.mid1 = new ResBlock(c2, c2, td, g, rng);
    if (cfg.attentionHeads > 0) this.midAttn = new AttentionBlock(c2, cfg.attentionHeads, g, rng);
    this.mid2 = new ResBlock(c2, c2, td, g, rng);
    this.up = new ModuleList([
      new ResBlock(c2 + c2, c2, td, g, rng),
      new ResBlock(c2 + c1, c1, td, g, rng),
      new ResBlock(c1 + c0, c0, td, g, rng),
    ]);
    this.upsample = new ModuleList([new Upsample2(c2, rng), new Upsample2(c1, rng)]);
    this.normOut = new GroupNorm(g, c0);
    this.convOut = new Conv2d(c0, 1, 3, { padding: 1, rng });
  }
  forward(x: Value, t: Value, y?: Value): Value {
    let emb = this.time2.call(ops.silu(this.time1.call(timestepEmbedding(t, this.#c0))));
    if (this.classEmbed && y) emb = ops.add(emb, this.classEmbed.call(y));
    const e = ops.silu(emb);
    const down = this.down;
    const ds = this.downsample;
    let h = this.convIn.call(x);
    const skips: Value[] = [];
    for (let i = 0; i < 3; i++) {
      h = down[i].call(h, e);
      skips.push(h);
      if (i < 2) h = ds[i].call(h);
    }
    h = this.mid1.call(h, e);
    if (this.midAttn) h = this.midAttn.call(h);
    h = this.mid2.call(h, e);
    const up = this.up;
    const us = this.upsample;
    for (let i = 0; i < 3; i++) {
      h = up[i].call(ops.concat([h, skips[2 - i]], 1), e);
      if (i < 2) h = us[i].call(h);
    }
    return this.convOut.call(ops.silu(this.normOut.call(h)));
  }
}

/** The trained module: its only child `denoiser` (keys `denoiser.*`). */
export class DiffusionNetwork extends Module {
  readonly denoiser: MlpDenoiser | UNet;
  constructor(
    readonly cfg: DiffusionConfig,
    rng: Rng,
  ) {
    super();
    this.denoiser = cfg.arch === 'unet' ? new UNet(cfg, rng) : new MlpDenoiser(cfg, rng);
  }
  /** The model output (eps, x0 or v by `cfg.prediction`) for x_t: [B, ...], t: [B], y: [B]. */
  forward(x: Value, t: Value, y?: Value): Value {
    return this.denoiser.call(x, t, y);
  }
}
