/**
 * The optimizer interface. Optimizers live in the traced graph: parameters and their
 * state are graph inputs, updated values are graph outputs, and the learning rate and
 * step count are scalar graph inputs so schedules never recompile.
 */
import type { Value } from '../graph/graph.js';
import { mul } from '../ops/elementwise.js';

/** Per-parameter options, e.g. no weight decay on biases and norms. */
export interface ParamGroupOptions {
  /** Multiplier on the global learning rate; default 1. */
  lr?: number;
  /** Overrides the optimizer's weight decay for this parameter. */
  weightDecay?: number;
}

/** One trainable parameter inside a traced train-step graph. */
export interface ParamSlot {
  name: string;
  value: Value;
  grad: Value;
  group: ParamGroupOptions;
}

/** Per-parameter state tensor (same shape as the parameter), e.g. Adam's `exp_avg`. */
export interface StateSpec {
  name: string;
  init: 'zeros';
}

export interface UpdateContext {
  /** float32 [] learning rate of this step. */
  lr: Value;
  /** float32 [] 1-based number of this update. */
  step: Value;
}

export interface Optimizer {
  readonly kind: string;
  /** Serializable hyper-parameters (stored in checkpoints). */
  readonly config: Readonly<Record<string, number | boolean | string>>;
  stateSpecs(): StateSpec[];
  /** Emit the update of one parameter; returns the new parameter and state values. */
  update(
    p: ParamSlot,
    state: Record<string, Value>,
    ctx: UpdateContext,
  ): { param: Value; state: Record<string, Value> };
}

/** The effective learning rate of a parameter: the global lr times its group multiplier. */
export function groupLr(p: ParamSlot, ctx: UpdateContext): Value {
  return p.group.lr === undefined || p.group.lr === 1 ? ctx.lr : mul(ctx.lr, p.group.lr);
}

/** The weight decay of a parameter: its group's, else the optimizer default. */
export function groupDecay(p: ParamSlot, fallback: number): number {
  return p.group.weightDecay ?? fallback;
}

/** Pick per-parameter options by name and rank; the first matching rule wins. */
export function paramGroups(
  rules: ReadonlyArray<{
    match: (name: string, rank: number) => boolean;
    options: ParamGroupOptions;
  }>,
): (name: string, rank: number) => ParamGroupOptions {
  return (name, rank) => rules.find((r) => r.match(name, rank))?.options ?? {};
}

/** No weight decay on rank < 2 parameters (biases, norm weights), as nanoGPT does. */
export const noDecayOnBiasAndNorm = paramGroups([
  { match: (_n, rank) => rank < 2, options: { weightDecay: 0 } },
]);
