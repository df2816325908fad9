/**
 * The training fields that the GPT and seq2seq configs share (AdamW with warm-up and cosine
 * decay, clipping, batch, length), as schema entries that both schemas spread in.
 */
import { intIn, positiveInt, z } from '@genmodels/runtime/internal';

export const trainingFields = {
  /** AdamW peak learning rate, reached after `warmupSteps`, then cosine decay to `minLr`. */
  lr: z.number().min(0),
  minLr: z.number().min(0),
  warmupSteps: intIn(0, 1e9),
  /** AdamW's two decay rates, each in [0, 1). */
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]),
  /** Decoupled weight decay on every parameter of rank >= 2 (matrices and embeddings). */
  weightDecay: z.number().min(0),
  /** Global gradient-norm clipping (0: none). */
  gradClip: z.number().min(0),
  batchSize: positiveInt(1 << 20),
  /** Training length when the caller gives neither steps nor epochs (also the cosine horizon). */
  steps: positiveInt(1e9),
};
