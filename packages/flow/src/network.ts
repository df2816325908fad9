/**
 * FlowNetwork: the invertible map x -> z of a config ([ActNorm] [LU mixing] coupling, per
 * block; or one multi-scale flow over images), the logit transform in front for pixel data,
 * and the standard normal base: log p(x) = log N(z; 0, I) + sum of the layers' log|det|.
 */
import { Module, ops, type Rng, type Value } from '@genmodels/runtime';
import { ActNorm } from './actnorm.js';
import { type FlowConfig, flowImageShape } from './config.js';
import { AffineCoupling, couplingSplits } from './coupling.js';
import type { FlowLayer } from './layer.js';
import { LogitTransform } from './logit.js';
import { LuMixing } from './mixing.js';
import { MultiScaleFlow } from './multiscale.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The layers of a config, in application order (x -> z). */
function flowLayers(cfg: FlowConfig, rng: Rng): FlowLayer[] {
  const shape = flowImageShape(cfg);
  if (cfg.arch === 'multiscale' && shape)
    return [
      new MultiScaleFlow(shape, {
        scales: cfg.scales ?? 0,
        hidden: cfg.hidden,
        blocks: cfg.depth,
        rng,
      }),
    ];
  const d = cfg.dim;
  const [maskRng, mixRng, netRng] = rng.split(3);
  const splits = couplingSplits(d, cfg.couplings, cfg.mask, cfg.imageSize, maskRng);
  const layers: FlowLayer[] = [];
  for (const split of splits) {
    if (cfg.actnorm) layers.push(new ActNorm(d));
    if (cfg.mixing === 'lu') layers.push(new LuMixing(d, mixRng));
    layers.push(
      new AffineCoupling(d, split, { hidden: cfg.hidden, depth: cfg.depth, rng: netRng }),
    );
  }
  return layers;
}

/**
 * The flow of a config; state-dict keys `layers.<i>.*` in application order (x -> z). A
 * multi-scale config has one layer, the {@link MultiScaleFlow} (`layers.0.levels.<i>.*`,
 * `layers.0.final.<j>.*`).
 */
export class FlowNetwork extends Module {
  readonly layers: FlowLayer[];
  /** Pixel data only: the logit transform applied before `layers` (no parameters). */
  readonly logit?: LogitTransform;

  constructor(
    readonly cfg: FlowConfig,
    rng: Rng,
  ) {
    super();
    this.layers = flowLayers(cfg, rng);
    if (cfg.pixels) this.logit = new LogitTransform(cfg.logitAlpha);
  }

  /** x [B, D] -> z [B, D] and log|det dz/dx| [B]. */
  forward(x: Value): { z: Value; logdet: Value } {
    let h = x;
    let logdet: Value | undefined;
    const add = (v: Value) => {
      logdet = logdet ? ops.add(logdet, v) : v;
    };
    if (this.logit) {
      const s = this.logit.call(h);
      h = s.y;
      add(s.logdet);
    }
    for (const layer of this.layers) {
      const s = layer.call(h);
      h = s.y;
      add(s.logdet);
    }
    // A per-point [B] log-det even when every layer's is a scalar (ActNorm, mixing only).
    const zero = ops.mul(ops.sum(h, 1), 0);
    return { z: h, logdet: logdet ? ops.add(zero, logdet) : zero };
  }

  /** z [B, D] -> x [B, D] (pixel data: y in [0, 1]). */
  inverse(z: Value): Value {
    let h = z;
    for (let i = this.layers.length - 1; i >= 0; i--) h = this.layers[i].callInverse(h);
    return this.logit ? this.logit.callInverse(h) : h;
  }

  /** log p(x) [B] in nats: standard normal base plus the log-determinants. */
  logProb(x: Value): Value {
    const { z, logdet } = (this as FlowNetwork).call(x);
    const base = ops.sub(ops.mul(ops.sum(ops.square(z), 1), -0.5), this.cfg.dim * HALF_LOG_2PI);
    return ops.add(base, logdet);
  }

  /** The ActNorm layers that still need their data-dependent init. */
  pendingActNorms(): ActNorm[] {
    return this.layers.filter((l): l is ActNorm => l instanceof ActNorm && !l.isInitialized);
  }

  /**
   * The data-dependent init pass: runs x through the flow with every uninitialized ActNorm
   * standardizing its input, and returns each one's init values as `an<i>.bias` / `an<i>.logs`
   * (i: position in `layers`).
   */
  initStats(x: Value): Record<string, Value> {
    const out: Record<string, Value> = {};
    let h = this.logit ? this.logit.call(x).y : x;
    for (const [i, layer] of this.layers.entries()) {
      if (layer instanceof ActNorm && !layer.isInitialized) {
        const s = layer.forwardInit(h);
        out[`an${i}.bias`] = s.bias;
        out[`an${i}.logs`] = s.logs;
        h = s.y;
      } else h = layer.call(h).y;
    }
    return out;
  }
}
