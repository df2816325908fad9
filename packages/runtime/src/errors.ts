/**
 * Typed errors. Every message names what was wrong (op, module path, shapes, values)
 * and what was expected, so a user never has to read an ONNX Runtime stack trace.
 */

/** Base class of every error thrown by genmodels. */
export class GenmodelsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A shape rule failed at trace time, e.g. `decoder.fc2: matmul [128,512] x [256,784]`. */
export class ShapeError extends GenmodelsError {}

/** An operand had a dtype the op does not accept. */
export class DTypeError extends GenmodelsError {}

/** A gradient was requested through an op (input) that has no VJP rule. */
export class NotDifferentiableError extends GenmodelsError {}

/** A device or execution provider is unavailable or misused. */
export class DeviceError extends GenmodelsError {}

/** Wrong inputs to a compiled executable (missing feed, wrong shape or dtype). */
export class FeedError extends GenmodelsError {}

/** A graph was used incorrectly (values from two graphs, unknown outputs, ...). */
export class GraphError extends GenmodelsError {}

/** A checkpoint file is missing, corrupt, or does not fit the model. */
export class CheckpointError extends GenmodelsError {}

/**
 * A state dict's keys do not fit what it is loaded into: every missing and every unexpected
 * key at once (as PyTorch's `load_state_dict(strict=True)` lists them), also as fields.
 */
export class StateDictKeyError extends CheckpointError {
  constructor(
    /** Where the keys were checked (`GptNetwork.loadStateDict`, `GPT-2 import`). */
    readonly context: string,
    /** Keys that were expected but absent. */
    readonly missing: readonly string[],
    /** Keys that were present but not expected. */
    readonly unexpected: readonly string[],
  ) {
    const parts = [
      missing.length ? `missing ${missing.join(', ')}` : '',
      unexpected.length ? `unexpected ${unexpected.join(', ')}` : '',
    ];
    super(`${context}: ${parts.filter(Boolean).join('; ')}`);
  }
}

/**
 * A state-dict key format (a table of renaming and layout rules) is malformed, or a tensor
 * cannot take one of its layouts (a transpose of a non-matrix, a split that does not
 * divide, tied tensors that differ).
 */
export class KeyMapError extends CheckpointError {}

/** An adapter (LoRA) cannot be added, merged or loaded as asked (no target, wrong layer, wrong config). */
export class LoraError extends GenmodelsError {}

/** Training diverged (NaN or Inf loss). */
export class DivergenceError extends GenmodelsError {}

/**
 * An op name prefixed with its module path, for error messages: `encoder.fc1: matmul`
 * (just `matmul` at the top level).
 */
export function scopedOp(scope: string, op: string): string {
  return scope ? `${scope}: ${op}` : op;
}

/** Build the error thrown when a gradient is needed through a primitive without a VJP. */
export function notDifferentiable(op: string, input: number, scope = ''): NotDifferentiableError {
  return new NotDifferentiableError(
    `${scopedOp(scope, op)}: no gradient rule for input ${input}; ` +
      'wrap the value in stopGradient() if no gradient should flow through it',
  );
}
