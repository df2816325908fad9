/**
 * The PixelCNN network: masked convolutions, so the logit of pixel i (raster order) sees
 * only pixels before i. State-dict keys follow PyTorch (`conv_in.weight`, `layers.0.bias`);
 * the masks are constants of the traced graph, not stored tensors.
 */
import { Conv2d, Module, ops, type Rng, Tensor, type Value } from '@genmodels/runtime';
import type { PixelCnnConfig } from './config.js';

/**
 * The kernel taps a pixel may read, [1, 1, k, k]: the rows above the centre and the taps
 * left of it, plus the centre itself for type 'B' (type 'A' hides the pixel being predicted).
 */
export function causalMask(k: number, type: 'A' | 'B'): Tensor<'float32'> {
  const c = (k - 1) / 2;
  const m = new Float32Array(k * k);
  for (let r = 0; r < k; r++)
    for (let s = 0; s < k; s++)
      m[r * k + s] = r < c || (r === c && (s < c || (type === 'B' && s === c))) ? 1 : 0;
  return new Tensor('float32', [1, 1, k, k], m);
}

/** A same-padded Conv2d whose weight is multiplied by a causal mask inside the traced forward. */
export class MaskedConv2d extends Conv2d {
  readonly #mask: Tensor<'float32'>;
  constructor(inC: number, outC: number, k: number, type: 'A' | 'B', rng: Rng) {
    super(inC, outC, k, { padding: (k - 1) / 2, rng });
    this.#mask = causalMask(k, type);
  }
  /** x: [B, in, H, W] -> [B, out, H, W]. */
  override forward(x: Value): Value {
    const w = this.weight.value;
    const { stride, padding, dilation, groups } = this.geometry;
    const masked = ops.mul(w, w.graph.constant(this.#mask));
    return ops.conv2d(x, masked, this.bias?.value, { stride, padding, dilation, groups });
  }
}

/** Type-A input layer, residual type-B layers (ReLU before each), 1x1 output to one logit per pixel. */
export class PixelCnnNetwork extends Module {
  readonly conv_in: MaskedConv2d;
  readonly layers: MaskedConv2d[];
  readonly conv_out: Conv2d;
  constructor(
    readonly cfg: PixelCnnConfig,
    rng: Rng,
  ) {
    super();
    const c = cfg.channels;
    this.conv_in = new MaskedConv2d(1, c, cfg.kernelSize, 'A', rng);
    this.layers = Array.from({ length: cfg.layers }, () => new MaskedConv2d(c, c, 3, 'B', rng));
    this.conv_out = new Conv2d(c, 1, 1, { rng });
  }
  /** x: [B, 1, H, W] in {0, 1} -> Bernoulli logits [B, 1, H, W]. */
  forward(x: Value): Value {
    let h = this.conv_in.call(x);
    for (const layer of this.layers) h = ops.add(h, layer.call(ops.relu(h)));
    return this.conv_out.call(ops.relu(h));
  }
}
