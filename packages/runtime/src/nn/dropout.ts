/** torch.nn.Dropout with the mask fed from the host's seeded Rng (no random ops in graphs). */
import type { Value } from '../graph/graph.js';
import { mul } from '../ops/elementwise.js';
import { Module } from './module.js';
import { currentTrace, noise, type TraceContext } from './trace.js';

/** Dropout calls per mask name in each trace, so a module run twice gets two masks. */
const calls = new WeakMap<TraceContext, Map<string, number>>();

/**
 * torch.nn.Dropout(p). In train mode (`module.training && trace.training`, the rule of
 * normalization.ts) it multiplies x by a Bernoulli(1 - p) keep-mask scaled by 1 / (1 - p),
 * so E[output] = x; the mask is a host-fed noise input named after the module path
 * (`decoder.drop`, then `decoder.drop#1`, ... when the same module runs again in one
 * trace), which compileTrainStep fills from its seeded Rng on every step. In eval mode,
 * or with p = 0, it is the identity; p = 1 gives zeros.
 *
 * x: any shape -> same shape.
 *
 * @example
 * const drop = new Dropout(0.1);
 * drop.call(h);   // h: [batch, 512]
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`Dropout: probability p must be in [0, 1], got ${p}`);
  }

  forward(x: Value): Value {
    const ctx = currentTrace('Dropout.forward');
    if (!(this.training && ctx.training) || this.p === 0) return x;
    if (this.p === 1) return mul(x, 0);
    const base = this.path || 'dropout';
    const seen = calls.get(ctx) ?? new Map<string, number>();
    calls.set(ctx, seen);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    const name = n === 0 ? base : `${base}#${n}`;
    const keep = noise(name, 'bernoulli', x.shape, 1 - this.p);
    return mul(x, mul(keep, 1 / (1 - this.p)));
  }
}
