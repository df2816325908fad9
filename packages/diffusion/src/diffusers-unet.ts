/**
 * The U-Net in the layout of diffusers' UNet2DModel (a config with `diffusers` set), so that
 * its checkpoints map onto it tensor for tensor (diffusers-format.ts): per level a down block
 * of `layersPerBlock` ResBlocks (each followed by self-attention in an AttnDownBlock2D) and a
 * stride-2 conv but for the last; a middle of ResBlock, attention, ResBlock; per level,
 * smallest first, an up block of `layersPerBlock + 1` ResBlocks over the concatenation with
 * the down path's outputs (attention in an AttnUpBlock2D) and nearest-2x + conv but for the
 * last; GroupNorm, SiLU, conv_out. The ResBlocks and attention blocks are this package's
 * (diffusers' ResnetBlock2D with time_embedding_norm 'default' and its Attention with a
 * GroupNorm and a residual compute the same), with diffusers' GroupNorm epsilon.
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
import type { DiffusersUnetLayout, DiffusionConfig } from './config.js';
import { timestepEmbedding } from './embedding.js';
import { DiffusionError } from './errors.js';
import { AttentionBlock, ResBlock, Upsample2 } from './unet-blocks.js';
import { diffusionImageShape } from './unet-shape.js';

/** Heads of an attention block over `c` channels: c / attentionHeadDim (0: one head). */
export function diffusersHeads(c: number, layout: DiffusersUnetLayout): number {
  return layout.attentionHeadDim === 0 ? 1 : c / layout.attentionHeadDim;
}

/** What every block of one U-Net shares: time-embedding width, groups, epsilon, layout, rng. */
interface BlockContext {
  tdim: number;
  groups: number;
  layout: DiffusersUnetLayout;
  rng: Rng;
}

function resBlock(cin: number, cout: number, c: BlockContext): ResBlock {
  return new ResBlock(cin, cout, c.tdim, c.groups, c.rng, c.layout.normEps);
}

function attentions(n: number, ch: number, c: BlockContext): ModuleList<AttentionBlock> {
  const heads = diffusersHeads(ch, c.layout);
  return new ModuleList(
    Array.from(
      { length: n },
      () => new AttentionBlock(ch, heads, c.groups, c.rng, c.layout.normEps),
    ),
  );
}

/** DownBlock2D / AttnDownBlock2D: keys `res.{j}`, `attn.{j}`, `downsample` (diffusers' resnets, attentions, downsamplers.0.conv). */
export class DiffusersDownBlock extends Module {
  readonly res: ModuleList<ResBlock>;
  readonly attn?: ModuleList<AttentionBlock>;
  readonly downsample?: Conv2d;
  constructor(cin: number, cout: number, attention: boolean, downsample: boolean, c: BlockContext) {
    super();
    const n = c.layout.layersPerBlock;
    this.res = new ModuleList(
      Array.from({ length: n }, (_, j) => resBlock(j ? cout : cin, cout, c)),
    );
    if (attention) this.attn = attentions(n, cout, c);
    if (downsample)
      this.downsample = new Conv2d(cout, cout, 3, { stride: 2, padding: 1, rng: c.rng });
  }
  /** x: [B, cin, H, W], e: SiLU(emb) -> the block's output and every output the up path takes. */
  forward(x: Value, e: Value): { h: Value; skips: Value[] } {
    let h = x;
    const skips: Value[] = [];
    for (let j = 0; j < this.res.length; j++) {
      h = this.res[j].call(h, e);
      if (this.attn) h = this.attn[j].call(h);
      skips.push(h);
    }
    if (this.downsample) {
      h = this.downsample.call(h);
      skips.push(h);
    }
    return { h, skips };
  }
}

/** UNetMidBlock2D: keys `res.{0,1}` and `attn` (diffusers' resnets.{0,1}, attentions.0). */
export class DiffusersMidBlock extends Module {
  readonly res: ModuleList<ResBlock>;
  readonly attn?: AttentionBlock;
  constructor(ch: number, c: BlockContext) {
    super();
    this.res = new ModuleList([resBlock(ch, ch, c), resBlock(ch, ch, c)]);
    if (c.layout.midAttention)
      this.attn = new AttentionBlock(
        ch,
        diffusersHeads(ch, c.layout),
        c.groups,
        c.rng,
        c.layout.normEps,
      );
  }
  forward(x: Value, e: Value): Value {
    let h = this.res[0].call(x, e);
    if (this.attn) h = this.attn.call(h);
    return this.res[1].call(h, e);
  }
}

/**
 * UpBlock2D / AttnUpBlock2D: keys `res.{j}`, `attn.{j}`, `upsample.conv`. ResBlock j takes the
 * previous output (`cprev` wide for j = 0, else `cout`) beside the next skip (`cskip` wide for
 * the last, the level above's, else `cout`).
 */
export class DiffusersUpBlock extends Module {
  readonly res: ModuleList<ResBlock>;
  readonly attn?: ModuleList<AttentionBlock>;
  readonly upsample?: Upsample2;
  constructor(
    dims: { cskip: number; cprev: number; cout: number },
    attention: boolean,
    upsample: boolean,
    c: BlockContext,
  ) {
    super();
    const { cskip, cprev, cout } = dims;
    const n = c.layout.layersPerBlock + 1;
    this.res = new ModuleList(
      Array.from({ length: n }, (_, j) =>
        resBlock((j ? cout : cprev) + (j === n - 1 ? cskip : cout), cout, c),
      ),
    );
    if (attention) this.attn = attentions(n, cout, c);
    if (upsample) this.upsample = new Upsample2(cout, c.rng);
  }
  /** x, e: SiLU(emb), skips: the down path's outputs (this block takes its last ones, in reverse). */
  forward(x: Value, e: Value, skips: Value[]): Value {
    let h = x;
    for (let j = 0; j < this.res.length; j++) {
      const skip = skips.pop();
      if (!skip) throw new DiffusionError(`${this.path}: the down path left too few skips`);
      h = this.res[j].call(ops.concat([h, skip], 1), e);
      if (this.attn) h = this.attn[j].call(h);
    }
    return this.upsample ? this.upsample.call(h) : h;
  }
}

/**
 * diffusers' UNet2DModel (positional time embedding, conv down- and upsampling, optional class
 * embedding) on images [C, H, W]. x: [B, C, H, W], t: [B] float32, y: [B] int64 -> [B, C, H, W].
 */
export class DiffusersUNet extends Module {
  readonly time1: Linear;
  readonly time2: Linear;
  readonly classEmbed?: Embedding;
  readonly convIn: Conv2d;
  readonly down: ModuleList<DiffusersDownBlock>;
  readonly mid: DiffusersMidBlock;
  readonly up: ModuleList<DiffusersUpBlock>;
  readonly normOut: GroupNorm;
  readonly convOut: Conv2d;
  readonly #layout: DiffusersUnetLayout;
  readonly #c0: number;
  constructor(cfg: DiffusionConfig, rng: Rng) {
    super();
    const layout = cfg.diffusers;
    if (!layout) throw new DiffusionError('DiffusersUNet: the config has no `diffusers` layout');
    const ch = cfg.channels;
    const L = ch.length;
    const [cImg] = diffusionImageShape(cfg);
    const c0 = ch[0];
    const tdim = 4 * c0;
    this.#layout = layout;
    this.#c0 = c0;
    const c: BlockContext = { tdim, groups: cfg.groups, layout, rng };
    this.convIn = new Conv2d(cImg, c0, 3, { padding: 1, rng });
    this.time1 = new Linear(c0, tdim, { rng });
    this.time2 = new Linear(tdim, tdim, { rng });
    if (cfg.numClasses > 0) this.classEmbed = new Embedding(cfg.numClasses + 1, tdim, { rng });
    this.down = new ModuleList(
      ch.map(
        (cout, l) =>
          new DiffusersDownBlock(l ? ch[l - 1] : c0, cout, layout.downAttention[l], l < L - 1, c),
      ),
    );
    this.mid = new DiffusersMidBlock(ch[L - 1], c);
    // up[i] works at level L - 1 - i; its last skip is the output of the level above (conv_in's for the top).
    this.up = new ModuleList(
      ch.map((_, i) => {
        const l = L - 1 - i;
        const dims = {
          cskip: ch[Math.max(l - 1, 0)],
          cprev: ch[Math.min(l + 1, L - 1)],
          cout: ch[l],
        };
        return new DiffusersUpBlock(dims, layout.upAttention[i], i < L - 1, c);
      }),
    );
    this.normOut = new GroupNorm(cfg.groups, c0, { eps: layout.normEps });
    this.convOut = new Conv2d(c0, cImg, 3, { padding: 1, rng });
  }
  forward(x: Value, t: Value, y?: Value): Value {
    const { flipSinToCos, freqShift } = this.#layout;
    const features = timestepEmbedding(t, this.#c0, { flipSinToCos, freqShift });
    let emb = this.time2.call(ops.silu(this.time1.call(features)));
    if (this.classEmbed && y) emb = ops.add(emb, this.classEmbed.call(y));
    const e = ops.silu(emb);
    let h = this.convIn.call(x);
    const skips = [h];
    for (let l = 0; l < this.down.length; l++) {
      const out = this.down[l].call(h, e);
      h = out.h;
      skips.push(...out.skips);
    }
    h = this.mid.call(h, e);
    for (let i = 0; i < this.up.length; i++) h = this.up[i].call(h, e, skips);
    return this.convOut.call(ops.silu(this.normOut.call(h)));
  }
}
