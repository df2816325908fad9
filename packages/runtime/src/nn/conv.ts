/**
 * Convolution layers: torch.nn.Conv2d and torch.nn.ConvTranspose2d, with PyTorch's
 * parameter names, layouts and default initialization.
 */
import type { Value } from '../graph/graph.js';
import { conv2d, convTranspose2d, type Pair, pair } from '../ops/conv.js';
import { add } from '../ops/elementwise.js';
import type { Rng } from '../rng.js';
import { fanInUniform, fans, kaimingUniform } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface Conv2dLayerOptions {
  /** Step of the sliding window (default 1). */
  stride?: Pair;
  /** Zero padding added on both sides of each spatial axis (default 0). */
  padding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups; both channel counts must be divisible by it (default 1). */
  groups?: number;
  /** Learnable bias (default true). */
  bias?: boolean;
  /** Initializer randomness (explicit, so a seed reproduces the model). */
  rng: Rng;
}

export interface ConvTranspose2dLayerOptions extends Conv2dLayerOptions {
  /** Extra rows/cols added at the end of the output, each < stride (default 0). */
  outputPadding?: Pair;
}

/** Geometry shared by both layers, validated with the layer's name in messages. */
interface ConvGeometry {
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

function geometry(
  layer: string,
  inC: number,
  outC: number,
  kernelSize: Pair,
  opts: Conv2dLayerOptions,
): ConvGeometry {
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || inC % groups !== 0 || outC % groups !== 0) {
    throw new RangeError(
      `${layer}: groups ${groups} must be a positive integer dividing in_channels ${inC} and out_channels ${outC}`,
    );
  }
  return {
    kernelSize: pair(layer, 'kernelSize', kernelSize, 1, 1),
    stride: pair(layer, 'stride', opts.stride, 1, 1),
    padding: pair(layer, 'padding', opts.padding, 0, 0),
    dilation: pair(layer, 'dilation', opts.dilation, 1, 1),
    groups,
  };
}

/** PyTorch's default init: kaiming_uniform_(a = sqrt(5)) weight, U(+-1/sqrt(fanIn)) bias, fans of the weight's own shape. */
function convParams(
  shape: number[],
  outC: number,
  opts: Conv2dLayerOptions,
): { weight: Parameter; bias?: Parameter } {
  const weight = new Parameter(kaimingUniform(shape, opts.rng));
  const bias =
    (opts.bias ?? true) ? new Parameter(fanInUniform([outC], fans(shape)[0], opts.rng)) : undefined;
  return { weight, bias };
}

/**
 * torch.nn.Conv2d (NCHW cross-correlation). weight [out, in/groups, kh, kw], bias [out];
 * kaiming_uniform_(a = sqrt(5)) weight and U(+-1/sqrt(fanIn)) bias with
 * fanIn = in/groups * kh * kw, as PyTorch initializes them.
 *
 * x: [N, in, H, W] -> [N, out, H', W'], H' = floor((H + 2p - d(kh - 1) - 1) / s) + 1.
 *
 * @example
 * const conv = new Conv2d(3, 16, 3, { stride: 2, padding: 1, rng });
 * conv.call(x);   // x: [batch, 3, 32, 32] -> [batch, 16, 16, 16]
 */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias?: Parameter;
  readonly geometry: ConvGeometry;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: Conv2dLayerOptions,
  ) {
    super();
    this.geometry = geometry('Conv2d', inChannels, outChannels, kernelSize, opts);
    const { kernelSize: k, groups } = this.geometry;
    ({ weight: this.weight, bias: this.bias } = convParams(
      [outChannels, inChannels / groups, ...k],
      outChannels,
      opts,
    ));
  }

  forward(x: Value): Value {
    const { stride, padding, dilation, groups } = this.geometry;
    const opts = { stride, padding, dilation, groups };
    // A LoRA adapter adds its own term on the activations (PEFT's order, dropout on x only).
    const adapter = this.weight.adapter;
    if (adapter?.output)
      return add(conv2d(x, this.weight.baseValue, this.bias?.value, opts), adapter.output(x));
    return conv2d(x, this.weight.value, this.bias?.value, opts);
  }
}

/**
 * torch.nn.ConvTranspose2d (the adjoint of Conv2d). weight [in, out/groups, kh, kw],
 * bias [out]. Initialized as PyTorch does, including its quirk: the fans come from the
 * weight's own shape, so fanIn = out/groups * kh * kw (dim 1 of the weight).
 *
 * x: [N, in, H, W] -> [N, out, H', W'], H' = (H - 1)s - 2p + d(kh - 1) + outputPadding + 1.
 *
 * @example
 * const up = new ConvTranspose2d(16, 8, 4, { stride: 2, padding: 1, rng });
 * up.call(h);   // h: [batch, 16, 7, 7] -> [batch, 8, 14, 14]
 */
export class ConvTranspose2d extends Module {
  readonly weight: Parameter;
  readonly bias?: Parameter;
  readonly geometry: ConvGeometry;
  readonly outputPadding: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: ConvTranspose2dLayerOptions,
  ) {
    super();
    this.geometry = geometry('ConvTranspose2d', inChannels, outChannels, kernelSize, opts);
    this.outputPadding = pair('ConvTranspose2d', 'outputPadding', opts.outputPadding, 0, 0);
    const { kernelSize: k, groups } = this.geometry;
    ({ weight: this.weight, bias: this.bias } = convParams(
      [inChannels, outChannels / groups, ...k],
      outChannels,
      opts,
    ));
  }

  forward(x: Value): Value {
    const { stride, padding, dilation, groups } = this.geometry;
    return convTranspose2d(x, this.weight.value, this.bias?.value, {
      stride,
      padding,
      outputPadding: this.outputPadding,
      dilation,
      groups,
    });
  }
}
