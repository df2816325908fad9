/**
 * Denoisers eps_theta(x_t, t, y): an MLP for points and a U-Net for images [C, H, W], both with
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
  ops,
  type Rng,
  type Value,
} from '@genmodels/runtime';
import type { DiffusionConfig } from './config.js';
import { DiffusersUNet } from './diffusers-unet.js';
import { timestepEmbedding } from './embedding.js';
import { DiffusionError } from './errors.js';
import { AttentionBlock, ResBlock, Upsample2 } from './unet-blocks.js';
import { diffusionImageShape, levelOfSide } from './unet-shape.js';

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

/**
 * Modules by U-Net level, for the levels that have one: keys `<level>.*` as in PyTorch's
 * `nn.ModuleDict` with keys '1', '2' (e.g. `downAttn.1.norm.weight`).
 */
export class ModulesByLevel<M extends Module> extends Module {
  readonly #at = new Map<number, M>();
  constructor(entries: Iterable<readonly [level: number, module: M]>) {
    super();
    for (const [level, m] of entries) {
      Object.defineProperty(this, String(level), { value: m, enumerable: true });
      this.#at.set(level, m);
    }
  }
  /** The module of `level`, if it has one. */
  at(level: number): M | undefined {
    return this.#at.get(level);
  }
  forward(): never {
    throw new DiffusionError(
      `ModulesByLevel '${this.path}': it has no forward; the U-Net calls its modules`,
    );
  }
}

/**
 * U-Net on images [C, H, W] with L = channels.length levels (full size first): conv_in ->
 * per level l a ResBlock to channels[l] (then self-attention when the level's side is in
 * attentionResolutions) and, but for the last level, a stride-2 conv -> middle (Res,
 * attention when attentionHeads > 0, Res) -> per level, smallest first, a ResBlock over
 * the concatenation with the level's skip (then attention as on the way down) and, but for
 * the top level, nearest upsampling + conv -> GroupNorm, SiLU, conv_out. MNIST's default,
 * channels [32, 64, 64] on 1x28x28: levels at 28, 14 and 7.
 * x: [B, C, H, W], t: [B], y: [B] int64 -> [B, C, H, W].
 */
export class UNet extends Module {
  readonly time1: Linear;
  readonly time2: Linear;
  readonly classEmbed?: Embedding;
  readonly convIn: Conv2d;
  readonly down: ModuleList<ResBlock>;
  readonly downAttn?: ModulesByLevel<AttentionBlock>;
  readonly downsample: ModuleList<Conv2d>;
  readonly mid1: ResBlock;
  readonly midAttn?: AttentionBlock;
  readonly mid2: ResBlock;
  readonly up: ModuleList<ResBlock>;
  readonly upAttn?: ModulesByLevel<AttentionBlock>;
  readonly upsample: ModuleList<Upsample2>;
  readonly normOut: GroupNorm;
  readonly convOut: Conv2d;
  readonly #c0: number;
  constructor(cfg: DiffusionConfig, rng: Rng) {
    super();
    const ch = cfg.channels;
    const L = ch.length;
    const [cImg] = diffusionImageShape(cfg);
    const g = cfg.groups;
    const heads = cfg.attentionHeads;
    const c0 = ch[0];
    const td = 4 * c0;
    this.#c0 = c0;
    // Levels with attention, as the config names them (by the side of their feature map).
    const attended = (cfg.attentionResolutions ?? [])
      .map((r) => levelOfSide(cfg, r))
      .sort((a, b) => a - b);
    const attention = (levels: number[]) =>
      new ModulesByLevel(levels.map((l) => [l, new AttentionBlock(ch[l], heads, g, rng)] as const));
    // The creation order fixes which draws of rng each weight gets: the modules of the
    // original 3-level U-Net come in their original order, and the attention of levels
    // (absent there) only where it does not disturb that order.
    this.time1 = new Linear(c0, td, { rng });
    this.time2 = new Linear(td, td, { rng });
    if (cfg.numClasses > 0) this.classEmbed = new Embedding(cfg.numClasses + 1, td, { rng });
    this.convIn = new Conv2d(cImg, c0, 3, { padding: 1, rng });
    this.down = new ModuleList(
      ch.map((c, l) => new ResBlock(l > 0 ? ch[l - 1] : c0, c, td, g, rng)),
    );
    if (attended.length > 0) this.downAttn = attention(attended);
    this.downsample = new ModuleList(
      ch.slice(0, -1).map((c) => new Conv2d(c, c, 3, { stride: 2, padding: 1, rng })),
    );
    const cL = ch[L - 1];
    this.mid1 = new ResBlock(cL, cL, td, g, rng);
    if (heads > 0) this.midAttn = new AttentionBlock(cL, heads, g, rng);
    this.mid2 = new ResBlock(cL, cL, td, g, rng);
    // up[i] works at level L - 1 - i: its input comes from the level below (or the middle).
    const upLevels = ch.map((_, i) => L - 1 - i);
    this.up = new ModuleList(
      upLevels.map((l) => new ResBlock(ch[Math.min(l + 1, L - 1)] + ch[l], ch[l], td, g, rng)),
    );
    if (attended.length > 0) this.upAttn = attention([...attended].reverse());
    this.upsample = new ModuleList(upLevels.slice(0, -1).map((l) => new Upsample2(ch[l], rng)));
    this.normOut = new GroupNorm(g, c0);
    this.convOut = new Conv2d(c0, cImg, 3, { padding: 1, rng });
  }
  forward(x: Value, t: Value, y?: Value): Value {
    let emb = this.time2.call(ops.silu(this.time1.call(timestepEmbedding(t, this.#c0))));
    if (this.classEmbed && y) emb = ops.add(emb, this.classEmbed.call(y));
    const e = ops.silu(emb);
    const L = this.down.length;
    let h = this.convIn.call(x);
    const skips: Value[] = [];
    for (let l = 0; l < L; l++) {
      h = this.down[l].call(h, e);
      const attn = this.downAttn?.at(l);
      if (attn) h = attn.call(h);
      skips.push(h);
      if (l < L - 1) h = this.downsample[l].call(h);
    }
    h = this.mid1.call(h, e);
    if (this.midAttn) h = this.midAttn.call(h);
    h = this.mid2.call(h, e);
    for (let i = 0; i < L; i++) {
      const l = L - 1 - i;
      h = this.up[i].call(ops.concat([h, skips[l]], 1), e);
      const attn = this.upAttn?.at(l);
      if (attn) h = attn.call(h);
      if (i < L - 1) h = this.upsample[i].call(h);
    }
    return this.convOut.call(ops.silu(this.normOut.call(h)));
  }
}

/** The trained module: its only child `denoiser` (keys `denoiser.*`). */
export class DiffusionNetwork extends Module {
  readonly denoiser: MlpDenoiser | UNet | DiffusersUNet;
  constructor(
    readonly cfg: DiffusionConfig,
    rng: Rng,
  ) {
    super();
    if (cfg.arch === 'mlp') this.denoiser = new MlpDenoiser(cfg, rng);
    else this.denoiser = cfg.diffusers ? new DiffusersUNet(cfg, rng) : new UNet(cfg, rng);
  }
  /** The model output (eps, x0 or v by `cfg.prediction`) for x_t: [B, ...], t: [B], y: [B]. */
  forward(x: Value, t: Value, y?: Value): Value {
    return this.denoiser.call(x, t, y);
  }
}
