/** SGD with momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD. */
import { add, equal, mul, sub, where } from '../ops/elementwise.js';
import { groupDecay, groupLr, type Optimizer } from './optimizer.js';

export interface SgdOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/**
 * torch.optim.SGD: g += wd * p; buf = momentum * buf + (1 - dampening) * g (buf = g on
 * the first step); g = nesterov ? g + momentum * buf : buf; p -= lr * g.
 *
 * @example compileTrainStep(rt, { ..., optimizer: sgd({ momentum: 0.9, nesterov: true }) })
 */
export function sgd(opts: SgdOptions = {}): Optimizer {
  const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = opts;
  if (momentum < 0 || weightDecay < 0)
    throw new RangeError(
      `sgd: momentum (${momentum}) and weightDecay (${weightDecay}) must be >= 0`,
    );
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(
      'sgd: Nesterov momentum requires momentum > 0 and dampening 0 (as in PyTorch)',
    );
  }
  return {
    kind: 'sgd',
    config: { momentum, dampening, nesterov, weightDecay },
    stateSpecs: () => (momentum > 0 ? [{ name: 'momentum_buffer', init: 'zeros' }] : []),
    update(p, state, ctx) {
      const wd = groupDecay(p, weightDecay);
      let g = wd > 0 ? add(p.grad, mul(p.value, wd)) : p.grad;
      const next: Record<string, typeof g> = {};
      if (momentum > 0) {
        const running = add(
          mul(state.momentum_buffer, momentum),
          dampening === 0 ? g : mul(g, 1 - dampening),
        );
        const buf = where(equal(ctx.step, 1), g, running);
        next.momentum_buffer = buf;
        g = nesterov ? add(g, mul(buf, momentum)) : buf;
      }
      return { param: sub(p.value, mul(g, groupLr(p, ctx))), state: next };
    },
  };
}
