/** What the VAE worker sends the page to draw (no model code: shared by page and worker). */
export type VaeView =
  /** Decoded z ~ N(0, I): n images [n, size, size] in [0, 1]. */
  | { kind: 'samples'; images: Float32Array; n: number; size: number }
  /** Decoder outputs over a grid x grid lattice of z in [-bound, bound]^2 (2-D latents only). */
  | { kind: 'latentMap'; images: Float32Array; grid: number; size: number; bound: number }
  | { kind: 'latentMapUnavailable'; reason: string }
  /** Posterior means of test digits [n, 2] and their labels. */
  | { kind: 'latentScatter'; mu: Float32Array; labels: Int32Array }
  /** Decoded points on the line between two test digits' latents: [steps, size, size]. */
  | { kind: 'interpolation'; images: Float32Array; steps: number; size: number };
