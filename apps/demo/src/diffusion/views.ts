/** What the Diffusion worker sends the page to draw (no model code: shared by page and worker). */

/** A region of the plane. */
export interface Bounds {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

export type DiffusionView =
  | {
      kind: 'denoising';
      /** Frames [steps + 1][n, 2]: the starting noise x_T, then the state after each sampler step. */
      frames: Float32Array;
      n: number;
      steps: number;
      /** The timestep the denoiser saw at each step (steps entries). */
      timesteps: number[];
      /** Held-out data points [m, 2] for reference. */
      data: Float32Array;
      sampler: string;
      /** The region drawn. */
      bounds: Bounds;
    }
  /** Your points [m, 2] alone, before the model's first training step on them. */
  | { kind: 'data'; data: Float32Array; bounds: Bounds }
  /**
   * Samples [n, C, H, W] in [-1, 1] of `shape` (gray or RGB) from a U-Net on your images,
   * drawn with `sampler`.
   */
  | {
      kind: 'images';
      images: Float32Array;
      n: number;
      shape: [number, number, number];
      sampler: string;
    };
