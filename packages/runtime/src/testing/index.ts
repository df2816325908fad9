/**
 * @genmodels/runtime/testing: checks for whoever writes a gradient rule, a layer or a
 * backend. `gradcheck` compares a traced function's gradients with central finite
 * differences; `threeAdamSteps` is the seeded cross-backend parity case (three Adam steps
 * of a small MLP) whose results should agree across devices. `withoutStoredConfig` makes a
 * checkpoint look as PyTorch writes it (no stored config), for loader tests.
 */

export type { BenchFigure } from './bench.js';
export { benchRuntimeOptions, reportBench } from './bench.js';
export { withoutStoredConfig } from './checkpoint.js';
export type { GradcheckInput, GradcheckOptions, GradcheckResult } from './gradcheck.js';
export { gradcheck } from './gradcheck.js';
export type { ParityResult } from './parity.js';
export { threeAdamSteps } from './parity.js';
