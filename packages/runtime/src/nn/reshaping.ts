/** Shape-changing layers without parameters: Flatten and Upsample. */
import { ShapeError, scopedOp } from '../errors.js';
import type { Value } from '../graph/graph.js';
import { type Dim, formatShape } from '../graph/shape.js';
import { upsampleNearest2d } from '../ops/pool.js';
import { reshape } from '../ops/shape.js';
import { Module } from './module.js';

/**
 * torch.nn.Flatten: merge axes startDim..endDim (defaults 1 and -1) into one.
 * The merged axes must be static; the others (e.g. a symbolic batch) are kept.
 *
 * x: [N, C, H, W] -> [N, C*H*W] with the defaults.
 *
 * @example new Flatten().call(h)   // h: [batch, 16, 7, 7] -> [batch, 784]
 */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Value): Value {
    const s = this.startDim < 0 ? this.startDim + x.rank : this.startDim;
    const e = this.endDim < 0 ? this.endDim + x.rank : this.endDim;
    const merged = x.shape.slice(s, e + 1);
    if (!(s >= 0 && e < x.rank && s <= e) || !merged.every((d) => typeof d === 'number')) {
      throw new ShapeError(
        `${scopedOp(x.graph.currentScope, 'Flatten')}: cannot merge axes ${this.startDim}..${this.endDim} of ${formatShape(x.shape)}; expected valid axes over static dims`,
      );
    }
    const size = (merged as number[]).reduce((p, d) => p * d, 1);
    const shape: Dim[] = [...x.shape.slice(0, s), size, ...x.shape.slice(e + 1)];
    return reshape(x, shape);
  }
}

/**
 * torch.nn.Upsample with mode 'nearest' and an integer scale factor (the only mode and
 * factors supported so far): out[i, j] = in[floor(i / s), floor(j / s)].
 *
 * x: [N, C, H, W] -> [N, C, H*s, W*s].
 *
 * @example new Upsample(2).call(h)   // h: [batch, 64, 8, 8] -> [batch, 64, 16, 16]
 */
export class Upsample extends Module {
  constructor(
    readonly scaleFactor: number,
    readonly mode: 'nearest' = 'nearest',
  ) {
    super();
    if (mode !== 'nearest')
      throw new RangeError(`Upsample: mode '${String(mode)}' is not supported; expected 'nearest'`);
  }

  forward(x: Value): Value {
    return upsampleNearest2d(x, this.scaleFactor);
  }
}
