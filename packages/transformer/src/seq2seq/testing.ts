/** Tiny configs for the tests (not exported from the package). */
import type { Seq2seqConfig, Seq2seqTaskSpec } from './config.js';

/** reverse of 1-3 symbols out of 5: 155 possible sources. */
export const TINY_TASK: Seq2seqTaskSpec = { name: 'reverse', minLen: 1, maxLen: 3, symbols: 5 };

/** A 1+1-layer, 32-wide model: milliseconds per step. */
export const TINY: Partial<Seq2seqConfig> = {
  vocabSize: 8,
  dModel: 32,
  nHead: 2,
  nEncoderLayers: 1,
  nDecoderLayers: 1,
  dFf: 64,
  maxSrcLen: 4,
  maxTgtLen: 5,
  lr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 20,
  batchSize: 32,
  steps: 300,
};
