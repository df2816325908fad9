/**
 * The optimizer interface. Optimizers live in the traced graph: parameters and their
 * state are graph inputs, updated values are graph outputs, and the learning rate and
 * step count are scalar graph inputs so schedules never recompile.
 */
import { DTypeError, ShapeError, scopedOp } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { formatShape, shapesEqual } from '../graph/shape.js';
import { mul } from '../ops/elementwise.js';

/** Per-parameter options, e.g. no weight decay on biases and norms. */
export interface ParamGroupOptions {
  /** Multiplier on the global learning-rate input; default 1. */
  lr?: number;
  /** Overrides the optimizer's weight decay for this parameter. */
  weightDecay?: number;
}

/** One trainable parameter inside a traced train-step graph. */
export interface ParamSlot {
  /** PyTorch-style name, e.g. `fc1.weight`. */
  name: string;
  /** The current parameter, float32 of any shape `S`. */
  value: Value;
  /** Its gradient, float32 `S`. */
  grad: Value;
  group: ParamGroupOptions;
}

/** Per-parameter state tensors (e.g. Adam's m and v) the optimizer needs, declared before tracing. */
export interface StateSpec {
  /** e.g. `exp_avg`, as PyTorch names it in `optimizer.state_dict()`. */
  name: string;
  init: 'zeros';
}

export interface UpdateContext {
  /** float32 [] learning rate of this step (before the group multiplier). */
  lr: Value;
  /** float32 [] 1-based number of this update. */
  step: Value;
}

export interface Optimizer {
  /** 'sgd' | 'adam' | 'adamw' */
  readonly kind: string;
  /**
   * True when `update` treats every element on its own (SGD, Adam, AdamW): the update of a
   * concatenation of parameters is then the concatenation of their updates, and
   * compileTrainStep updates small parameters of one group as one flat tensor (a few large
   * ops instead of a dozen small ones per parameter). Leave unset for per-tensor rules
   * (norm-based ones such as LAMB).
   */
  readonly elementwise?: boolean;
  /** Serializable hyper-parameters (checkpoints store them). */
  readonly config: Record<string, number | boolean | string>;
  /** Per-parameter state, each of the same shape and dtype as the parameter. */
  stateSpecs(): StateSpec[];
  /** Emit the update of one parameter; `state` maps StateSpec.name to its current value. */
  update(
    p: ParamSlot,
    state: Record<string, Value>,
    ctx: UpdateContext,
  ): { param: Value; state: Record<string, Value> };
}

/**
 * Throw unless the slot, its state and the context fit together: float32 parameter,
 * gradient and state of one shape, and float32 rank-0 lr and step. Without this an
 * update would broadcast a mis-shaped gradient into a parameter of a new shape.
 */
export function checkSlot(
  kind: string,
  p: ParamSlot,
  state: Record<string, Value>,
  specs: readonly StateSpec[],
  ctx: UpdateContext,
): void {
  const at = scopedOp(p.value.graph.currentScope, kind);
  const pairs: [string, Value | undefined][] = [
    ['gradient', p.grad],
    ...specs.map((s): [string, Value | undefined] => [`state '${s.name}'`, state[s.name]]),
  ];
  for (const [what, v] of pairs) {
    if (!v) throw new ShapeError(`${at}: parameter '${p.name}' has no ${what}`);
    if (!shapesEqual(v.shape, p.value.shape)) {
      throw new ShapeError(
        `${at}: parameter '${p.name}' is ${formatShape(p.value.shape)} but its ${what} is ` +
          `${formatShape(v.shape)}; expected the same shape`,
      );
    }
  }
  for (const [what, v] of [['parameter', p.value], ...pairs] as [string, Value][]) {
    if (v.dtype !== 'float32')
      throw new DTypeError(`${at}: ${what} of '${p.name}' is ${v.dtype}, expected float32`);
  }
  for (const [what, v] of [
    ['lr', ctx.lr],
    ['step', ctx.step],
  ] as const) {
    if (v.rank !== 0)
      throw new ShapeError(`${at}: ${what} must be a scalar [], got ${formatShape(v.shape)}`);
    if (v.dtype !== 'float32')
      throw new DTypeError(`${at}: ${what} must be float32, got ${v.dtype}`);
  }
  const { lr = 1, weightDecay = 0 } = p.group;
  if (!(lr >= 0 && Number.isFinite(lr)) || !(weightDecay >= 0 && Number.isFinite(weightDecay))) {
    throw new RangeError(
      `${at}: group options of '${p.name}' need lr >= 0 and weightDecay >= 0, got ${JSON.stringify(p.group)}`,
    );
  }
}

/** The effective learning rate of a parameter: the global lr times its group multiplier. */
export function groupLr(p: ParamSlot, ctx: UpdateContext): Value {
  return p.group.lr === undefined || p.group.lr === 1 ? ctx.lr : mul(ctx.lr, p.group.lr);
}

/** The weight decay of a parameter: its group's, else the optimizer default. */
export function groupDecay(p: ParamSlot, fallback: number): number {
  return p.group.weightDecay ?? fallback;
}

/**
 * Pick per-parameter options by name and rank; the first matching rule wins, and a
 * parameter no rule matches gets `{}` (the optimizer defaults).
 *
 * @example paramGroups([{ match: (n) => n.startsWith('embed.'), options: { lr: 0.1 } }])
 */
export function paramGroups(
  rules: ReadonlyArray<{
    match: (name: string, rank: number) => boolean;
    options: ParamGroupOptions;
  }>,
): (name: string, rank: number) => ParamGroupOptions {
  return (name, rank) => ({ ...rules.find((r) => r.match(name, rank))?.options });
}

/**
 * Weight decay 0 for rank < 2 parameters (biases, norm weights), as nanoGPT does.
 *
 * @example compileTrainStep(rt, { ..., optimizer: adamw(), groups: noDecayOnBiasAndNorm })
 */
export const noDecayOnBiasAndNorm: (name: string, rank: number) => ParamGroupOptions = paramGroups([
  { match: (_name, rank) => rank < 2, options: { weightDecay: 0 } },
]);
