/** Adam (L2 weight decay added to the gradient) and AdamW (decoupled decay), as torch.optim. */
import type { Value } from '../graph/graph.js';
import { add, div, mul, pow, sqrt, sub } from '../ops/elementwise.js';
import {
  groupDecay,
  groupLr,
  type Optimizer,
  type ParamSlot,
  type UpdateContext,
} from './optimizer.js';

export interface AdamOptions {
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

function checkAdam(kind: string, betas: [number, number], eps: number, wd: number): void {
  if (!betas.every((b) => b >= 0 && b < 1))
    throw new RangeError(`${kind}: betas must be in [0, 1), got [${betas.join(', ')}]`);
  if (!(eps >= 0) || !(wd >= 0))
    throw new RangeError(`${kind}: eps (${eps}) and weightDecay (${wd}) must be >= 0`);
}

/** The bias-corrected Adam step for gradient `g`, shared by Adam and AdamW. */
function adamStep(
  p: ParamSlot,
  param: Value,
  g: Value,
  state: Record<string, Value>,
  ctx: UpdateContext,
  betas: [number, number],
  eps: number,
) {
  const [b1, b2] = betas;
  const m = add(mul(state.exp_avg, b1), mul(g, 1 - b1));
  const v = add(mul(state.exp_avg_sq, b2), mul(mul(g, g), 1 - b2));
  const c1 = sub(1, pow(b1, ctx.step));
  const c2 = sub(1, pow(b2, ctx.step));
  // PyTorch: p -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)
  const denom = add(div(sqrt(v), sqrt(c2)), eps);
  const stepSize = div(groupLr(p, ctx), c1);
  return { param: sub(param, mul(stepSize, div(m, denom))), state: { exp_avg: m, exp_avg_sq: v } };
}

const adamState = () => [
  { name: 'exp_avg', init: 'zeros' as const },
  { name: 'exp_avg_sq', init: 'zeros' as const },
];

/**
 * torch.optim.Adam with bias correction; weightDecay adds wd * p to the gradient.
 *
 * @example adam({ betas: [0.5, 0.999] })
 */
export function adam(opts: AdamOptions = {}): Optimizer {
  const { betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = opts;
  checkAdam('adam', betas, eps, weightDecay);
  return {
    kind: 'adam',
    config: { beta1: betas[0], beta2: betas[1], eps, weightDecay },
    stateSpecs: adamState,
    update(p, state, ctx) {
      const wd = groupDecay(p, weightDecay);
      const g = wd > 0 ? add(p.grad, mul(p.value, wd)) : p.grad;
      return adamStep(p, p.value, g, state, ctx, betas, eps);
    },
  };
}

/**
 * torch.optim.AdamW: p *= 1 - lr * wd (decoupled), then the Adam step. Default wd 0.01.
 *
 * @example adamw({ betas: [0.9, 0.99], weightDecay: 0.1 })
 */
export function adamw(opts: AdamOptions = {}): Optimizer {
  const { betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0.01 } = opts;
  checkAdam('adamw', betas, eps, weightDecay);
  return {
    kind: 'adamw',
    config: { beta1: betas[0], beta2: betas[1], eps, weightDecay },
    stateSpecs: adamState,
    update(p, state, ctx) {
      const wd = groupDecay(p, weightDecay);
      const decayed = wd > 0 ? mul(p.value, sub(1, mul(groupLr(p, ctx), wd))) : p.value;
      return adamStep(p, decayed, p.grad, state, ctx, betas, eps);
    },
  };
}
