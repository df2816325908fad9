/**
 * @genmodels/cli: the `genmodels` command (train, sample, eval, export) over every
 * model family, plus the pieces it is made of for programs that want them.
 */
export type { RunConfig } from './checkpoint.js';
export { loadRun, readRunConfig } from './checkpoint.js';
export type { CliContext } from './common.js';
export { DEVICES } from './common.js';
export { CheckpointDirError, OutputError, UsageError } from './errors.js';
export { main } from './main.js';
export { encodeNpy } from './npy.js';
export type { OutStream, ProgressReporter } from './progress.js';
export { createProgress, formatSeconds, progressLine } from './progress.js';
export { toNested, writeSamples } from './writers.js';
