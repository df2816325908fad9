/**
 * The logit transform of dequantized pixels: y in [0, 1]^D -> l = logit(alpha + (1 - 2 alpha) y),
 * with log|det dl/dy| = sum_i [log(1 - 2 alpha) - log p_i - log(1 - p_i)], p = alpha + (1 - 2 alpha) y.
 * Part of the model's density on [0, 1]^D, so bits/dim include it.
 */
import { ops, type Value } from '@genmodels/runtime';
import { FlowLayer, type FlowStep } from './layer.js';

/** @example const t = new LogitTransform(1e-6); t.call(y);  // y: [B, D] in [0, 1] -> { y: logits, logdet: [B] } */
export class LogitTransform extends FlowLayer {
  constructor(readonly alpha: number) {
    super();
  }

  forward(x: Value): FlowStep {
    const a = this.alpha;
    const p = ops.add(ops.mul(x, 1 - 2 * a), a);
    const q = ops.sub(1 - a, ops.mul(x, 1 - 2 * a)); // 1 - p without cancellation near p = 1
    const logp = ops.log(p);
    const logq = ops.log(q);
    const d = x.shape[1] as number;
    const logdet = ops.sub(d * Math.log(1 - 2 * a), ops.sum(ops.add(logp, logq), 1));
    return { y: ops.sub(logp, logq), logdet };
  }

  inverse(l: Value): Value {
    const a = this.alpha;
    return ops.div(ops.sub(ops.sigmoid(l), a), 1 - 2 * a);
  }
}
