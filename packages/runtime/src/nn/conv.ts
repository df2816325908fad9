/**
 * Convolution layers: torch.nn.Conv2d and torch.nn.ConvTranspose2d, with PyTorch's
 * parameter names, layouts and default initialization.
 */
import type { Value } from '../graph/graph.js';
import { conv2d, convTranspose2d, type Pair, pair } from '../ops/conv.js';
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

/** Check that `groups` divides both channel counts, naming the layer and the counts. */
function checkGroups(layer: string, inC: number, outC: number, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1 || inC % groups !== 0 || outC % groups !== 0) {
    throw new RangeError(
      `${layer}: groups ${groups} must be a positive integer dividing in_channels ${inC} and out_channels ${outC}`,
    );
  }
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
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: Conv2dLayerOptions,
  ) {
    super();
    this.kernelSize = pair('Conv2d', 'kernelSize', kernelSize, 1, 1);
    this.stride = pair('Conv2d', 'stride', opts.stride, 1, 1);
    this.padding = pair('Conv2d', 'padding', opts.padding, 0, 0);
    this.dilation = pair('Conv2d', 'dilation', opts.dilation, 1, 1);
    this.groups = opts.groups ?? 1;
    checkGroups('Conv2d', inChannels, outChannels, this.groups);
    const shape = [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = new Parameter(kaimingUniform(shape, opts.rng));
    if (opts.bias ?? true)
      this.bias = new Parameter(fanInUniform([outChannels], fans(shape)[0], opts.rng));
  }

  forward(x: Value): Value {
    return conv2d(x, this.weight.value, this.bias?.value, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
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
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: ConvTranspose2dLayerOptions,
  ) {
    super();
    this.kernelSize = pair('ConvTranspose2d', 'kernelSize', kernelSize, 1, 1);
    this.stride = pair('ConvTranspose2d', 'stride', opts.stride, 1, 1);
    this.padding = pair('ConvTranspose2d', 'padding', opts.padding, 0, 0);
    this.outputPadding = pair('ConvTranspose2d', 'outputPadding', opts.outputPadding, 0, 0);
    this.dilation = pair('ConvTranspose2d', 'dilation', opts.dilation, 1, 1);
    this.groups = opts.groups ?? 1;
    checkGroups('ConvTranspose2d', inChannels, outChannels, this.groups);
    const shape = [inChannels, outChannels / this.groups, ...this.kernelSize];
    this.weight = new Parameter(kaimingUniform(shape, opts.rng));
    if (opts.bias ?? true)
      this.bias = new Parameter(fanInUniform([outChannels], fans(shape)[0], opts.rng));
  }

  forward(x: Value): Value {
    return convTranspose2d(x, this.weight.value, this.bias?.value, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
