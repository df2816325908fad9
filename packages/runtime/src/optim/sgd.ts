/** SGD with momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD. */
import type { Value } from '../graph/graph.js';
import { add, equal, mul, sub, where } from '../ops/elementwise.js';
import { checkSlot, groupDecay, groupLr, type Optimizer, type StateSpec } from './optimizer.js';

export interface SgdOptions {
  /** Default 0 (no momentum buffer). */
  momentum?: number;
  /** Default 0; not applied on the first step, as in PyTorch. */
  dampening?: number;
  /** Default false; needs momentum > 0 and dampening 0. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
}

/**
 * torch.optim.SGD, per parameter p: [S] with gradient g: [S]:
 *   g += wd * p
 *   buf = step == 1 ? g : momentum * buf + (1 - dampening) * g
 *   g = nesterov ? g + momentum * buf : buf
 *   p -= lr * g
 * State: `momentum_buffer` [S] when momentum > 0.
 *
 * @example compileTrainStep(rt, { ..., optimizer: sgd({ momentum: 0.9, nesterov: true }) })
 */
export function sgd(opts: SgdOptions = {}): Optimizer {
  const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = opts;
  for (const [k, v] of Object.entries({ momentum, dampening, weightDecay })) {
    if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`sgd: ${k} must be >= 0, got ${v}`);
  }
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(
      `sgd: Nesterov momentum requires momentum > 0 and dampening 0 (as in PyTorch), got momentum ${momentum} and dampening ${dampening}`,
    );
  }
  const specs: StateSpec[] = momentum > 0 ? [{ name: 'momentum_buffer', init: 'zeros' }] : [];
  return {
    elementwise: true,
    kind: 'sgd',
    config: { momentum, dampening, nesterov, weightDecay },
    stateSpecs: () => specs.map((s) => ({ ...s })),
    update(p, state, ctx) {
      checkSlot('sgd', p, state, specs, ctx);
      const wd = groupDecay(p, weightDecay);
      let g = wd > 0 ? add(p.grad, mul(p.value, wd)) : p.grad;
      const next: Record<string, Value> = {};
      if (momentum > 0) {
        const running = add(
          mul(state.momentum_buffer, momentum),
          dampening === 0 ? g : mul(g, 1 - dampening),
        );
        // PyTorch starts the buffer as a copy of the first gradient (no dampening);
        // the step input decides it in-graph, so resuming mid-run needs no second graph.
        const buf = where(equal(ctx.step, 1), g, running);
        next.momentum_buffer = buf;
        g = nesterov ? add(g, mul(buf, momentum)) : buf;
      }
      return { param: sub(p.value, mul(g, groupLr(p, ctx))), state: next };
    },
  };
}
