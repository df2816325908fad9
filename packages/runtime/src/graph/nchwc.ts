/**
 * Convolutions in ONNX Runtime's blocked NCHWc layout for computed weights.
 *
 * ORT's CPU provider runs a Conv on its fast NCHWc kernels (MLAS, direct convolution on
 * channel blocks of 8 or 16) only when the weight is a constant initializer: its graph
 * transformer reorders the filter once, at load time. In a train step the weights are
 * fed, so every Conv (forward, and the flipped-kernel Conv of the input gradient) falls
 * back to im2col + GEMM, 1.4-2.2x slower on the U-Net's and DCGAN's shapes (measured in
 * docs/performance.md). This lowering writes, for such a Conv, what that transformer
 * would have written, with the filter reorder done in the graph:
 *
 *   ReorderInput(x) -> com.microsoft.nchwc.Conv(·, reorder(w), pad(b)) -> ReorderOutput
 *
 * The filter reorder is OIHW -> OIHWBiBo: [O/B, bo, I/B, bi, kh, kw] transposed to
 * [O/B, I/B, kh, kw, bi, bo] (channels zero-padded to multiples of B), a Transpose of the
 * weight only. Round-off differs from im2col + GEMM by the order of the sums (float32).
 */
import { Tensor } from '../tensor.js';
import type { LoweredNode, Lowering } from './encode.js';
import type { Attr, Node } from './graph.js';

const NCHWC = 'com.microsoft.nchwc';

const ceilTo = (n: number, b: number) => Math.ceil(n / b) * b;
const int64 = (v: readonly number[]) =>
  new Tensor('int64', [v.length], BigInt64Array.from(v.map(BigInt)));

/** Whether `n` is a Conv this lowering takes, with its channel counts. */
function convChannels(n: Node, block: number): { C: number; O: number; k: number[] } | undefined {
  if (n.prim.opType !== 'Conv' || n.prim.domain) return undefined;
  const [x, w] = n.inputs;
  if (!x || !w || x.dtype !== 'float32' || w.constantData || w.shape.length !== 4) return undefined;
  const group = (n.attrs.group as { i: number } | undefined)?.i ?? 1;
  const autoPad = (n.attrs.auto_pad as { s: string } | undefined)?.s ?? 'NOTSET';
  const [O, C, kh, kw] = w.shape;
  if (group !== 1 || autoPad !== 'NOTSET') return undefined;
  if (typeof O !== 'number' || typeof C !== 'number' || x.shape[1] !== C) return undefined;
  // ReorderInput needs C % 4 == 0; fewer channels than a block stay faster on im2col
  // (a 1-channel input measured 0.66x), as do outputs narrower than a block.
  if (C % 4 !== 0 || C < block || O < block) return undefined;
  return { C, O, k: [kh as number, kw as number] };
}

/**
 * The lowering for ORT's NCHWc block size `block` (16 with AVX-512, 8 with AVX2; probe it
 * with a ReorderInput of 4 channels). Conv nodes it does not take are kept as they are.
 */
export function nchwcConvLowering(block: number): Lowering {
  return (n, input, output, fresh) => {
    const dims = convChannels(n, block);
    if (!dims) return undefined;
    const { C, O, k } = dims;
    const [Ca, Oa] = [ceilTo(C, block), ceilTo(O, block)];
    const [x, w, b] = input;
    const nodes: LoweredNode[] = [];
    const constants: { name: string; tensor: Tensor }[] = [];
    const constant = (hint: string, t: Tensor) => {
      const name = fresh(hint);
      constants.push({ name, tensor: t });
      return name;
    };
    const node = (
      opType: string,
      inputs: string[],
      attrs?: Record<string, Attr>,
      domain?: string,
    ) => {
      const out = fresh(opType.toLowerCase());
      nodes.push({ opType, domain, input: inputs, output: [out], attrs });
      return out;
    };

    let wp = w;
    if (Ca !== C || Oa !== O)
      wp = node('Pad', [w, constant('wpads', int64([0, 0, 0, 0, Oa - O, Ca - C, 0, 0]))]);
    const blocked = node('Reshape', [
      wp,
      constant('wblocks', int64([Oa / block, block, Ca / block, block, k[0], k[1]])),
    ]);
    const moved = node('Transpose', [blocked], { perm: { ints: [0, 2, 4, 5, 3, 1] } });
    const filter = node('Reshape', [moved, constant('wshape', int64([Oa, Ca, k[0], k[1]]))]);
    let bias = b ?? '';
    if (bias && Oa !== O) bias = node('Pad', [bias, constant('bpads', int64([0, Oa - O]))]);

    const xc = node('ReorderInput', [x], undefined, NCHWC);
    const { group: _g, ...attrs } = n.attrs;
    const yc = node('Conv', bias ? [xc, filter, bias] : [xc, filter], attrs, NCHWC);
    nodes.push({
      opType: 'ReorderOutput',
      domain: NCHWC,
      input: [yc],
      output: [output[0]],
      attrs: { channels: { i: O } },
    });
    return { nodes, constants };
  };
}
