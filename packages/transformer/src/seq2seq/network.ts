/**
 * The encoder-decoder Transformer: token embeddings scaled by sqrt(d_model) plus
 * sinusoidal positions; pre-LayerNorm encoder layers (self-attention with the source
 * padding mask, ReLU FFN) and decoder layers (causal self-attention, cross-attention to
 * the encoder output with the source padding mask, ReLU FFN); a final LayerNorm on each
 * side (PyTorch's `norm_first=True` layout) and a linear generator to the vocabulary.
 *
 * State-dict keys are those of `torch.nn.Transformer(d_model, nhead, ..., batch_first=True,
 * norm_first=True)` without its `transformer.` prefix: `encoder.layers.{i}.self_attn.*`,
 * `encoder.layers.{i}.linear1.*`, `.linear2.*`, `.norm1.*`, `.norm2.*`, `encoder.norm.*`,
 * `decoder.layers.{i}.self_attn.*`, `.multihead_attn.*`, `.norm3.*`, `decoder.norm.*`;
 * plus `src_embed.weight`, `tgt_embed.weight` and `generator.{weight,bias}`.
 */
import {
  Embedding,
  init,
  LayerNorm,
  Linear,
  Module,
  MultiheadAttention,
  ops,
  ReLU,
  type Rng,
  type Tensor,
  type Value,
} from '@genmodels/runtime';
import type { Seq2seqConfig } from './config.js';
import { positionalEncoding, sinusoidalTable } from './positional.js';

/** PAD id shared by every task; a source position holding it is masked out. */
export const PAD = 0;

/** linear2(relu(linear1(x))); the Linears live on the layer, as in PyTorch. */
function feedForward(l: { linear1: Linear; act: ReLU; linear2: Linear }, x: Value): Value {
  return l.linear2.call(l.act.call(l.linear1.call(x)));
}

/** x + self_attn(norm1(x)), then x + ff(norm2(x)). */
export class EncoderLayer extends Module {
  readonly self_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly act = new ReLU();
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;

  constructor(cfg: Seq2seqConfig, rng: Rng) {
    super();
    this.self_attn = new MultiheadAttention(cfg.dModel, cfg.nHead, { rng });
    this.linear1 = new Linear(cfg.dModel, cfg.dFf, { rng });
    this.linear2 = new Linear(cfg.dFf, cfg.dModel, { rng });
    this.norm1 = new LayerNorm(cfg.dModel);
    this.norm2 = new LayerNorm(cfg.dModel);
  }

  /** x: [B, S, d], srcPad: bool [B, S] (true = PAD) -> [B, S, d]. */
  forward(x: Value, srcPad: Value): Value {
    const h = this.norm1.call(x);
    const a = this.self_attn.call(h, h, h, { keyPaddingMask: srcPad }).output;
    const y = ops.add(x, a);
    return ops.add(y, feedForward(this, this.norm2.call(y)));
  }
}

/** x + self_attn(norm1(x), causal), x + multihead_attn(norm2(x), memory), x + ff(norm3(x)). */
export class DecoderLayer extends Module {
  readonly self_attn: MultiheadAttention;
  readonly multihead_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly act = new ReLU();
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;

  constructor(cfg: Seq2seqConfig, rng: Rng) {
    super();
    this.self_attn = new MultiheadAttention(cfg.dModel, cfg.nHead, { rng });
    this.multihead_attn = new MultiheadAttention(cfg.dModel, cfg.nHead, { rng });
    this.linear1 = new Linear(cfg.dModel, cfg.dFf, { rng });
    this.linear2 = new Linear(cfg.dFf, cfg.dModel, { rng });
    this.norm1 = new LayerNorm(cfg.dModel);
    this.norm2 = new LayerNorm(cfg.dModel);
    this.norm3 = new LayerNorm(cfg.dModel);
  }

  /** x: [B, T, d], memory: [B, S, d], srcPad: bool [B, S] -> [B, T, d]. */
  forward(x: Value, memory: Value, srcPad: Value): Value {
    const h = this.norm1.call(x);
    let y = ops.add(x, this.self_attn.call(h, h, h, { causal: true }).output);
    const c = this.multihead_attn.call(this.norm2.call(y), memory, memory, {
      keyPaddingMask: srcPad,
    });
    y = ops.add(y, c.output);
    return ops.add(y, feedForward(this, this.norm3.call(y)));
  }
}

/** A stack of encoder layers and the final LayerNorm. */
export class Encoder extends Module {
  readonly layers: EncoderLayer[];
  readonly norm: LayerNorm;
  constructor(cfg: Seq2seqConfig, rng: Rng) {
    super();
    this.layers = Array.from({ length: cfg.nEncoderLayers }, () => new EncoderLayer(cfg, rng));
    this.norm = new LayerNorm(cfg.dModel);
  }
  forward(x: Value, srcPad: Value): Value {
    for (const l of this.layers) x = l.call(x, srcPad);
    return this.norm.call(x);
  }
}

/** A stack of decoder layers and the final LayerNorm. */
export class Decoder extends Module {
  readonly layers: DecoderLayer[];
  readonly norm: LayerNorm;
  constructor(cfg: Seq2seqConfig, rng: Rng) {
    super();
    this.layers = Array.from({ length: cfg.nDecoderLayers }, () => new DecoderLayer(cfg, rng));
    this.norm = new LayerNorm(cfg.dModel);
  }
  forward(x: Value, memory: Value, srcPad: Value): Value {
    for (const l of this.layers) x = l.call(x, memory, srcPad);
    return this.norm.call(x);
  }
}

/**
 * The whole model of `cfg`. Initialization follows nn.Transformer: xavier_uniform on every
 * matrix; embeddings N(0, 1 / d_model), so that after the sqrt(d_model) scale a token
 * vector has unit-variance entries like the positional code; zero biases.
 *
 * @example
 * const net = new Seq2seqNetwork(resolveSeq2seqConfig('seq2seq-reverse'), new Rng(0));
 * const logits = net.call(src, tgtIn);   // int64 [B, S], [B, T] -> [B, T, vocab]
 */
export class Seq2seqNetwork extends Module {
  readonly src_embed: Embedding;
  readonly tgt_embed: Embedding;
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly generator: Linear;
  readonly #table: Tensor<'float32'>;

  constructor(
    readonly cfg: Seq2seqConfig,
    rng: Rng,
  ) {
    super();
    this.src_embed = new Embedding(cfg.vocabSize, cfg.dModel, { rng });
    this.tgt_embed = new Embedding(cfg.vocabSize, cfg.dModel, { rng });
    this.encoder = new Encoder(cfg, rng);
    this.decoder = new Decoder(cfg, rng);
    this.generator = new Linear(cfg.dModel, cfg.vocabSize, { rng });
    this.#table = sinusoidalTable(Math.max(cfg.maxSrcLen, cfg.maxTgtLen), cfg.dModel);
    for (const [name, p] of this.namedParameters()) {
      const shape = [...p.shape];
      if (shape.length < 2) {
        if (name.endsWith('.bias') && !/norm\d?\.bias$/.test(name)) p.data = init.zeros(shape);
      } else if (name.endsWith('_embed.weight'))
        p.data = init.normal(shape, 0, 1 / Math.sqrt(cfg.dModel), rng);
      else p.data = init.xavierUniform(shape, rng);
    }
  }

  /** bool [B, S]: true where the source holds PAD. */
  sourcePadding(src: Value): Value {
    return ops.equal(ops.cast(src, 'int32'), PAD);
  }

  #embed(emb: Embedding, ids: Value): Value {
    const x = ops.mul(emb.call(ids), Math.sqrt(this.cfg.dModel));
    return ops.add(x, positionalEncoding(ids, this.#table));
  }

  /** src: int64 [B, S] (PAD after each source) -> memory [B, S, d]. */
  encode(src: Value): Value {
    return this.encoder.call(this.#embed(this.src_embed, src), this.sourcePadding(src));
  }

  /** memory [B, S, d], src int64 [B, S] (its PAD mask), tgtIn int64 [B, T] -> logits [B, T, vocab]. */
  decode(memory: Value, src: Value, tgtIn: Value): Value {
    const y = this.decoder.call(
      this.#embed(this.tgt_embed, tgtIn),
      memory,
      this.sourcePadding(src),
    );
    return this.generator.call(y);
  }

  /** src int64 [B, S], tgtIn int64 [B, T] -> logits [B, T, vocab]. */
  forward(src: Value, tgtIn: Value): Value {
    return this.decode(this.encode(src), src, tgtIn);
  }
}
