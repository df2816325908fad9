/**
 * The GPT network: token + learned position embeddings, pre-LayerNorm blocks of causal
 * multi-head self-attention and a GELU MLP (4x), a final LayerNorm and an LM head, untied
 * or (`tieEmbeddings`, as GPT-2) sharing the token embedding's weight.
 * State-dict keys are PyTorch's for the equivalent module tree: `wte.weight`,
 * `wpe.weight`, `h.0.ln_1.weight`, `h.0.attn.in_proj_weight`, `h.0.attn.out_proj.weight`,
 * `h.0.mlp.c_fc.weight`, `h.0.mlp.c_proj.weight`, ..., `ln_f.weight`, `lm_head.weight`
 * (not in the state dict when tied: it is `wte.weight`).
 */
import {
  Embedding,
  GELU,
  type KeyValueCache,
  LayerNorm,
  Linear,
  Module,
  MultiheadAttention,
  ops,
  type Rng,
  Tensor,
  type Value,
} from '@genmodels/runtime';
import type { GptConfig } from './config.js';

/** The MLP of a block: c_fc (E -> 4E), GELU (exact, or the tanh approximation), c_proj (4E -> E). */
export class GptMlp extends Module {
  readonly c_fc: Linear;
  readonly act: GELU;
  readonly c_proj: Linear;

  constructor(nEmbd: number, rng: Rng, activation: GptConfig['activation'] = 'gelu') {
    super();
    this.act = new GELU(activation === 'gelu_tanh' ? 'tanh' : 'none');
    this.c_fc = new Linear(nEmbd, 4 * nEmbd, { rng });
    this.c_proj = new Linear(4 * nEmbd, nEmbd, { rng });
  }

  forward(x: Value): Value {
    return this.c_proj.call(this.act.call(this.c_fc.call(x)));
  }
}

/** One pre-LayerNorm block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
export class GptBlock extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: MultiheadAttention;
  readonly ln_2: LayerNorm;
  readonly mlp: GptMlp;

  constructor(cfg: GptConfig, rng: Rng) {
    super();
    this.ln_1 = new LayerNorm(cfg.nEmbd);
    this.attn = new MultiheadAttention(cfg.nEmbd, cfg.nHead, { rng });
    this.ln_2 = new LayerNorm(cfg.nEmbd);
    this.mlp = new GptMlp(cfg.nEmbd, rng, cfg.activation);
  }

  /** x: [B, T, E], past: [B, H, Tpast, Dh] each -> x [B, T, E], present [B, H, Tpast + T, Dh]. */
  forward(x: Value, past?: KeyValueCache): { x: Value; present: KeyValueCache } {
    const h = this.ln_1.call(x);
    const a = this.attn.call(h, undefined, undefined, { causal: true, past });
    const y = ops.add(x, a.output);
    return { x: ops.add(y, this.mlp.call(this.ln_2.call(y))), present: a.present };
  }
}

/** Logits and the updated per-layer cache. */
export interface GptOutput {
  /** [B, T, V] */
  logits: Value;
  /** One entry per layer, keys and values [B, H, Tpast + T, Dh]. */
  present: KeyValueCache[];
}

/**
 * The decoder-only Transformer of `cfg`, initialized as nanoGPT does: every Linear and
 * Embedding weight N(0, 0.02), the residual projections (attn.out_proj, mlp.c_proj)
 * N(0, 0.02 / sqrt(2 nLayer)), biases 0, LayerNorms 1 and 0.
 *
 * @example
 * const net = new GptNetwork(resolveGptConfig({ vocabSize: 65 }), new Rng(0));
 * const { logits } = net.call(ids, positions);   // ids, positions: int64 [B, T] -> [B, T, 65]
 */
export class GptNetwork extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly h: GptBlock[];
  readonly ln_f: LayerNorm;
  readonly lm_head: Linear;

  constructor(
    readonly cfg: GptConfig,
    rng: Rng,
  ) {
    super();
    this.wte = new Embedding(cfg.vocabSize, cfg.nEmbd, { rng });
    this.wpe = new Embedding(cfg.blockSize, cfg.nEmbd, { rng });
    this.h = Array.from({ length: cfg.nLayer }, () => new GptBlock(cfg, rng));
    this.ln_f = new LayerNorm(cfg.nEmbd);
    // Tied: one Parameter under two names (saved once as wte.weight; both uses add gradients).
    const weight = cfg.tieEmbeddings ? this.wte.weight : undefined;
    this.lm_head = new Linear(cfg.nEmbd, cfg.vocabSize, { bias: false, rng, weight });
    this.#initWeights(rng);
  }

  #initWeights(rng: Rng): void {
    const residual = 0.02 / Math.sqrt(2 * this.cfg.nLayer);
    for (const [name, p] of this.namedParameters()) {
      const shape = [...p.shape];
      const n = shape.reduce((a, b) => a * b, 1);
      if (shape.length < 2) {
        if (!name.includes('ln_')) p.data = Tensor.zeros(shape);
        continue;
      }
      const std = /(out_proj|c_proj)\.weight$/.test(name) ? residual : 0.02;
      p.data = new Tensor('float32', shape, rng.normal(n, 0, std));
    }
  }

  /**
   * ids: int64 [B, T]; positions: int64 [B, T] or [T] (absolute positions < blockSize);
   * past: one cache per layer ([B, H, Tpast, Dh]) -> logits [B, T, V] and present caches.
   */
  forward(ids: Value, positions: Value, past?: readonly KeyValueCache[]): GptOutput {
    let x = ops.add(this.wte.call(ids), this.wpe.call(positions));
    const present: KeyValueCache[] = [];
    this.h.forEach((block, i) => {
      const r = block.call(x, past?.[i]);
      x = r.x;
      present.push(r.present);
    });
    return { logits: this.lm_head.call(this.ln_f.call(x)), present };
  }
}
