/** Tiny configs and text for the tests (not exported from the package). */
import type { GptConfig } from './config.js';

/** A 2-layer, 16-wide GPT with a 16-character context: milliseconds per step. */
export const TINY: Partial<GptConfig> = {
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  blockSize: 16,
  batchSize: 16,
  lr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 10,
  steps: 200,
};

/** A repetitive text a tiny model learns almost perfectly. */
export const RHYME = 'the cat sat on the mat. the dog sat on the log.\n'.repeat(40);
