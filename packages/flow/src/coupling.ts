/**
 * RealNVP affine coupling: the coordinates in A pass through; those in B become
 * x_B * exp(s) + t with (s, t) = NN(x masked to A), s = scale * tanh(raw) bounded per
 * coordinate. The network's last Linear starts at zero, so a new coupling is the identity.
 */
import {
  init,
  Linear,
  ops,
  Parameter,
  ReLU,
  type Rng,
  Sequential,
  Tensor,
  type Value,
} from '@genmodels/runtime';
import { FlowError } from './errors.js';
import { FlowLayer, type FlowStep, indexConst } from './layer.js';

/** The split of one coupling: kept coordinates A, transformed coordinates B (disjoint, covering 0..D-1). */
export interface CouplingSplit {
  keep: number[];
  change: number[];
}

/** MLP D -> hidden (x depth, ReLU) -> 2 |B|: the raw scale and the shift of the changed coordinates. */
function couplingNet(d: number, out: number, hidden: number, depth: number, rng: Rng): Sequential {
  const layers: (Linear | ReLU)[] = [];
  let width = d;
  for (let i = 0; i < depth; i++) {
    layers.push(new Linear(width, hidden, { rng }), new ReLU());
    width = hidden;
  }
  const last = new Linear(width, out, { rng });
  last.weight.data = init.zeros([out, width]);
  if (last.bias) last.bias.data = init.zeros([out]);
  layers.push(last);
  return new Sequential(...layers);
}

/**
 * One affine coupling layer over D coordinates.
 *
 * @example const c = new AffineCoupling(2, { keep: [0], change: [1] }, { hidden: 256, depth: 2, rng });
 * c.call(x);   // x: [B, 2] -> { y: [B, 2], logdet: [B] }
 */
export class AffineCoupling extends FlowLayer {
  /** 1 on kept coordinates (buffer, so PyTorch sees the mask too). */
  readonly mask: Parameter;
  /** Per changed coordinate: s = scale * tanh(raw). */
  readonly scale: Parameter;
  readonly net: Sequential;

  constructor(
    readonly dim: number,
    split: CouplingSplit,
    opts: { hidden: number; depth: number; rng: Rng },
  ) {
    super();
    checkSplit(dim, split);
    const m = new Float32Array(dim);
    for (const i of split.keep) m[i] = 1;
    this.mask = new Parameter(new Tensor('float32', [dim], m), false);
    const nb = split.change.length;
    this.scale = new Parameter(init.ones([nb]));
    this.net = couplingNet(dim, 2 * nb, opts.hidden, opts.depth, opts.rng);
  }

  /** The split, read from the mask buffer (so a loaded checkpoint brings its own split). */
  get split(): CouplingSplit {
    const keep: number[] = [];
    const change: number[] = [];
    const m = this.mask.data.data as Float32Array;
    for (let i = 0; i < this.dim; i++) (m[i] === 1 ? keep : change).push(i);
    return { keep, change };
  }

  /** (s, t) for the changed coordinates from the kept ones: each [B, |B|]. */
  #st(x: Value): { s: Value; t: Value } {
    const nb = this.scale.shape[0];
    const h = this.net.call(ops.mul(x, this.mask.value));
    const raw = ops.slice(h, [0], [nb], [1]);
    const t = ops.slice(h, [nb], [2 * nb], [1]);
    return { s: ops.mul(ops.tanh(raw), this.scale.value), t };
  }

  /** y from concat([kept, changed]) back in coordinate order. */
  #assemble(a: Value, b: Value, split: CouplingSplit): Value {
    const order = new Int32Array(this.dim);
    [...split.keep, ...split.change].forEach((c, pos) => {
      order[c] = pos;
    });
    return ops.gather(ops.concat([a, b], 1), indexConst(a, order), 1);
  }

  forward(x: Value): FlowStep {
    const split = this.split;
    const { s, t } = this.#st(x);
    const xa = ops.gather(x, indexConst(x, split.keep), 1);
    const xb = ops.gather(x, indexConst(x, split.change), 1);
    const yb = ops.add(ops.mul(xb, ops.exp(s)), t);
    return { y: this.#assemble(xa, yb, split), logdet: ops.sum(s, 1) };
  }

  inverse(y: Value): Value {
    // y_A = x_A, so the network sees exactly what it saw in forward.
    const split = this.split;
    const { s, t } = this.#st(y);
    const ya = ops.gather(y, indexConst(y, split.keep), 1);
    const yb = ops.gather(y, indexConst(y, split.change), 1);
    const xb = ops.mul(ops.sub(yb, t), ops.exp(ops.neg(s)));
    return this.#assemble(ya, xb, split);
  }
}

function checkSplit(d: number, s: CouplingSplit): void {
  const seen = new Uint8Array(d);
  for (const i of [...s.keep, ...s.change]) {
    if (!(Number.isInteger(i) && i >= 0 && i < d) || seen[i])
      throw new FlowError(
        `AffineCoupling: the split must cover 0..${d - 1} exactly once; bad or repeated coordinate ${i}`,
      );
    seen[i] = 1;
  }
  if (s.keep.length + s.change.length !== d || s.keep.length === 0 || s.change.length === 0)
    throw new FlowError(
      `AffineCoupling: keep (${s.keep.length}) and change (${s.change.length}) must both be non-empty and cover all ${d} coordinates`,
    );
}

/** Splits of `n` couplings over D coordinates: 'alternating' (flipped each layer) or 'permuted' (seeded). */
export function couplingSplits(
  d: number,
  n: number,
  mode: 'alternating' | 'permuted',
  imageSize: number,
  rng: Rng,
): CouplingSplit[] {
  const out: CouplingSplit[] = [];
  for (let k = 0; k < n; k++) {
    let inA: (i: number) => boolean;
    if (mode === 'permuted') {
      const perm = rng.permutation(d);
      const keepSet = new Set(Array.from(perm.subarray(0, Math.floor(d / 2))));
      inA = (i) => keepSet.has(i);
    } else if (imageSize > 0) {
      // Checkerboard over the image, flipped every layer.
      inA = (i) => (Math.floor(i / imageSize) + (i % imageSize) + k) % 2 === 0;
    } else {
      inA = (i) => (i + k) % 2 === 0;
    }
    const keep: number[] = [];
    const change: number[] = [];
    for (let i = 0; i < d; i++) (inA(i) ? keep : change).push(i);
    out.push({ keep, change });
  }
  return out;
}
