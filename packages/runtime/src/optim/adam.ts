/** Adam (L2 weight decay added to the gradient) and AdamW (decoupled decay), as torch.optim. */
import type { Value } from '../graph/graph.js';
import { scalar } from '../ops/core.js';
import { add, div, exp, greater, mul, neg, sqrt, sub, where } from '../ops/elementwise.js';
import {
  checkSlot,
  groupDecay,
  groupLr,
  type Optimizer,
  type ParamSlot,
  type StateSpec,
  type UpdateContext,
} from './optimizer.js';

export interface AdamOptions {
  /** Decay rates of the first and second moment estimates; default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator; default 1e-8. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
}

const SERIES_TERMS = 10;

/**
 * 1 - beta^step for a float32 [] step, as a float32 [] value.
 *
 * `1 - pow(beta, step)` in float32 is off by up to 1e-4 relative for beta = 0.9999:
 * beta itself rounds to float32 and so does beta^step, both near 1, and the
 * subtraction keeps only that error. Instead x = step * ln(beta) (ln taken here in
 * float64) and 1 - e^x = -expm1(x), by its Taylor series for |x| <= 0.5 (terms past
 * x^10/10! are < 1e-10 relative there) and directly above, where e^x <= 0.61 leaves
 * no cancellation. Only Mul/Add/Exp/Where, so it holds to ~1e-7 on the CPU and the
 * WebGPU providers alike (adam.test.ts checks both) and needs no CPU fallback.
 */
export function biasCorrection(beta: number, step: Value): Value {
  if (beta === 0) return scalar(step.graph, 1); // ln(0) = -Infinity would poison the series
  const x = mul(step, Math.log(beta));
  let series: Value = add(mul(x, 1 / SERIES_TERMS), 1);
  for (let k = SERIES_TERMS - 1; k >= 2; k--) series = add(mul(mul(x, 1 / k), series), 1);
  return where(greater(x, -0.5), neg(mul(x, series)), sub(1, exp(x)));
}

function checkAdam(kind: string, betas: [number, number], eps: number, wd: number): void {
  if (!(betas.length === 2 && betas.every((b) => b >= 0 && b < 1)))
    throw new RangeError(`${kind}: betas must be two numbers in [0, 1), got [${betas.join(', ')}]`);
  if (!(eps >= 0 && Number.isFinite(eps)) || !(wd >= 0 && Number.isFinite(wd)))
    throw new RangeError(`${kind}: eps (${eps}) and weightDecay (${wd}) must be >= 0`);
}

const ADAM_STATE: readonly StateSpec[] = [
  { name: 'exp_avg', init: 'zeros' },
  { name: 'exp_avg_sq', init: 'zeros' },
];

/**
 * The Adam family as one factory: the two optimizers differ only in where weight
 * decay enters. The bias corrections depend only on the step, so they are traced once
 * per step value and shared by every parameter's update.
 */
function adamFamily(kind: 'adam' | 'adamw', betas: [number, number], eps: number, wd: number) {
  checkAdam(kind, betas, eps, wd);
  const [b1, b2] = betas;
  const corrections = new WeakMap<Value, { c1: Value; sqrtC2: Value }>();
  const correctionsAt = (step: Value) => {
    let c = corrections.get(step);
    if (!c) {
      c = { c1: biasCorrection(b1, step), sqrtC2: sqrt(biasCorrection(b2, step)) };
      corrections.set(step, c);
    }
    return c;
  };

  // PyTorch's order of operations: p -= (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps).
  const step = (
    p: ParamSlot,
    param: Value,
    g: Value,
    s: Record<string, Value>,
    ctx: UpdateContext,
  ) => {
    const m = add(mul(s.exp_avg, b1), mul(g, 1 - b1));
    const v = add(mul(s.exp_avg_sq, b2), mul(mul(g, g), 1 - b2));
    const { c1, sqrtC2 } = correctionsAt(ctx.step);
    const denom = add(div(sqrt(v), sqrtC2), eps);
    const stepSize = div(groupLr(p, ctx), c1);
    return {
      param: sub(param, mul(stepSize, div(m, denom))),
      state: { exp_avg: m, exp_avg_sq: v },
    };
  };

  const optimizer: Optimizer = {
    kind,
    elementwise: true,
    config: { beta1: b1, beta2: b2, eps, weightDecay: wd },
    stateSpecs: () => ADAM_STATE.map((s) => ({ ...s })),
    update(p, state, ctx) {
      checkSlot(kind, p, state, ADAM_STATE, ctx);
      const decay = groupDecay(p, wd);
      if (decay === 0) return step(p, p.value, p.grad, state, ctx);
      if (kind === 'adam') return step(p, p.value, add(p.grad, mul(p.value, decay)), state, ctx);
      // AdamW shrinks the parameter before the Adam step: p *= 1 - lr * wd.
      const shrunk = mul(p.value, sub(1, mul(groupLr(p, ctx), decay)));
      return step(p, shrunk, p.grad, state, ctx);
    },
  };
  return optimizer;
}

/**
 * torch.optim.Adam with bias correction, per parameter p: [S] with gradient g: [S]:
 *   g += wd * p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * State: `exp_avg` [S] and `exp_avg_sq` [S].
 *
 * @example compileTrainStep(rt, { ..., optimizer: adam({ betas: [0.5, 0.999] }) })
 */
export function adam(opts: AdamOptions = {}): Optimizer {
  const { betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = opts;
  return adamFamily('adam', betas, eps, weightDecay);
}

/**
 * torch.optim.AdamW: p *= 1 - lr * wd (decoupled from the gradient), then the Adam step
 * on the raw gradient. Default weightDecay 0.01. State as for `adam`.
 *
 * @example compileTrainStep(rt, { ..., optimizer: adamw({ weightDecay: 0.1 }), groups: noDecayOnBiasAndNorm })
 */
export function adamw(opts: AdamOptions = {}): Optimizer {
  const { betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0.01 } = opts;
  return adamFamily('adamw', betas, eps, weightDecay);
}
