/**
 * The U-Net's geometry: the image shape [C, H, W] of a config, its levels (one per entry of
 * `channels`, each halving the feature map of the one above), the feature-map sides that
 * `attentionResolutions` may name, and the sizes a U-Net can take.
 */
import type { DiffusionConfig } from './config.js';

/** An image shape [C, H, W]: channels, height, width. */
export type ImageShape = [channels: number, height: number, width: number];

/** The image shape of a U-Net whose config leaves it out: MNIST's gray 28x28. */
export const DEFAULT_IMAGE_SHAPE: Readonly<ImageShape> = [1, 28, 28];

/**
 * The image shape [C, H, W] of a U-Net config: `imageChannels` (default 1), `imageHeight`
 * and `imageWidth` (default 28 each). Images are [N, C, H, W] (channel planes one after the
 * other), and dataDim = C * H * W.
 *
 * @example diffusionImageShape(resolveConfig('cifar-unet')) // [3, 32, 32]
 */
export function diffusionImageShape(
  cfg: Pick<DiffusionConfig, 'imageChannels' | 'imageHeight' | 'imageWidth'>,
): ImageShape {
  const [c, h, w] = DEFAULT_IMAGE_SHAPE;
  return [cfg.imageChannels ?? c, cfg.imageHeight ?? h, cfg.imageWidth ?? w];
}

/** How many times the U-Net of `channels.length` levels halves its feature maps: levels - 1. */
export function downsamplings(cfg: Pick<DiffusionConfig, 'channels'>): number {
  return cfg.channels.length - 1;
}

/** The feature-map size [h, w] at each level, full size first: [[28, 28], [14, 14], [7, 7]]. */
export function levelSizes(cfg: DiffusionConfig): [number, number][] {
  const [, h, w] = diffusionImageShape(cfg);
  return cfg.channels.map((_, l) => [h / 2 ** l, w / 2 ** l]);
}

/**
 * The level whose feature map's shorter side is `side` (what `attentionResolutions` names),
 * or -1 when no level has it.
 */
export function levelOfSide(cfg: DiffusionConfig, side: number): number {
  return levelSizes(cfg).findIndex(([h, w]) => Math.min(h, w) === side);
}

/** "a or b": the sizes nearest to `size` that are divisible by `factor` (`size` itself when it is). */
export function nearestSizes(size: number, factor: number): string {
  if (size % factor === 0) return String(size);
  const down = Math.max(factor, size - (size % factor));
  return `${down} or ${down + factor}`;
}

/** "3x32x32" */
export function formatImageShape(shape: readonly number[]): string {
  return shape.join('x');
}
