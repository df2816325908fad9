/**
 * Typed CLI errors. `main` prints any GenmodelsError as one line and exits with 1, so
 * every message names the offending value and what would have been accepted.
 */
import { GenmodelsError } from '@genmodels/runtime';

/** Bad command-line usage: unknown family, preset, device, part, file type or option value. */
export class UsageError extends GenmodelsError {}

/** A checkpoint directory that is missing, corrupt, or belongs to another family. */
export class CheckpointDirError extends GenmodelsError {}

/** An output path that cannot be created or written. */
export class OutputError extends GenmodelsError {}
