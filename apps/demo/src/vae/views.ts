/** What the VAE worker sends the page to draw (no model code: shared by page and worker). */

/** An image shape [C, H, W]: 1 channel (gray) or 3 (RGB). */
export type ImageShape = [channels: number, height: number, width: number];

export type VaeView =
  /** Decoded z ~ N(0, I): n images [n, C, H, W] in [0, 1]. */
  | { kind: 'samples'; images: Float32Array; n: number; shape: ImageShape }
  /** Decoder outputs over a grid x grid lattice of z in [-bound, bound]^2 (2-D latents only). */
  | { kind: 'latentMap'; images: Float32Array; grid: number; shape: ImageShape; bound: number }
  | { kind: 'latentMapUnavailable'; reason: string }
  /** Posterior means [n, 2] of test digits with their labels, or of your images (labels null). */
  | { kind: 'latentScatter'; mu: Float32Array; labels: Int32Array | null }
  /** Decoded points on the line between two images' latents: [steps, C, H, W]. */
  | { kind: 'interpolation'; images: Float32Array; steps: number; shape: ImageShape };
