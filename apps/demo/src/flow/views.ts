/** What the Flow worker sends the page to draw (no model code: shared by page and worker). */
export interface Square {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

export type FlowView =
  /** log p(x) on a res x res grid over `bounds`, row 0 at the top. */
  | { kind: 'density'; logp: Float32Array; res: number; bounds: Square }
  /** Samples [n, 2] (z ~ N(0, I) through the inverse) over data points [m, 2]. */
  | { kind: 'samples'; samples: Float32Array; data: Float32Array; bounds: Square }
  /** Samples [n, C, H, W] in [0, 1] of `shape` (gray or RGB): a flow on your images. */
  | { kind: 'images'; images: Float32Array; n: number; shape: [number, number, number] };
