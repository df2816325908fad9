/** torch.nn.Embedding: a learnable lookup table indexed by integer ids. */
import type { Value } from '../graph/graph.js';
import { equal, stopGradient, where } from '../ops/elementwise.js';
import { embedding } from '../ops/gather.js';
import { unsqueeze } from '../ops/shape.js';
import type { Rng } from '../rng.js';
import { normal } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface EmbeddingOptions {
  /** Initializer randomness (explicit, so a seed reproduces the model). */
  rng: Rng;
  /**
   * Id whose row is initialized to zeros and never receives a gradient (a negative id
   * counts from the end, as in PyTorch).
   */
  paddingIdx?: number;
}

/**
 * torch.nn.Embedding. weight [numEmbeddings, embeddingDim] drawn from N(0, 1), with
 * the `paddingIdx` row zeroed. As in PyTorch, positions holding `paddingIdx` still read
 * the (possibly non-zero, e.g. loaded) row, but pass no gradient to it.
 *
 * ids: [...] int64/int32 -> [..., embeddingDim].
 *
 * @example
 * const tok = new Embedding(1000, 64, { rng, paddingIdx: 0 });
 * tok.call(ids);   // ids: int64 [batch, 16] -> [batch, 16, 64]
 */
export class Embedding extends Module {
  readonly weight: Parameter;
  /** Normalized (non-negative) padding id, or undefined. */
  readonly paddingIdx?: number;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: EmbeddingOptions,
  ) {
    super();
    const p = opts.paddingIdx;
    if (p !== undefined) {
      if (!Number.isInteger(p) || p >= numEmbeddings || p < -numEmbeddings) {
        throw new RangeError(
          `Embedding: paddingIdx ${p} must be an integer in [-${numEmbeddings}, ${numEmbeddings - 1}] (numEmbeddings ${numEmbeddings})`,
        );
      }
      this.paddingIdx = p < 0 ? p + numEmbeddings : p;
    }
    const w = normal([numEmbeddings, embeddingDim], 0, 1, opts.rng);
    if (this.paddingIdx !== undefined)
      (w.data as Float32Array).fill(
        0,
        this.paddingIdx * embeddingDim,
        (this.paddingIdx + 1) * embeddingDim,
      );
    this.weight = new Parameter(w);
  }

  forward(ids: Value): Value {
    const rows = embedding(this.weight.value, ids);
    if (this.paddingIdx === undefined) return rows;
    // Same values; the gradient of padded positions is cut, so the padding row gets none.
    const isPad = unsqueeze(equal(ids, this.paddingIdx), -1);
    return where(isPad, stopGradient(rows), rows);
  }
}
