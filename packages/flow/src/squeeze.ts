/**
 * RealNVP's squeeze (space-to-depth 2x2) and its inverse, built from Reshape and Transpose
 * (whose gradients the runtime has), with PyTorch's `pixel_unshuffle` channel order: output
 * channel c * 4 + dy * 2 + dx holds x[c, 2i + dy, 2j + dx]. A permutation of the values, so
 * its log-determinant is 0.
 */
import { type Dim, ops, type Value } from '@genmodels/runtime';
import { FlowError } from './errors.js';

/** The static [C, H, W] of an image batch [B, C, H, W], or a FlowError naming `where`. */
function imageDims(x: Value, where: string): [Dim, number, number, number] {
  const [b, c, h, w] = x.shape;
  if (x.rank !== 4 || typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number')
    throw new FlowError(`${where}: expected images [B, C, H, W], got [${x.shape.join(', ')}]`);
  return [b, c, h, w];
}

/**
 * Space-to-depth: x [B, C, H, W] -> [B, 4C, H/2, W/2] (H and W even).
 *
 * @example squeeze2d(x)   // x: [batch, 3, 32, 32] -> [batch, 12, 16, 16]
 */
export function squeeze2d(x: Value): Value {
  const [b, c, h, w] = imageDims(x, 'squeeze2d');
  if (h % 2 !== 0 || w % 2 !== 0)
    throw new FlowError(`squeeze2d: height and width must be even, got ${h}x${w}`);
  const split = ops.reshape(x, [b, c, h / 2, 2, w / 2, 2]); // [B, C, i, dy, j, dx]
  const moved = ops.transpose(split, [0, 1, 3, 5, 2, 4]); // [B, C, dy, dx, i, j]
  return ops.reshape(moved, [b, 4 * c, h / 2, w / 2]);
}

/**
 * Depth-to-space, the inverse of {@link squeeze2d}: y [B, 4C, H, W] -> [B, C, 2H, 2W].
 *
 * @example unsqueeze2d(y)   // y: [batch, 12, 16, 16] -> [batch, 3, 32, 32]
 */
export function unsqueeze2d(y: Value): Value {
  const [b, c4, h, w] = imageDims(y, 'unsqueeze2d');
  if (c4 % 4 !== 0) throw new FlowError(`unsqueeze2d: channels must be divisible by 4, got ${c4}`);
  const split = ops.reshape(y, [b, c4 / 4, 2, 2, h, w]); // [B, C, dy, dx, i, j]
  const moved = ops.transpose(split, [0, 1, 4, 2, 5, 3]); // [B, C, i, dy, j, dx]
  return ops.reshape(moved, [b, c4 / 4, 2 * h, 2 * w]);
}
